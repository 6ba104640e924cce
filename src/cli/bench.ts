/**
 * `bench`: the benchmark's command. Flags → BenchConfig (the cross-field
 * rules are the config Schema's filters) → the run → the result files and
 * the terminal report → the exit code.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import process from "node:process"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { Scenarios } from "../actor/scenario.ts"
import { type LatencyProfile, parseProfile } from "../api/profiles.ts"
import { silent } from "../bench/progress.ts"
import { BenchConfig, LadderModes, MAX_POOL_SIZE, MAX_WORKERS, processesOf, Stores } from "../bench/config.ts"
import { addressText, parseAddress } from "../cluster/address.ts"
import { type Collected, collector, documentOf, measureBench, type Target } from "../bench/execute.ts"
import { planOf } from "../bench/plan.ts"
import { batchIn, resumeBatch, resumeLines } from "../bench/resume.ts"
import type { BatchSummary } from "../store/store.ts"
import { ClockModes } from "../clock/apiClock.ts"
import { MITIGATION_NAME } from "../mitigations/define.ts"
import { builtInMitigations, builtInRegistry, MitigationRegistry, orderSet, type Registry, unmetRequirement } from "../mitigations/registry.ts"
import { probeMitigations } from "../mitigations/probe.ts"
import { type Exporter, outputFiles } from "../report/exporter.ts"
import { wrapText } from "../report/wrap.ts"
import { fileExporters, terminalExporter } from "../report/exporters.ts"
import { checkNewFile, prepareOutDir, type Reservation, reserveNames, writeNewFile } from "../results/files.ts"
import { traceJson } from "../report/trace.ts"
import type { TelemetryUnavailable } from "../telemetry/telemetry.ts"
import { watchedBy } from "../telemetry/watched.ts"
import { asksToWatch, endpointLine, runnerWatch, startWatching, watchFlags, type WatchSpec } from "./watch.ts"
import type { ResultsDocument } from "../results/schema.ts"
import { checkDatabasePath, DatabasePathError, lockDatabase, temporaryDatabase } from "../sqlite/dbFile.ts"
import { connectionsNeeded, redacted } from "../postgres/common.ts"
import { SCHEMA_VERSION } from "../store/schema.ts"
import { corruption } from "../store/store.ts"
import { Driver } from "../drivers/driver.ts"
import { AllDrivers, driverLayer, Drivers, threaded } from "../drivers/all.ts"
import { endLine, processCost } from "../metrics/processCost.ts"
import { choice, integer, integerProblem, list, noiseFlag, number, on, optionsOf, rangeText, text, type Values } from "./flags.ts"
import { EXIT, subcommand, usageError } from "./program.ts"
import { terminalProgress } from "./progress.ts"
import { CommandConfig } from "./config.ts"
import { hearSignals, stopSignal } from "./signals.ts"

const onDeno = "Deno" in globalThis

const QUICK_DELAY = 0.05

/**
 * Upper bounds, so that a slip of the keyboard is one line, not a full disk
 * or a crash: a million files is a database of about 0.6 GB (extrapolated
 * from 10,000 files' 5.8 MB), seeded in one transaction; 10,000 concurrent actors is far past where the answers
 * change (the reference runs stop at 50); a day per API call or per backoff
 * is beyond any real API, and the clocks count in integer nanoseconds.
 */
const MAX_FILES = 1_000_000
const MAX_CONCURRENCY = 10_000
const MAX_SECONDS = 86_400
const MAX_THRESHOLD = 1e9
/** A batch held open for more transitions than this is no batching a writer would do (and locks the store for long). */
const MAX_BATCH = 100_000
/** More upload attempts than this per file is a retry loop, not a policy. */
const MAX_ATTEMPTS = 100

/**
 * Counted trials per configuration by default: five at c=10, where both
 * thresholds, the ladder's intervals and the contrast are judged; three at
 * the other levels, which feed the scaling slope and the c=50 bottleneck.
 * The trade that keeps the default run near two minutes on the threaded
 * driver (docs/running.md, "How long a run takes").
 */
