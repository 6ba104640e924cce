/**
 * The benchmark's configuration: one validated value, built once by the CLI
 * (`cli/bench.ts`); nothing below `programs/` reads argv or the environment.
 * Each field's own bounds are here, and so are the rules that tie fields
 * together, as Schema filters with the one-line message a user sees.
 */
import * as Schema from "effect/Schema"
import { BuiltInProfiles, LatencyProfile } from "../api/profiles.ts"
import { MAX_POOL_SIZE, recordedFields } from "../config/recorded.ts"
import { PROCESS_CONNECTIONS } from "../store/target.ts"

export const LadderModes = ["first", "full", "off"] as const

/**
 * A connection URL node-postgres reads as a server's: postgres:// or
 * postgresql:// (its host may be empty, `?host=` naming a socket folder), or
 * socket:. Anything else node-postgres would read as a host name somehow.
 */
/** Why `url` is no OTLP/HTTP collector's base URL, or null when it is one. */
export const otlpUrlProblem = (url: string): string | null => {
  if (!URL.canParse(url)) return "not a URL (give the collector's OTLP/HTTP base, e.g. http://localhost:4318)"
  const { protocol } = new URL(url)
  return protocol === "http:" || protocol === "https:" ? null : "an http:// or https:// URL (OTLP over HTTP)"
}

export const isPostgresUrl = (text: string): boolean => /^(postgres(ql)?:\/\/|socket:)/.test(text)

const Positive = Schema.Int.pipe(Schema.positive())
const Seconds = Schema.Number.pipe(Schema.finite(), Schema.positive())


export { PROCESS_CONNECTIONS }

/** The most runners of `--workers`: each is a Node process of its own (about 100 MB), and the machine has 2 cores. */
export const MAX_WORKERS = 16

export { MAX_POOL_SIZE }

