/**
 * The benchmark's command line. Only wiring: flags → BenchConfig, the driver
 * layer, the database file, the reports, the exit code.
 *
 * Exit codes: 0 gate PASS · 1 gate FAIL or INCOMPLETE · 2 bad input ·
 * 3 integrity failure or runtime error.
 */
import { Command, Options, ValidationError } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import * as fs from "node:fs"
import process from "node:process"
import { Cause, Clock, Console, Effect, Either, Exit, type Layer, Option } from "effect"
import type { SqliteDriver } from "../src/sqlite/driver.ts"
import { type BenchConfig, DEFAULTS, parseConfig } from "../src/config.ts"
import { runBench } from "../src/gate/bench.ts"
import { Mitigations } from "../src/actor/strategy.ts"
import { consoleReport } from "../src/report/console.ts"
import { chooseNames, mitigationDocument, prepareOutDir, toJson, writeNew } from "../src/report/json.ts"
import { progressLine } from "../src/report/progress.ts"
import { summaryMarkdown } from "../src/report/summary.ts"
import { checkDatabasePath, temporaryDatabase } from "../src/sqlite/dbFile.ts"
import * as BetterSqlite from "../src/sqlite/betterSqlite.ts"
import * as NodeSqlite from "../src/sqlite/nodeSqlite.ts"
import * as Threaded from "../src/sqlite/threaded.ts"

const EXIT = { pass: 0, gateNotPassed: 1, badInput: 2, failure: 3 } as const

const text = (name: string, pseudo: string, description: string, fallback: string) =>
  Options.text(name).pipe(
    Options.withPseudoName(pseudo),
    Options.withDescription(`${description} (default: ${fallback})`),
    Options.withDefault(fallback)
  )