const TRIALS_AT_COMPARISON = 5
const TRIALS_ELSEWHERE = 3

export const benchFlags = {
  files: integer("files", {
    group: "workload",
    description: "files (actors) per configuration",
    bounds: { min: 1, max: MAX_FILES },
    fallback: 818
  }),
  concurrency: list("concurrency", {
    group: "workload",
    description: "concurrency levels",
    item: (part) => {
      const problem = integerProblem(part, { min: 1, max: MAX_CONCURRENCY })
      return problem === null ? Either.right(Number(part)) : Either.left(problem)
    },
    range: `${rangeText({ min: 1, max: MAX_CONCURRENCY })}; at most ` +
      AllDrivers.flatMap((d) => (d.maxConcurrency === null ? [] : [`${d.maxConcurrency.limit} on ${d.name}`])).join(", ") +
      "; with --workers on SQLite, every process's connections count",
    fallback: "1,10,50"
  }),
  profiles: list("profiles", {
    group: "workload",
    description: "latency profiles: zero, realistic, and the --profile-file's",
    item: (part) => /^[a-z][a-z0-9-]{0,39}$/.test(part) ? Either.right(part) : Either.left(`'${part}' is not a profile name`),
    fallback: undefined,
    shown: "zero,realistic and the profile file's"
  }),
  profileFile: text("profile-file", {
    group: "workload",
    pseudo: "PATH",
    description: "a JSON file defining one more latency profile (see docs/workload.md)",
    fallback: undefined
  }),
  profile: text("profile", { group: "workload", pseudo: "JSON", description: "the same profile given inline", fallback: undefined }),
  realisticDelay: number("realistic-delay", {
    group: "workload",
    description: "seconds per API call in the realistic profile",
    bounds: { min: 0, max: MAX_SECONDS },
    unit: " s",
    fallback: undefined,
    shown: `2.0; ${QUICK_DELAY} with --quick`
  }),
  quick: on("quick", { group: "workload", description: `shorthand for --realistic-delay ${QUICK_DELAY}` }),
  scenario: choice("scenario", Scenarios, {
    group: "workload",
    description: "reupload: indexed files are reset or found broken and go round again",
    fallback: "happy"
  }),
  seed: integer("seed", {
    group: "workload",
    description: "seed of every random choice; recorded in the results",
    bounds: {},
    fallback: 42
  }),
  store: choice("store", Stores, {
    group: "workload",
    description: "where lifecycle state is kept: a SQLite file, or a PostgreSQL server (see docs/stores.md)",
    fallback: undefined,
    shown: "sqlite; postgres with --pg-url"
  }),
  pgUrl: text("pg-url", {
    group: "workload",
    pseudo: "URL",
    description: "with --store postgres: a server of yours (postgresql://…); only a database this tool created, or an empty one, is used",
    fallback: undefined,
    shown: "a throwaway server the run starts and removes"
  }),
  poolSize: integer("pool-size", {
    group: "workload",
    description: "connections behind the shared-connection mitigation",
    bounds: { min: 1, max: MAX_POOL_SIZE },
    fallback: 1
  }),
  workers: integer("workers", {
    group: "workload",
    description: "OS processes the actors run in, sharing the files and the one store; a driver's " +
      `concurrency cap (threaded ${threaded.maxConcurrency?.limit ?? "none"}) counts all their connections (docs/scaling.md)`,
    bounds: { min: 1, max: MAX_WORKERS },
    fallback: 1
  }),
  runners: list("runners", {
    group: "workload",
    description: "runners on other hosts (each an `upload-fsm-bench runner`) running the actors on --pg-url's server " +
      "(docs/scaling.md)",
    item: (part) => Either.map(parseAddress(part), addressText),
    fallback: undefined,
    shown: "none",
    range: "HOST:PORT"
  }),
  clusterUrl: text("cluster-url", {
    group: "workload",
    pseudo: "URL",
    description: "with --runners: the PostgreSQL database the runners were started with (the cluster's state); " +
      "never --pg-url's",
    fallback: undefined,
    shown: "none"
  }),
  driver: choice("driver", Drivers, {
    group: "workload",
    description: "what runs the SQLite connections (see docs/methodology.md, Drivers)",
    fallback: undefined,
    shown: "threaded (on node:sqlite under Deno)"
  }),
  contrast: choice("contrast", [...Drivers, "off"], {
    group: "workload",
    description: "another driver, measured at c=10 zero only, beside the run's for contrast",
    fallback: undefined,
    shown: "with threaded: better-sqlite3 (node-sqlite under Deno), else off"
  }),
  clock: choice("clock", ClockModes, {
    group: "workload",
    description: "warp: skip API waits when every actor waits (simulated time); real: wait them out",
    fallback: "warp"
  }),
  db: text("db", {
    group: "workload",
    pseudo: "PATH",
    description: "database to run on; one this tool did not create is refused",
    fallback: undefined,
    shown: "a temporary file"
  }),
  fresh: on("fresh", { group: "workload", description: "with --db: replace the batch the database holds with this run's" }),
  resume: on("resume", {
    group: "workload",
    description: "with --db: finish the batch of a run that died (at the first --concurrency and --profiles), check it, exit"
  }),
  trials: integer("trials", {
    group: "statistics",
    description: "counted trials per configuration",
    bounds: { min: 1, max: 1000 },
    fallback: undefined,
    shown: `${TRIALS_AT_COMPARISON} at c=10, ${TRIALS_ELSEWHERE} elsewhere`
  }),
  warmup: integer("warmup", {
    group: "statistics",
    description: "discarded warm-up trials before them",
    bounds: { min: 0, max: 1000 },
    fallback: 1
  }),
  noise: noiseFlag,
  thresholdZero: number("threshold-zero", {
    group: "gate",
    description: "Threshold 1: zero profile, c=10, limit in seconds",
    bounds: { above: 0, max: MAX_THRESHOLD },
    unit: " s",
    fallback: 300
  }),
  thresholdRealistic: number("threshold-realistic", {
    group: "gate",
    description: "Threshold 2: realistic profile, c=10, limit in seconds",
    bounds: { above: 0, max: MAX_THRESHOLD },
    unit: " s",
    fallback: 21_600
  }),
  mitigations: list("mitigations", {
    group: "gate",
    description: `applied together to every configuration: ${builtInMitigations.map((m) => m.name).join(", ")}, or a config file's`,
    item: (part) => MITIGATION_NAME.test(part) ? Either.right(part) : Either.left(`'${part}' is not a mitigation name`),
    fallback: undefined,
    shown: "none"
  }),
  ladder: choice("ladder", LadderModes, {
    group: "gate",
    description: "mitigation ladder at c=10 zero: stop at the first step meeting Threshold 1, every step, or none",
    fallback: undefined,
    shown: "full; off with --mitigations",
    bare: "first"
  }),
  batchSize: integer("batch-size", {
    group: "gate",
    description: "transitions per commit with batched-writes",
    bounds: { min: 1, max: MAX_BATCH },
    fallback: 10
  }),
  failBatch: integer("fail-batch", {
    group: "faults",
    pseudo: "K",
    description: "the K-th batch commit of every batched run fails; the run recovers",
    bounds: { min: 1, max: 3 * MAX_FILES },
    fallback: undefined
  }),
  maxAttempts: integer("max-attempts", {
    group: "faults",
    description: "upload attempts per file before a failed file stays failed",
    bounds: { min: 1, max: MAX_ATTEMPTS },
    fallback: 3
  }),
  retryBase: number("retry-base", {
    group: "faults",
    description: "first retry backoff in seconds, doubling, jittered",
    bounds: { above: 0, max: MAX_SECONDS },
    unit: " s",
    fallback: 1
  }),
  config: text("config", {
    group: "workload",
    pseudo: "PATH",
    description: "a config file of your own mitigations, ladder, profiles and defaults (see docs/mitigations.md)",
    fallback: undefined,
    shown: "upload-fsm-bench.config.ts (or .mts, .mjs, .js) in the working directory, if there"
  }),
  out: text("out", { group: "output", pseudo: "DIR", description: "folder for the result files", fallback: "results" }),
  json: on("json", { group: "output", description: "print the result document on stdout and nothing else there" }),
  wide: on("wide", { group: "output", description: "every column of the tables and one line per fact (beyond 80 columns)" }),
  trace: text("trace", {
    group: "output",
    pseudo: "FILE",
    description: "write a Perfetto/Chrome trace of one trial (c=10 zero's first counted) to FILE, a new file",
    fallback: undefined
  }),
  ...watchFlags
}