export const BenchConfig = Schema.Struct({
  /** The options held as they are (`config/recorded.ts`): files, quick, scenario, seed, poolSize, clock, warmup, noise, batchSize, maxAttempts. */
  ...recordedFields,
  concurrency: Schema.NonEmptyArray(Positive),
  /** Profile names to run: built-ins and the profile file's. */
  profiles: Schema.NonEmptyArray(Schema.String),
  /** Profiles beyond the built-ins: the config file's, and the one read from --profile-file or --profile. */
  customProfiles: Schema.Array(LatencyProfile),
  realisticDelaySeconds: Schema.Number.pipe(Schema.nonNegative(), Schema.finite()),
  db: Schema.NullOr(Schema.String),
  /** Replace the batch an existing --db holds with this run's (without it, such a database is refused). */
  fresh: Schema.Boolean,
  /** Finish the batch an existing --db holds (its run died) instead of running the matrix. */
  resume: Schema.Boolean,
  /** The folder for the result files; null: none written (`runBench` without `out`). */
  out: Schema.NullOr(Schema.String),
  thresholdZeroSeconds: Seconds,
  thresholdRealisticSeconds: Seconds,
  json: Schema.Boolean,
  /** What fails a comparison with a baseline (`--fail-on`'s spelling); null: elapsed beyond the noise threshold. */
  failOn: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  /** Keep the result document as this baseline (in the output folder's `baselines/`); null: none kept. */
  saveBaseline: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  /** Compare the run with this saved baseline afterwards; null: none. */
  baseline: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  /** The terminal report's full tables instead of the 80-column ones. */
  wide: Schema.Boolean,
  /** Where to write a trace of one trial, if anywhere. */
  trace: Schema.NullOr(Schema.String),
  /** Serve the live metrics for Prometheus on this port while the run lasts (null: not served). */
  metricsPort: Schema.optionalWith(Schema.NullOr(Schema.Int.pipe(Schema.between(1, 65535))), { default: () => null }),
  /** The address the metrics endpoint listens on. */
  metricsHost: Schema.optionalWith(Schema.String, { default: () => "127.0.0.1" }),
  /** An OTLP/HTTP collector's base URL to export spans and metrics to (null: none). */
  otlp: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  /**
   * Applied together to every configuration of the matrix: registered names
   * in registration order (the registry's rules, `mitigations/registry.ts`,
   * are checked where the config is made, which knows the registry).
   */
  mitigations: Schema.Array(Schema.String),
  ladder: Schema.Literal(...LadderModes),
  /** Counted trials per configuration at the comparison concurrency (c=10: both thresholds, the ladder, the contrast). */
  trials: Positive,
  /** Counted trials per configuration at every other concurrency level. */
  otherTrials: Positive,
  failBatch: Schema.NullOr(Positive),
  /** First backoff of the retry policy, doubling per retry, jittered. */
  retryBaseSeconds: Seconds,
  /** Where lifecycle state is kept: a backend's name (a SQLite file, a PostgreSQL server, or a config's own store). */
  store: Schema.String,
  /** With the Postgres store: the server of the user's to use (null: a throwaway server the run starts). */
  pgUrl: Schema.NullOr(Schema.String),
  /** OS processes the actors of a configuration run in (1: the run's own). */
  workers: Positive,
  /** Runners on other hosts (HOST:PORT) that run the actors; empty for none. */
  runners: Schema.Array(Schema.String),
  /** With runners: the Postgres database where the cluster keeps its state. */
  clusterUrl: Schema.NullOr(Schema.String),
  /**
   * Which driver provides the connections: one of the store's (a SQLite driver, or "postgres" with the Postgres
   * store), or a config file's; checked against them, with its concurrency cap, where the config is made (`configOf`).
   */
  driver: Schema.String,
  /** Another driver measured once at the comparison configuration (c=10 zero), for contrast; null for none. */
  contrast: Schema.NullOr(Schema.String)
}).pipe(
  Schema.filter((c) => {
    const names = [...BuiltInProfiles, ...c.customProfiles.map((p) => p.name)]
    const twice = names.find((name, i) => names.indexOf(name) !== i)
    return twice === undefined || `profile '${twice}' is defined twice (a built-in's name, or the config file's and --profile's)`
  }),
  Schema.filter((c) => {
    const known = [...BuiltInProfiles, ...c.customProfiles.map((p) => p.name)]
    const unknown = c.profiles.find((p) => !known.includes(p))
    return unknown === undefined || `--profiles: unknown profile '${unknown}' (known: ${known.join(", ")})`
  }),
  Schema.filter((c) =>
    c.failBatch === null || c.mitigations.includes("batched-writes") || c.ladder === "full" ||
    "--fail-batch: needs batched writes in the run: add --mitigations in-memory-guards,batched-writes or --ladder full"
  ),
  Schema.filter((c) => {
    // Every file commits at least its 3 happy-path transitions: the batches a run surely commits.
    const sure = Math.ceil((3 * c.files) / c.batchSize)
    return c.failBatch === null || c.failBatch <= sure ||
      `--fail-batch ${c.failBatch}: ${c.files} files commit at least ${sure} batches of ${c.batchSize} ` +
        `(3 transitions each), so batch ${c.failBatch} may never exist; choose 1 to ${sure}`
  }),
  Schema.filter((c) =>
    c.contrast !== c.driver || `--contrast ${c.contrast}: that is the run's own driver; name another one, or off`
  ),
  Schema.filter((c) => !(c.fresh && c.resume) || "--fresh and --resume: choose one (replace the batch, or finish it)"),
  Schema.filter((c) => c.maxTrials === null || c.targetCi !== null || "--max-trials: only with --target-ci (the cap of its extra trials)"),
  Schema.filter((c) =>
    c.maxTrials === null || c.maxTrials >= c.trials ||
    `--max-trials ${c.maxTrials}: fewer than the ${c.trials} trials every configuration gets; give at least ${c.trials}`
  ),
  Schema.filter((c) =>
    !c.fresh || c.db !== null || c.pgUrl !== null || "--fresh: needs --db PATH or --pg-url URL (the database whose batch to replace)"
  ),
  Schema.filter((c) =>
    !c.resume || c.db !== null || c.pgUrl !== null || "--resume: needs --db PATH or --pg-url URL (the database of the run to finish)"
  ),
  Schema.filter((c) => c.out === null || c.out.trim() !== "" || "--out: empty path"),
  Schema.filter((c) => c.db === null || c.db.trim() !== "" || "--db: empty path")
).pipe(
  // The store, its pool and the workers (a second pipe: one takes at most twenty steps).
  Schema.filter((c) => c.store === "postgres" || c.pgUrl === null || "--pg-url: needs --store postgres"),
  Schema.filter((c) =>
    c.store === "sqlite" || c.db === null || "--db: a SQLite file; with --store postgres, give --pg-url URL (or nothing: a throwaway server)"
  ),
  Schema.filter((c) => c.poolSize <= MAX_POOL_SIZE || `--pool-size ${c.poolSize}: at most ${MAX_POOL_SIZE}`),
  Schema.filter((c) => c.workers <= MAX_WORKERS || `--workers ${c.workers}: at most ${MAX_WORKERS}`),
  Schema.filter((c) => {
    const limited = c.customProfiles.find((p) => p.rateLimitPerMinute !== null && c.profiles.includes(p.name))
    return scaledOut(c) === null || limited === undefined ||
      `${scaledOut(c)}: profile '${limited.name}' has a rate limit, which one process counts for all actors; run it in one process`
  }),
  Schema.filter((c) => scaledOut(c) === null || c.trace === null || `--trace: one process's actors; not with ${scaledOut(c)}`),
  Schema.filter((c) => c.otlp === null || otlpUrlProblem(c.otlp) === null || `--otlp ${c.otlp}: ${otlpUrlProblem(c.otlp)}`),
  Schema.filter((c) =>
    c.metricsPort === null || c.workers === 1 || c.metricsPort + c.workers <= 65535 ||
    `--metrics-port ${c.metricsPort}: with --workers ${c.workers}, the runners' endpoints take the ports after it, beyond 65535`
  ),
  Schema.filter((c) => scaledOut(c) === null || !c.resume || `--resume: finishes the batch in this process; not with ${scaledOut(c)}`),
  Schema.filter((c) => c.runners.length === 0 || c.workers === 1 || "--runners and --workers: choose one (runners on other hosts, or N on this one)"),
  Schema.filter((c) =>
    c.runners.length === 0 || (c.store === "postgres" && c.pgUrl !== null) ||
    "--runners: runners on other hosts share one PostgreSQL server: give --pg-url URL (a SQLite file is one machine's, the throwaway server listens on this host only)"
  ),
  Schema.filter((c) =>
    c.runners.length === 0 || c.clusterUrl !== null ||
    "--runners: needs --cluster-url URL, the database the runners were started with (upload-fsm-bench runner --cluster-url)"
  ),
  Schema.filter((c) => c.clusterUrl === null || c.runners.length > 0 || "--cluster-url: only with --runners"),
  Schema.filter((c) =>
    c.clusterUrl === null || (isPostgresUrl(c.clusterUrl) && c.clusterUrl !== c.pgUrl) ||
    "--cluster-url: a PostgreSQL connection URL of a database of its own, not the one measured (--pg-url)"
  ),
  Schema.filter((c) => c.pgUrl === null || c.pgUrl.trim() !== "" || "--pg-url: empty URL"),
  // Not echoed back: a URL that cannot be parsed cannot have its password redacted either.
  Schema.filter((c) =>
    c.pgUrl === null || isPostgresUrl(c.pgUrl) ||
    "--pg-url: not a PostgreSQL connection URL (postgresql://USER:PASSWORD@HOST:PORT/DATABASE)"
  )
)
export type BenchConfig = typeof BenchConfig.Type

/** The flag that spreads a run over processes (`--workers N`, `--runners`), or null for one process. */
export const scaledOut = (c: { readonly workers: number; readonly runners: ReadonlyArray<string> }): string | null =>
  c.runners.length > 0 ? "--runners" : c.workers > 1 ? `--workers ${c.workers}` : null

/** The processes a run's actors run in at most: its runners, or its workers. */
export const processesOf = (c: { readonly workers: number; readonly runners: ReadonlyArray<string> }): number => Math.max(c.workers, c.runners.length)