const options = {
  files: text("files", "N", "number of files (actors) per configuration", String(DEFAULTS.files)),
  concurrency: text("concurrency", "LIST", "comma-separated concurrency levels", DEFAULTS.concurrency),
  profiles: Options.text("profiles").pipe(
    Options.withPseudoName("LIST"),
    Options.withDescription(
      `comma-separated latency profiles: zero, realistic, and the --profile-file's (default: ${DEFAULTS.profiles}, ` +
        "plus the profile file's)"
    ),
    Options.optional
  ),
  profile: Options.text("profile").pipe(
    Options.withPseudoName("JSON"),
    Options.withDescription("the same as --profile-file, the profile given inline as JSON"),
    Options.optional
  ),
  profileFile: Options.text("profile-file").pipe(
    Options.withPseudoName("PATH"),
    Options.withDescription(
      "a JSON file defining one more latency profile: name, a latency model per call type (upload, import: " +
        "constant, normal or lognormal) and an optional rateLimitPerMinute"
    ),
    Options.optional
  ),
  realisticDelay: Options.text("realistic-delay").pipe(
    Options.withPseudoName("S"),
    Options.withDescription(
      `seconds per API call in the realistic profile (default: ${DEFAULTS.realisticDelaySeconds}, or ` +
        `${DEFAULTS.quickRealisticDelaySeconds} with --quick)`
    ),
    Options.optional
  ),
  quick: Options.boolean("quick").pipe(
    Options.withDescription(`shorthand for --realistic-delay ${DEFAULTS.quickRealisticDelaySeconds} (an explicit --realistic-delay wins)`)
  ),
  seed: text("seed", "N", "seed of every random choice (ids, seeded rows)", String(DEFAULTS.seed)),
  db: Options.text("db").pipe(
    Options.withPseudoName("PATH"),
    Options.withDescription(
      "SQLite database to run on (default: a temporary file, removed afterwards). An existing file is used " +
        "only if this tool created it; anything else is refused and left untouched"
    ),
    Options.optional
  ),
  out: text("out", "DIR", "folder for result files", DEFAULTS.out),
  thresholdZero: text("threshold-zero", "S", "Threshold 1: zero profile, c=10, limit in seconds", String(DEFAULTS.thresholdZeroSeconds)),
  thresholdRealistic: text(
    "threshold-realistic",
    "S",
    "Threshold 2: realistic profile, c=10, limit in seconds",
    String(DEFAULTS.thresholdRealisticSeconds)
  ),
  json: Options.boolean("json").pipe(
    Options.withDescription("print the result document (JSON) on stdout and nothing else there")
  ),
  mitigations: Options.text("mitigations").pipe(
    Options.withPseudoName("LIST"),
    Options.withDescription(
      `comma-separated mitigations applied together to every configuration: ${Mitigations.join(", ")} ` +
        "(batched-writes needs in-memory-guards); compared against the baseline at c=10 zero (default: none)"
    ),
    Options.optional
  ),
  ladder: Options.text("ladder").pipe(
    Options.withPseudoName("first|full|off"),
    Options.withDescription(
      "walk the mitigation ladder at c=10 zero: 'first' (or --ladder alone) stops at the first step meeting " +
        "Threshold 1, 'full' measures every step, 'off' none (default: first, or off when --mitigations is given)"
    ),
    Options.optional
  ),
  trials: text("trials", "N", "counted trials of every configuration; figures are medians over them", String(DEFAULTS.trials)),
  warmup: text("warmup", "N", "discarded warm-up trials before the counted ones", String(DEFAULTS.warmup)),
  noise: text(
    "noise",
    "F",
    "a before/after change smaller than this fraction is never called improved or regressed",
    String(DEFAULTS.noise)
  ),
  batchSize: text("batch-size", "N", "transitions per commit with batched-writes", String(DEFAULTS.batchSize)),
  clock: text(
    "clock",
    "warp|real",
    "how API latency passes: 'warp' skips the time when every actor is waiting on the API (results in " +
      "simulated time); 'real' waits it out",
    DEFAULTS.clock
  ),
  scenario: text(
    "scenario",
    "happy|reupload",
    "'reupload': every fresh file, once indexed, is reset or found broken and goes through the lifecycle again",
    DEFAULTS.scenario
  ),
  maxAttempts: text("max-attempts", "N", "upload attempts per file before a failed file stays failed", String(DEFAULTS.maxAttempts)),
  retryBase: text(
    "retry-base",
    "S",
    "first backoff before a retry, in seconds (doubling per retry, jittered)",
    String(DEFAULTS.retryBaseSeconds)
  ),
  driver: Options.text("driver").pipe(
    Options.withPseudoName("NAME"),
    Options.withDescription(
      "SQLite driver: 'better-sqlite3' (every statement on the main thread), 'threaded' (each connection on its " +
        "own worker thread, so connections contend for the write lock for real) or 'node-sqlite' (built-in " +
        "node:sqlite; Deno, Node 22.5+) (default: better-sqlite3 on Node, node-sqlite on Deno)"
    ),
    Options.optional
  ),
  failBatch: Options.text("fail-batch").pipe(
    Options.withPseudoName("K"),
    Options.withDescription(
      "fault injection: the K-th batch commit of every batched-writes run fails and rolls back; the run then " +
        "recovers the files it left inconsistent (default: none)"
    ),
    Options.optional
  )
}

const badInput = (message: string) =>
  Effect.zipRight(Console.error(`error: ${message}`), Effect.sync(() => (process.exitCode = EXIT.badInput)))


/** Rewrites one stderr line at most four times a second; clears it when the trial ends. */
const terminalProgress = (label: string) => {
  let last = 0
  return (done: number, total: number, elapsedMs: number) =>
    Effect.sync(() => {
      const now = performance.now()
      if (done === total) process.stderr.write("\r\x1b[K")
      else if (now - last >= 250) {
        last = now
        process.stderr.write(`\r\x1b[K${progressLine(label, done, total, elapsedMs)}`)
      }
    })
}

const onDeno = "Deno" in globalThis

const driverLayer = (name: BenchConfig["driver"]): Layer.Layer<SqliteDriver, NodeSqlite.DriverUnavailable> =>
  name === "threaded" ? Threaded.layer : name === "node-sqlite" ? NodeSqlite.layer : BetterSqlite.layer