export type BenchValues = Values<typeof benchFlags>

const readProfile = (values: BenchValues) =>
  values.profile !== undefined && values.profileFile !== undefined
    ? Either.left("--profile and --profile-file: give one profile, not both")
    : values.profile !== undefined
    ? parseProfile("--profile", values.profile)
    : values.profileFile === undefined
    ? Either.right(null)
    : Either.flatMap(
      Either.try({
        try: () => fs.readFileSync(values.profileFile ?? "", "utf8"),
        catch: (cause) => `--profile-file ${values.profileFile}: cannot read (${cause instanceof Error ? cause.message : String(cause)})`
      }),
      (body) => parseProfile(`--profile-file ${values.profileFile}`, body)
    )

/** What a run's configuration is checked against: its registry, and its config file's profiles. */
export interface Registered {
  readonly registry: Registry
  readonly profiles: ReadonlyArray<LatencyProfile>
}

/** The configuration from the flags' values; the one-line message of the first rule broken. */
export const configOf = (values: BenchValues, registered: Registered = { registry: builtInRegistry, profiles: [] }): Either.Either<BenchConfig, string> => {
  const store = values.store ?? (values.pgUrl === undefined ? "sqlite" : "postgres")
  const driver = values.driver ?? (store === "postgres" ? "postgres" : "threaded")
  // Local runners keep the cluster's state in SQLite through better-sqlite3, which Deno cannot load.
  if (onDeno && values.workers > 1) {
    return Either.left(`--workers ${values.workers}: not under Deno (the runners' cluster storage needs better-sqlite3); run it under Node`)
  }
  const mitigations = Either.flatMap(
    Either.mapLeft(orderSet(registered.registry, values.mitigations ?? []), (e) => `--mitigations: ${e}`),
    (set) => {
      const unmet = unmetRequirement(registered.registry, set)
      return unmet === null ? Either.right(set) : Either.left(`--mitigations: ${unmet}`)
    }
  )
  return Either.flatMap(Either.all([readProfile(values), mitigations]), ([customProfile, mitigations]) => {
    const customProfiles = [...registered.profiles, ...(customProfile === null ? [] : [customProfile])]
    return Schema.decodeUnknownEither(BenchConfig)({
      files: values.files,
      concurrency: [...values.concurrency].sort((a, b) => a - b),
      profiles: values.profiles ?? ["zero", "realistic", ...customProfiles.map((p) => p.name)],
      customProfiles,
      realisticDelaySeconds: values.realisticDelay ?? (values.quick ? QUICK_DELAY : 2.0),
      quick: values.quick,
      seed: values.seed,
      db: values.db ?? null,
      fresh: values.fresh,
      resume: values.resume,
      out: values.out,
      thresholdZeroSeconds: values.thresholdZero,
      thresholdRealisticSeconds: values.thresholdRealistic,
      json: values.json,
      wide: values.wide,
      trace: values.trace ?? null,
      metricsPort: values.metricsPort ?? null,
      metricsHost: values.metricsHost,
      otlp: values.otlp ?? null,
      mitigations,
      ladder: values.ladder ?? (values.mitigations === undefined ? "full" : "off"),
      trials: values.trials ?? TRIALS_AT_COMPARISON,
      otherTrials: values.trials ?? TRIALS_ELSEWHERE,
      warmup: values.warmup,
      noise: values.noise,
      batchSize: values.batchSize,
      failBatch: values.failBatch ?? null,
      clock: values.clock,
      scenario: values.scenario,
      maxAttempts: values.maxAttempts,
      retryBaseSeconds: values.retryBase,
      store,
      pgUrl: values.pgUrl ?? null,
      poolSize: values.poolSize,
      workers: values.workers,
      runners: values.runners ?? [],
      clusterUrl: values.clusterUrl ?? null,
      driver,
      // The inline driver of the same engine as the threaded one's threads: better-sqlite3, or node:sqlite under Deno.
      contrast: values.contrast === "off" ? null : values.contrast ?? (driver === "threaded" ? (onDeno ? "node-sqlite" : "better-sqlite3") : null)
    }).pipe(Either.mapLeft((error) => ParseResult.ArrayFormatter.formatErrorSync(error)[0]?.message ?? "invalid configuration"))
  })
}

