/**
 * Every option of a run, defined once: its flag, type, bounds, default,
 * description, who may set it (`scope`: a config file's `defaults`,
 * `runBench`'s options, the command line) and whether runners need it. The
 * command line's flags and `--help`, `docs/reference/cli.md`, the config
 * file's `defaults` (its type and its check), and `runBench`'s options (its
 * type and its check) are all derived from this table; `configOf` turns the
 * values into the run's `BenchConfig`.
 */
import * as Either from "effect/Either"
import { LadderModes, MAX_WORKERS } from "../bench/config.ts"
import { MAX_CONCURRENCY, MAX_FILES, MAX_SECONDS, MAX_THRESHOLD, noiseOption, QUICK_DELAY, recordedOptions as recorded } from "./recorded.ts"

export { noiseOption, QUICK_DELAY }
import { addressText, parseAddress } from "../cluster/address.ts"
import { AllDrivers, Drivers, Stores, threaded } from "../backends/all.ts"
import { MITIGATION_NAME } from "../mitigations/define.ts"
import { builtInMitigations } from "../mitigations/registry.ts"
import { baselineNameProblem } from "../results/baselines.ts"
import { parseFailOn } from "../verdict/failRules.ts"
import { choice, type Given, integer, integerProblem, type KeysIn, list, number, on, rangeText, text, type Values } from "./option.ts"



/**
 * Counted trials per configuration by default: five at c=10, where both
 * thresholds, the ladder's intervals and the contrast are judged; three at
 * the other levels, which feed the scaling slope and the c=50 bottleneck.
 * The trade that keeps the default run near two minutes on the threaded
 * driver (docs/running.md, "How long a run takes").
 */
export const TRIALS_AT_COMPARISON = 5
export const TRIALS_ELSEWHERE = 3


/** Where --metrics-port listens unless told. */
export const DEFAULT_METRICS_HOST = "127.0.0.1"

/** The options that watch a process while it runs: a run's, and a `runner`'s of its own. */
export const watchOptions = {
  metricsPort: integer("metrics-port", {
    group: "watch",
    description: "while the run lasts, live metrics for Prometheus at http://HOST:N/metrics (docs/watching.md)",
    bounds: { min: 1, max: 65535 },
    fallback: undefined,
    scope: "run",
    runners: true
  }),
  metricsHost: text("metrics-host", {
    group: "watch",
    pseudo: "HOST",
    description: "where --metrics-port listens",
    fallback: undefined,
    shown: DEFAULT_METRICS_HOST,
    scope: "run",
    runners: true
  }),
  otlp: text("otlp", {
    group: "watch",
    pseudo: "URL",
    description: "export spans and live metrics over OTLP/HTTP to a collector (http://HOST:4318)",
    fallback: undefined,
    scope: "run",
    runners: true
  })
}

const wholeItem = (part: string) => {
  const problem = integerProblem(part, { min: 1, max: MAX_CONCURRENCY })
  return problem === null ? Either.right(Number(part)) : Either.left(problem)
}