const bench = (config: BenchConfig) =>
  Effect.gen(function*() {
    if (config.db !== null) yield* checkDatabasePath(config.db)
    yield* prepareOutDir(config.out)
    const dbPath = config.db ?? (yield* temporaryDatabase)
    const createdAt = new Date(yield* Clock.currentTimeMillis).toISOString()
    const files = yield* chooseNames(config.out, createdAt)
    const result = yield* runBench({
      config,
      dbPath,
      dbLabel: config.db ?? "temporary",
      createdAt,
      files,
      progress: Console.error,
      // A live line only for a person watching a terminal; logs and --json stay clean.
      fileProgress: process.stderr.isTTY === true && process.stdout.isTTY === true && !config.json ? terminalProgress : null
    })
    const mitigation = mitigationDocument(result)
    const written = [
      yield* writeNew(config.out, files.results, toJson(result)),
      ...(mitigation === null ? [] : [yield* writeNew(config.out, files.mitigation, toJson(mitigation))]),
      yield* writeNew(config.out, files.summary, summaryMarkdown(result))
    ]
    if (config.json) {
      yield* Effect.sync(() => process.stdout.write(toJson(result)))
      yield* Console.error(`written: ${written.join(", ")}`)
    } else {
      yield* Console.log(`${consoleReport(result)}\n\nwritten: ${written.join(", ")}`)
    }
    return !result.integrity.ok ? EXIT.failure : result.gate.verdict === "PASS" ? EXIT.pass : EXIT.gateNotPassed
  }).pipe(
    Effect.scoped,
    Effect.provide(driverLayer(config.driver)),
    Effect.flatMap((code) => Effect.sync(() => (process.exitCode = code))),
    Effect.catchTags({
      DatabasePathError: (e) => badInput(e.message),
      OutputError: (e) => badInput(e.message),
      ForeignDatabase: (e) => badInput(`--db ${config.db ?? ""}: ${e.message}`),
      DriverUnavailable: (e) => badInput(e.message)
    }),
    Effect.catchAllCause((cause) =>
      Effect.zipRight(
        Console.error(`error: ${Cause.isFailType(cause) ? cause.error.message : Cause.pretty(cause)}`),
        Effect.sync(() => (process.exitCode = EXIT.failure))
      )
    )
  )

const readProfile = (inline: string | undefined, path: string | undefined) =>
  inline !== undefined && path !== undefined
    ? Effect.fail("--profile and --profile-file: give one profile, not both")
    : inline !== undefined
    ? Effect.succeed({ source: "--profile", text: inline })
    : path === undefined
    ? Effect.succeed(undefined)
    : Effect.try({
      try: () => ({ source: `--profile-file ${path}`, text: fs.readFileSync(path, "utf8") }),
      catch: (cause) => `--profile-file ${path}: cannot read (${cause instanceof Error ? cause.message : String(cause)})`
    })

const command = Command.make("bench", options, (raw) =>
  Effect.flatMap(
    Effect.either(readProfile(Option.getOrUndefined(raw.profile), Option.getOrUndefined(raw.profileFile))),
    (profileFile) =>
  Either.isLeft(profileFile) ? badInput(profileFile.left) : Either.match(
    parseConfig({
      ...raw,
      profiles: Option.getOrUndefined(raw.profiles),
      driver: Option.getOrElse(raw.driver, () => (onDeno ? "node-sqlite" : DEFAULTS.driver)),
      profileFile: profileFile.right,
      realisticDelay: Option.getOrUndefined(raw.realisticDelay),
      db: Option.getOrUndefined(raw.db),
      mitigations: Option.getOrUndefined(raw.mitigations),
      ladder: Option.getOrUndefined(raw.ladder),
      failBatch: Option.getOrUndefined(raw.failBatch)
    }),
    { onLeft: (error) => badInput(error.message), onRight: bench }
  ))).pipe(
    Command.withDescription(
      "Benchmark a file-upload lifecycle FSM persisted to SQLite with optimistic concurrency, and give the VLID-06 gate verdict."
    )
  )

const cli = Command.run(command, { name: "upload-fsm-bench", version: "0.1.0" })

// `--ladder` may stand alone (meaning "first"); @effect/cli wants a value.
const argv = process.argv.flatMap((arg, i, all) =>
  arg === "--ladder" && !["first", "full", "off"].includes(all[i + 1] ?? "") ? ["--ladder", "first"] : [arg]
)

cli(argv).pipe(
  // @effect/cli has already printed what was wrong with the arguments.
  Effect.catchIf(ValidationError.isValidationError, () => Effect.sync(() => (process.exitCode = EXIT.badInput))),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    teardown: (exit, onExit) => onExit(Exit.isInterrupted(exit) ? 130 : Exit.isFailure(exit) ? EXIT.failure : 0)
  })
)