/** The exporters' files written; a body already rendered (by exporter name) is not rendered again. */
const write = (
  doc: ResultsDocument,
  exporters: ReadonlyArray<Exporter>,
  reserved: Reservation,
  rendered: ReadonlyMap<string, string | null> = new Map()
) =>
  Effect.forEach(exporters, (exporter) =>
    Effect.flatMap(rendered.has(exporter.name) ? Effect.succeed(rendered.get(exporter.name) ?? null) : exporter.render(doc), (body) =>
      body === null || exporter.file === null
        ? Effect.succeed([])
        : Effect.map(reserved.fill(exporter.file(reserved.suffix), body), (p) => [p]))).pipe(Effect.map((paths) => paths.flat()))

/** The document with the names of the files it will be written to (null for a run that writes none). */
const named = (doc: Omit<ResultsDocument, "files">, reserved: Reservation | null, report: boolean): ResultsDocument => ({
  ...doc,
  files: reserved === null ? null : outputFiles(fileExporters, reserved.suffix, { mitigation: doc.comparisons !== null, report })
})

/**
 * An interrupted run: the configurations it completed, written as a result
 * document marked partial (and its summary), and one line saying so. The
 * HTML report is left out: rendering it would hold the exit up by seconds.
 */
const writePartial = (
  config: BenchConfig,
  registry: Registry,
  target: Target & { readonly collected: Collected },
  exporters: ReadonlyArray<Exporter>,
  reserved: Reservation
) =>
  Effect.gen(function*() {
    const signal = stopSignal()
    const { environment, runs } = target.collected
    const planned = planOf(config, registry).cells.length
    if (environment === null || runs.length === 0) {
      return yield* Console.error(`interrupted (${signal}) before any configuration completed: nothing written`)
    }
    const doc = named(
      documentOf(config, target, { environment, runs, comparisons: null, contrast: null, partial: true }, registry),
      reserved,
      false
    )
    const written = yield* write(doc, exporters.filter((e) => e.name !== "report"), reserved)
    yield* Console.error(
      `interrupted (${signal}) after ${runs.length} of ${planned} configurations; partial results (marked "partial": true) ` +
        `in ${written.join(", ")}`
    )
  }).pipe(Effect.catchAll((e) => Console.error(`interrupted (${stopSignal()}); partial results not written: ${e.message}`)))