const workload = {
  files: recorded.files,
  concurrency: list<number, "1,10,50", "file", number>("concurrency", {
    group: "workload",
    description: "concurrency levels",
    item: wholeItem,
    itemValue: (v) => (typeof v === "number" ? wholeItem(String(v)) : Either.left("expected a list of whole numbers")),
    itemsAre: "a list of whole numbers",
    range: `${rangeText({ min: 1, max: MAX_CONCURRENCY })}; at most ` +
      AllDrivers.flatMap((d) => (d.maxConcurrency === null ? [] : [`${d.maxConcurrency.limit} on ${d.name}`])).join(", ") +
      "; with --workers on SQLite, every process's connections count",
    fallback: "1,10,50",
    scope: "file"
  }),
  profiles: list("profiles", {
    group: "workload",
    description: "latency profiles: zero, realistic, and the --profile-file's",
    item: (part) => /^[a-z][a-z0-9-]{0,39}$/.test(part) ? Either.right(part) : Either.left(`'${part}' is not a profile name`),
    fallback: undefined,
    shown: "zero,realistic and the profile file's",
    scope: "file"
  }),
  profileFile: text("profile-file", {
    group: "workload",
    pseudo: "PATH",
    description: "a JSON file defining one more latency profile (see docs/workload.md)",
    fallback: undefined,
    scope: "run"
  }),
  profile: text("profile", { group: "workload", pseudo: "JSON", description: "the same profile given inline", fallback: undefined, scope: "run" }),
  realisticDelay: number("realistic-delay", {
    group: "workload",
    description: "seconds per API call in the realistic profile",
    bounds: { min: 0, max: MAX_SECONDS },
    unit: " s",
    fallback: undefined,
    shown: `2.0; ${QUICK_DELAY} with --quick`,
    scope: "file"
  }),
  quick: recorded.quick,
  scenario: recorded.scenario,
  seed: recorded.seed,
  store: choice<string, undefined, "run">("store", Stores, {
    group: "workload",
    description: "where lifecycle state is kept: a SQLite file, or a PostgreSQL server (see docs/stores.md)",
    fallback: undefined,
    shown: "sqlite; postgres with --pg-url",
    scope: "run",
    open: true
  }),
  pgUrl: text("pg-url", {
    group: "workload",
    pseudo: "URL",
    description: "with --store postgres: a server of yours; only a database this tool made, or an empty one, is used",
    fallback: undefined,
    shown: "a throwaway server",
    scope: "run"
  }),
  poolSize: recorded.poolSize,
  workers: integer("workers", {
    group: "workload",
    description: "OS processes the actors run in, sharing the files and the store; a driver's concurrency cap " +
      `(threaded ${threaded.maxConcurrency?.limit ?? "none"}) counts all their connections`,
    bounds: { min: 1, max: MAX_WORKERS },
    fallback: 1,
    scope: "file"
  }),
  runners: list("runners", {
    group: "workload",
    description: "runners on other hosts (`upload-fsm-bench runner`) running the actors on --pg-url's server",
    item: (part) => Either.map(parseAddress(part), addressText),
    fallback: undefined,
    shown: "none",
    range: "HOST:PORT",
    scope: "run"
  }),
  clusterUrl: text("cluster-url", {
    group: "workload",
    pseudo: "URL",
    description: "with --runners: the PostgreSQL database the runners were started with; never --pg-url's",
    fallback: undefined,
    shown: "none",
    scope: "run"
  }),
  driver: choice<string, undefined, "file">("driver", Drivers, {
    group: "workload",
    description: "what runs the SQLite connections (see docs/methodology.md, Drivers)",
    fallback: undefined,
    shown: "threaded (on node:sqlite under Deno)",
    scope: "file",
    runners: true,
    open: true
  }),
  contrast: choice<string, undefined, "file">("contrast", [...Drivers, "off"], {
    group: "workload",
    description: "another driver, measured at c=10 zero only, beside the run's for contrast",
    fallback: undefined,
    shown: "with threaded: better-sqlite3 (node-sqlite under Deno), else off",
    scope: "file",
    open: true
  }),
  clock: recorded.clock,
  db: text("db", {
    group: "workload",
    pseudo: "PATH",
    description: "database to run on; one this tool did not create is refused",
    fallback: undefined,
    shown: "a temporary file",
    scope: "run"
  }),
  fresh: on("fresh", { group: "workload", description: "with --db: replace the batch the database holds with this run's", scope: "run" }),
  resume: on("resume", {
    group: "workload",
    description: "with --db: finish the batch of a run that died (at the first --concurrency and --profiles), check it, exit"
  })
}

/** A saved baseline's name (`results/baselines.ts`). */
const baselineName = (name: string, description: string) =>
  text(name, { group: "output", pseudo: "NAME", description, fallback: undefined, check: baselineNameProblem })

/** `--fail-on`: the comparison's fail rules (`verdict/failRules.ts`), kept in their spelling. */
export const failOnOption = text("fail-on", {
  group: "gate",
  pseudo: "RULES",
  description: "a comparison fails on: METRIC:+N%,... (elapsed:+10%)",
  fallback: undefined,
  shown: "elapsed over --noise",
  scope: "file",
  check: (value) => Either.match(parseFailOn(value), { onLeft: (e) => e, onRight: () => null })
})