/** Where the files went: the folder once, then the names (wrapped within 80 columns unless --wide). */
const writtenLine = (dir: string, paths: ReadonlyArray<string>, wide: boolean) => {
  const line = `written in ${dir}: ` +
    paths.map((p) => (path.dirname(p) === path.normalize(dir) ? path.basename(p) : p)).join(", ")
  return wide ? line : wrapText(line, 80, 2).join("\n")
}

/**
 * An existing `--db` database of ours, checked by SQLite itself before any
 * run writes to it: a corrupt one is refused (exit 2), not run into an error
 * halfway (exit 3). Opening it changes nothing: ours is in WAL mode already.
 */
const checkStructure = (file: string) =>
  Effect.gen(function*() {
    if ((fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0) === 0) return
    const driver = yield* Driver
    const problem = yield* Effect.scoped(
      Effect.flatMap(driver.open(file), corruption).pipe(
        Effect.catchAll((error) => Effect.succeed(String(error.cause instanceof Error ? error.cause.message : error.message)))
      )
    )
    if (problem !== null) return yield* new DatabasePathError({ detail: `--db ${file}: is corrupt (${problem}); refusing to use it` })
  })

/** `--resume`: the batch finished and checked, a short report (or its JSON), exit 0 if integrity held, else 3. */
const resume = (config: BenchConfig, db: string, label: string, held: BatchSummary) =>
  Effect.gen(function*() {
    const unfinished = held.files - held.byState.indexed - held.byState.failed
    yield* Console.error(`resuming ${label}: ${unfinished} of ${held.files} files not finished`)
    const report = yield* resumeBatch(config, db).pipe(
      // What was committed stays committed: the batch is as far as it got, and another --resume takes it on from there.
      Effect.onInterrupt(() =>
        Console.error(`interrupted (${stopSignal()}) while resuming ${label}: what it committed stays; --resume again finishes the batch`)
      )
    )
    yield* config.json ? Console.log(JSON.stringify(report, null, 2)) : Console.log(resumeLines(label, report).join("\n"))
    return report.integrity.ok ? EXIT.ok : EXIT.failure
  })

/** How a run shows itself: the terminal report (the CLI), or nothing at all (`runBench`). */
export type Presentation = "terminal" | "quiet"

/** A run carried out: its exit code, and its document (null for --resume, which has none). */
export interface BenchOutcome {
  readonly code: number
  readonly doc: ResultsDocument | null
}

/**
 * The run of a configuration with a registry: the store checked, the
 * matrix measured, the files written (unless `config.out` is null), the
 * report shown (unless quiet).
 */
export const benchRun = (config: BenchConfig, registry: Registry, presentation: Presentation = "terminal") =>
  Effect.gen(function*() {
    const quiet = presentation === "quiet"
    // Watching the run (--metrics-port, --otlp): the endpoint listens (and the collector is reached) before the run
    // starts, and closes when it ends.
    const watch: WatchSpec = {
      metrics: config.metricsPort === null ? null : { host: config.metricsHost, port: config.metricsPort },
      otlp: config.otlp
    }
    const [first, last] = [runnerWatch(watch, 0).metrics, runnerWatch(watch, config.workers - 1).metrics]
    const runnersAt = config.workers > 1 && first !== null && last !== null ? `; its runners' at ports ${first.port}-${last.port}` : ""
    const listening = watch.metrics === null || quiet ? Effect.void : Console.error(`${endpointLine(watch.metrics)}${runnersAt}`)
    const watched = <A, E, R>(run: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | TelemetryUnavailable, R> =>
      !asksToWatch(watch) ? effect : Effect.scoped(
        Effect.flatMap(
          Effect.zipLeft(startWatching(watch, { "upload_fsm.run": run, "upload_fsm.driver": config.driver }), listening),
          (watching) => watchedBy(watching)(effect)
        )
      )
    // A config's own mitigations are built once first: one that cannot be is bad input, before anything runs.
    if (config.store === "sqlite" && !config.resume) {
      const problem = yield* probeMitigations(registry, { batchSize: config.batchSize, poolSize: config.poolSize })
      if (problem !== null) {
        return yield* Effect.fail(usageError(registry.configPath === null ? problem : `config ${registry.configPath}: ${problem}`))
      }
    }
    // The contrast driver is built up front: one that cannot load is refused before anything runs.
    // --resume runs no matrix, and so no contrast.
    const contrast = config.contrast === null || config.resume
      ? null
      : { name: config.contrast, context: yield* Layer.build(driverLayer(config.contrast, "--contrast")) }
    // The database: a Postgres server's (--pg-url's, checked here; a throwaway one, started once the flags are all
    // found good), or a SQLite file (--db's, checked here, or a temporary one).
    const startPostgres = Effect.flatMap(
      // Loaded only for a run on Postgres: node-postgres is no SQLite run's business.
      Effect.promise(() => import("../postgres/target.ts")),
      ({ postgresTarget }) =>
        postgresTarget(
          config.pgUrl,
          connectionsNeeded({ concurrency: Math.max(...config.concurrency), workers: processesOf(config), poolSize: config.poolSize })
        )
    )
    const users = config.store === "postgres" && config.pgUrl !== null ? yield* startPostgres : null
    if (config.store === "sqlite" && config.db !== null) {
      yield* checkDatabasePath(config.db, SCHEMA_VERSION)
      yield* lockDatabase(config.db)
      yield* checkStructure(config.db)
    }
    // A database of the user's: the batch it holds is finished (--resume), replaced (--fresh), or a reason to refuse.
    const given = users !== null
      ? { flag: "--pg-url", path: users.url, label: users.label }
      : config.db === null
      ? null
      : { flag: "--db", path: config.db, label: config.db }
    if (given !== null) {
      // A new (or empty) SQLite file holds no batch: not opened, so a refusal leaves no file behind.
      const empty = given.flag === "--db" && (fs.statSync(given.path, { throwIfNoEntry: false })?.size ?? 0) === 0
      const held = empty ? null : yield* batchIn(given.path)
      if (config.resume) {
        if (held === null) return yield* new DatabasePathError({ detail: `${given.flag} ${given.label}: holds no batch to resume` })
        const started = new Date(yield* Clock.currentTimeMillis).toISOString()
        return { code: yield* watched(started, resume(config, given.path, given.label, held)), doc: null } satisfies BenchOutcome
      }
      if (held !== null && !config.fresh) {
        const unfinished = held.files - held.byState.indexed - held.byState.failed
        return yield* new DatabasePathError({
          detail: `${given.flag} ${given.label}: holds a batch of ${held.files} files (${unfinished} not finished); ` +
            "--fresh replaces it with this run's, --resume finishes it"
        })
      }
    }
    if (config.out !== null) yield* prepareOutDir(config.out)
    if (config.trace !== null) yield* checkNewFile("--trace", config.trace)
    const postgres = config.store !== "postgres" ? null : users ?? (yield* startPostgres)
    const dbPath = postgres?.url ?? config.db ?? (yield* temporaryDatabase)
    const dbLabel = postgres?.label ?? config.db ?? "temporary"
    const createdAt = new Date(yield* Clock.currentTimeMillis).toISOString()
    const exporters = Object.values(fileExporters)
    const out = config.out
    const reserved = out === null
      ? null
      : yield* reserveNames(out, createdAt, (s) => exporters.flatMap((e) => (e.file === null ? [] : [e.file(s)])))
    // The runners, started once for the whole run (each loads the tool, its driver and the config file); the
    // cluster's modules load only for a run that has them.
    const workers = config.runners.length > 0 && config.clusterUrl !== null
      ? yield* Effect.flatMap(
        Effect.promise(() => import("../cluster/remote.ts")),
        ({ remoteCluster }) => Layer.build(remoteCluster(config.runners, config.clusterUrl ?? ""))
      )
      : config.workers > 1
      ? yield* Effect.flatMap(
        Effect.promise(() => import("../cluster/local.ts")),
        ({ localCluster }) => Layer.build(localCluster(config.workers, config.driver, registry.configPath, watch))
      )
      : null
    const target = { dbPath, dbLabel, createdAt, trace: config.trace !== null, spans: config.otlp !== null, collected: collector(), contrast }
    const measured = yield* watched(createdAt, measureBench(config, target)).pipe(
      workers === null ? (run) => run : Effect.provide(workers),
      // A live line only for a person watching a terminal; logs and --json stay clean.
      Effect.provide(
        quiet ? silent : terminalProgress({ live: process.stderr.isTTY === true && process.stdout.isTTY === true && !config.json })
      ),
      Effect.onInterrupt(() => reserved === null ? Effect.void : writePartial(config, registry, target, exporters, reserved))
    )
    const doc = named(measured.doc, reserved, true)
    // The HTML report is rendered first (seconds, interruptible); then every file is written at once, uninterruptibly,
    // so that a document never names a file that is not there. Interrupted while rendering, the results are written
    // without the report, and a line says so.
    if (reserved !== null && !quiet) yield* Console.error(`measured; writing the results and the HTML report in ${out}`)
    const report = reserved === null ? null : yield* fileExporters.report.render(doc).pipe(
      // A signal that came while the report rendered (its libraries load synchronously) is heard before the files are written.
      Effect.zipLeft(hearSignals),
      Effect.onInterrupt(() =>
        Effect.flatMap(
          write(named(measured.doc, reserved, false), exporters.filter((e) => e.name !== "report"), reserved),
          (paths) => Console.error(`interrupted (${stopSignal()}) while rendering the HTML report: the results are complete without it, in ${paths.join(", ")}`)
        ).pipe(Effect.catchAll((e) => Console.error(`interrupted (${stopSignal()}); results not written: ${e.message}`))))
    )
    const written = yield* Effect.uninterruptible(Effect.map(
      Effect.all([
        reserved === null ? Effect.succeed([]) : write(doc, exporters, reserved, new Map([[fileExporters.report.name, report]])),
        config.trace === null || measured.trace === null ? Effect.succeed([]) : Effect.map(writeNewFile(config.trace, traceJson(measured.trace)), (p) => [p])
      ]),
      (lists) => lists.flat()
    ))
    // Written: an interruption from here on says where the results are.
    yield* Effect.addFinalizer((exit) =>
      Exit.isInterrupted(exit) ? Console.error(`interrupted (${stopSignal()}) after the results were written: ${written.join(", ")}`) : Effect.void
    )
    if (!quiet && config.json) {
      yield* Console.log(((yield* fileExporters.results.render(doc)) ?? "").trimEnd())
      yield* Console.error(`written: ${written.join(", ")}`)
    } else if (!quiet) {
      const terminal = terminalExporter({ wide: config.wide, color: process.stdout.isTTY === true })
      yield* Console.log(`${(yield* terminal.render(doc)) ?? ""}\n\n${writtenLine(out ?? "", written, config.wide)}`)
    }
    yield* Effect.flatMap(processCost, (c) => Effect.logDebug(endLine(c)))
    const code = !doc.integrity.ok ? EXIT.failure : doc.gate.verdict === "PASS" ? EXIT.ok : EXIT.no
    // One that came while the files were written is heard while the line saying where they are still applies.
    yield* hearSignals
    return { code, doc } satisfies BenchOutcome
  }).pipe(
    Effect.provideService(MitigationRegistry, registry),
    Effect.scoped,
    Effect.provide(driverLayer(config.driver)),
    Effect.catchTags({
      DatabasePathError: (e) => Effect.fail(usageError(e.message)),
      OutputError: (e) => Effect.fail(usageError(e.message)),
      ForeignDatabase: (e) =>
        Effect.fail(usageError(config.store === "postgres"
          ? `--pg-url ${redacted(config.pgUrl ?? "")}: ${e.message}`
          : `--db ${config.db ?? ""}: ${e.message}`)),
      DriverUnavailable: (e) => Effect.fail(usageError(e.message)),
      PostgresUnavailable: (e) => Effect.fail(usageError(e.message)),
      ClusterUnavailable: (e) => Effect.fail(usageError(e.message)),
      TelemetryUnavailable: (e) => Effect.fail(usageError(e.message))
    })
  )

export const benchCommand = subcommand(
  {
    name: "bench",
    summary: "run the matrix, the mitigation ladder and the gate",
    flags: benchFlags,
    positional: 0,
    help: {
      usage: "[flags]",
      about: "Measure a file-upload lifecycle FSM persisted to SQLite (or PostgreSQL) with optimistic concurrency: the original plan's matrix " +
        "(concurrency 1, 10, 50 × profiles zero and realistic), the bottleneck, the mitigation ladder, and the VLID-06 gate " +
        "verdict (the original plan's validation gate) against Threshold 1 (zero, c=10) and Threshold 2 (realistic, c=10).",
      footer: ["Exit codes: 0 gate PASS · 1 gate FAIL or INCOMPLETE · 2 bad input · 3 integrity failure or error · 130 interrupted."]
    }
  },
  optionsOf(benchFlags),
  (values) =>
    Effect.flatMap(CommandConfig, (loaded) =>
      Either.match(configOf(values, loaded), {
        onLeft: (e) => Effect.fail(usageError(e)),
        onRight: (config) => Effect.map(benchRun(config, loaded.registry), (outcome) => outcome.code)
      }))
)