const statistics = {
  trials: integer("trials", {
    group: "statistics",
    description: "counted trials per configuration",
    bounds: { min: 1, max: 1000 },
    fallback: undefined,
    shown: `${TRIALS_AT_COMPARISON} at c=10, ${TRIALS_ELSEWHERE} elsewhere`,
    scope: "file"
  }),
  warmup: recorded.warmup,
  targetCi: recorded.targetCi,
  maxTrials: recorded.maxTrials,
  noise: recorded.noise
}

const gate = {
  thresholdZero: number("threshold-zero", {
    group: "gate",
    description: "Threshold 1: zero profile, c=10, limit in seconds",
    bounds: { above: 0, max: MAX_THRESHOLD },
    unit: " s",
    fallback: 300,
    scope: "file"
  }),
  thresholdRealistic: number("threshold-realistic", {
    group: "gate",
    description: "Threshold 2: realistic profile, c=10, limit in seconds",
    bounds: { above: 0, max: MAX_THRESHOLD },
    unit: " s",
    fallback: 21_600,
    scope: "file"
  }),
  mitigations: list("mitigations", {
    group: "gate",
    description: `applied together to every configuration: ${builtInMitigations.map((m) => m.name).join(", ")}, or a config file's`,
    item: (part) => MITIGATION_NAME.test(part) ? Either.right(part) : Either.left(`'${part}' is not a mitigation name`),
    fallback: undefined,
    shown: "none",
    scope: "file"
  }),
  ladder: choice("ladder", LadderModes, {
    group: "gate",
    description: "mitigation ladder at c=10 zero: stop at the first step meeting Threshold 1, every step, or none",
    fallback: undefined,
    shown: "full; off with --mitigations",
    bare: "first",
    scope: "file"
  }),
  batchSize: recorded.batchSize,
  failOn: failOnOption
}

const faults = {
  failBatch: integer("fail-batch", {
    group: "faults",
    pseudo: "K",
    description: "the K-th batch commit of every batched run fails; the run recovers",
    bounds: { min: 1, max: 3 * MAX_FILES },
    fallback: undefined,
    scope: "run"
  }),
  maxAttempts: recorded.maxAttempts,
  retryBase: number("retry-base", {
    group: "faults",
    description: "first retry backoff in seconds, doubling, jittered",
    bounds: { above: 0, max: MAX_SECONDS },
    unit: " s",
    fallback: 1,
    scope: "run"
  })
}

const output = {
  config: text("config", {
    group: "workload",
    pseudo: "PATH",
    description: "a config file of your own mitigations, ladder, profiles and defaults (see docs/mitigations.md)",
    fallback: undefined,
    shown: "upload-fsm-bench.config.ts (or .mts, .mjs, .js) in the working directory, if there",
    runners: true
  }),
  out: text("out", { group: "output", pseudo: "DIR", description: "folder for the result files", fallback: "results", scope: "file" }),
  saveBaseline: baselineName("save-baseline", "keep the results as baseline NAME (in --out/baselines)"),
  baseline: baselineName("baseline", "then compare with baseline NAME (rules: --fail-on)"),
  json: on("json", { group: "output", description: "print the result document on stdout, nothing else" }),
  wide: on("wide", { group: "output", description: "every table column, one line per fact (over 80 cols)" }),
  trace: text("trace", {
    group: "output",
    pseudo: "FILE",
    description: "write a Perfetto/Chrome trace of one trial (c=10 zero's first counted) to FILE, a new file",
    fallback: undefined,
    scope: "run"
  })
}

/** Every option of `bench` (and of `runBench`), in the order `--help` lists them within each group. */
export const benchOptions = { ...workload, ...statistics, ...gate, ...faults, ...output, ...watchOptions }
export type BenchOptions = typeof benchOptions

/** The values a run is configured from: each option given, defaulted, or undefined where its rules choose. */
export type BenchValues = Values<BenchOptions>

/** Defaults a config file may set for the bench's options, by their names in camel case (`batchSize` for `--batch-size`). */
export type ConfigDefaults = Given<Pick<BenchOptions, KeysIn<BenchOptions, "file">>>

/** What `runBench` takes of the options: every option but the terminal's (`--json`, `--wide`, `--resume`, `--config`). */
export type RunValues = Given<Pick<BenchOptions, KeysIn<BenchOptions, "file" | "run">>>
