/**
 * The benchmark's configuration: one validated value, built once from the
 * command line by `programs/bench.ts`; nothing below `programs/` reads argv or
 * the environment. Every rule a flag must meet lives here, with the one-line
 * message a user sees when it is broken.
 */
import { Array as Arr, Data, Either, Order, ParseResult, Schema } from "effect"
import { type ScenarioName, Scenarios } from "./actor/scenario.ts"
import { isMitigation, type Mitigation, Mitigations } from "./actor/strategy.ts"
import { BuiltInProfiles, LatencyProfile } from "./api/profiles.ts"
import { type ClockMode, ClockModes } from "./clock/apiClock.ts"


/** The SQLite drivers the CLI can run on (see src/sqlite/). */
export const Drivers = ["better-sqlite3", "threaded", "node-sqlite"] as const

export class BenchConfig extends Schema.Class<BenchConfig>("BenchConfig")({
  files: Schema.Int.pipe(Schema.positive()),
  concurrency: Schema.NonEmptyArray(Schema.Int.pipe(Schema.positive())),
  /** Profile names to run: built-ins and the profile file's. */
  profiles: Schema.NonEmptyArray(Schema.String),
  /** The profile read from --profile-file, if any. */
  customProfile: Schema.NullOr(LatencyProfile),
  realisticDelaySeconds: Schema.Number.pipe(Schema.nonNegative(), Schema.finite()),
  quick: Schema.Boolean,
  seed: Schema.Int,
  db: Schema.NullOr(Schema.String),
  out: Schema.String,
  thresholdZeroSeconds: Schema.Number.pipe(Schema.positive(), Schema.finite()),
  thresholdRealisticSeconds: Schema.Number.pipe(Schema.positive(), Schema.finite()),
  json: Schema.Boolean,
  /** Applied cumulatively to every configuration of the matrix. */
  mitigations: Schema.Array(Schema.Literal(...Mitigations)),
  ladder: Schema.Literal("first", "full", "off"),
  trials: Schema.Int.pipe(Schema.positive()),
  warmup: Schema.Int.pipe(Schema.nonNegative()),
  noise: Schema.Number.pipe(Schema.nonNegative(), Schema.finite()),
  batchSize: Schema.Int.pipe(Schema.positive()),
  failBatch: Schema.NullOr(Schema.Int.pipe(Schema.positive())),
  /** How API latency passes: skipped by the time warp, or waited in real time. */
  clock: Schema.Literal(...ClockModes),
  scenario: Schema.Literal(...Scenarios),
  /** Upload attempts per file before it stays failed. */
  maxAttempts: Schema.Int.pipe(Schema.positive()),
  /** First backoff of the retry policy, doubling per retry, jittered. */
  retryBaseSeconds: Schema.Number.pipe(Schema.positive(), Schema.finite()),
  /** Which SQLite driver provides the connections. */
  driver: Schema.Literal(...Drivers)
}) {}

export type DriverName = (typeof Drivers)[number]

export const DEFAULTS = {
  files: 818,
  concurrency: "1,10,50",
  profiles: "zero,realistic",
  realisticDelaySeconds: 2.0,
  quickRealisticDelaySeconds: 0.05,
  seed: 42,
  out: "results",
  thresholdZeroSeconds: 300,
  thresholdRealisticSeconds: 21_600,
  trials: 5,
  warmup: 1,
  noise: 0.05,
  batchSize: 10,
  clock: "warp",
  scenario: "happy",
  maxAttempts: 3,
  retryBaseSeconds: 1,
  driver: "better-sqlite3"
} as const

/** The flags as typed on the command line (numbers still text: their messages are ours). */
export interface RawOptions {
  readonly files: string
  readonly concurrency: string
  /** Undefined when not given: then the built-ins, and the profile file's profile if any. */
  readonly profiles: string | undefined
  /** --profile-file: its path and text, as read by the program. */
  /** Where the profile came from ("--profile" or "--profile-file PATH", for messages) and its text. */
  readonly profileFile: { readonly source: string; readonly text: string } | undefined
  readonly realisticDelay: string | undefined
  readonly quick: boolean
  readonly seed: string
  readonly db: string | undefined
  readonly out: string
  readonly thresholdZero: string
  readonly thresholdRealistic: string
  readonly json: boolean
  readonly mitigations: string | undefined
  /** `--ladder` alone is "first"; absent is undefined. */
  readonly ladder: string | undefined
  readonly trials: string
  readonly warmup: string
  readonly noise: string
  readonly batchSize: string
  readonly failBatch: string | undefined
  readonly clock: string
  readonly scenario: string
  readonly maxAttempts: string
  readonly retryBase: string
  readonly driver: string
}

export class ConfigError extends Data.TaggedError("ConfigError")<{ readonly detail: string }> {
  override get message(): string {
    return this.detail
  }
}

const fail = (detail: string) => Either.left(new ConfigError({ detail }))

const integer = (flag: string, text: string, min: number): Either.Either<number, ConfigError> => {
  const trimmed = text.trim()
  if (!/^[+-]?\d+$/.test(trimmed)) return fail(`${flag}: '${text}' is not an integer`)
  const n = Number(trimmed)
  if (!Number.isSafeInteger(n)) return fail(`${flag}: '${text}' is too large`)
  return n < min ? fail(`${flag}: must be at least ${min}, got ${n}`) : Either.right(n)
}

const seconds = (flag: string, text: string, allowZero: boolean): Either.Either<number, ConfigError> => {
  const trimmed = text.trim()
  const n = trimmed === "" ? NaN : Number(trimmed)
  if (!Number.isFinite(n)) return fail(`${flag}: '${text}' is not a number of seconds`)
  if (n < 0 || (!allowZero && n === 0)) return fail(`${flag}: must be ${allowZero ? "0 or more" : "more than 0"} seconds, got ${n}`)
  return Either.right(n)
}

const list = <A>(
  flag: string,
  text: string,
  item: (part: string) => Either.Either<A, ConfigError>
): Either.Either<readonly [A, ...Array<A>], ConfigError> => {
  const parts = text.split(",").map((p) => p.trim())
  if (parts.some((p) => p === "")) return fail(`${flag}: '${text}' is not a comma-separated list`)
  const items: Array<A> = []
  for (const part of parts) {
    const parsed = item(part)
    if (Either.isLeft(parsed)) return Either.left(parsed.left)
    if (!items.includes(parsed.right)) items.push(parsed.right)
  }
  const [first, ...rest] = items
  return first === undefined ? fail(`${flag}: empty list`) : Either.right([first, ...rest])
}

/** A profile's JSON text (from --profile-file, or inline with --profile); its name must not be a built-in's. */
export const parseProfileFile = (source: string, text: string): Either.Either<LatencyProfile, ConfigError> => {
  const json = Either.try({ try: () => JSON.parse(text) as unknown, catch: () => null })
  if (Either.isLeft(json)) return fail(`${source}: not JSON`)
  return Schema.decodeUnknownEither(LatencyProfile, { onExcessProperty: "error" })(json.right).pipe(
    Either.mapLeft((error) => {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
      return new ConfigError({
        detail: `${source}: ${issue === undefined ? "invalid" : `${issue.path.join(".") || "profile"}: ${issue.message}`}`
      })
    }),
    Either.flatMap((profile) =>
      (BuiltInProfiles as ReadonlyArray<string>).includes(profile.name)
        ? fail(`${source}: the name '${profile.name}' is a built-in profile's; choose another`)
        : Either.right(profile)
    )
  )
}

export const parseConfig = (raw: RawOptions): Either.Either<BenchConfig, ConfigError> =>
  Either.gen(function*() {
    const files = yield* integer("--files", raw.files, 1)
    const concurrency = yield* list("--concurrency", raw.concurrency, (p) => integer("--concurrency", p, 1))
    const customProfile = raw.profileFile === undefined ? null : yield* parseProfileFile(raw.profileFile.source, raw.profileFile.text)
    const known = [...BuiltInProfiles, ...(customProfile === null ? [] : [customProfile.name])]
    const profiles = yield* list("--profiles", raw.profiles ?? known.join(","), (p) =>
      known.includes(p)
        ? Either.right(p)
        : fail(`--profiles: unknown profile '${p}' (known: ${known.join(", ")})`))
    const realisticDelaySeconds = raw.realisticDelay !== undefined
      ? yield* seconds("--realistic-delay", raw.realisticDelay, true)
      : raw.quick
      ? DEFAULTS.quickRealisticDelaySeconds
      : DEFAULTS.realisticDelaySeconds
    const seed = yield* integer("--seed", raw.seed, Number.MIN_SAFE_INTEGER)
    const thresholdZeroSeconds = yield* seconds("--threshold-zero", raw.thresholdZero, false)
    const thresholdRealisticSeconds = yield* seconds("--threshold-realistic", raw.thresholdRealistic, false)
    const mitigations: ReadonlyArray<Mitigation> = raw.mitigations === undefined
      ? []
      : yield* list("--mitigations", raw.mitigations, (m) =>
        isMitigation(m)
          ? Either.right(m)
          : fail(`--mitigations: unknown mitigation '${m}' (known: ${Mitigations.join(", ")})`))
    if (mitigations.includes("batched-writes") && !mitigations.includes("in-memory-guards")) {
      return yield* fail(
        "--mitigations: batched-writes needs in-memory-guards (a guard reading the database cannot see the batch's uncommitted writes)"
      )
    }
    const ladder = raw.ladder === undefined
      ? mitigations.length > 0 ? "off" : "first"
      : raw.ladder === "first" || raw.ladder === "full" || raw.ladder === "off"
      ? raw.ladder
      : yield* fail(`--ladder: '${raw.ladder}' is not one of first, full, off`)
    const trials = yield* integer("--trials", raw.trials, 1)
    const warmup = yield* integer("--warmup", raw.warmup, 0)
    const noise = yield* seconds("--noise", raw.noise, true).pipe(
      Either.mapLeft(() => new ConfigError({ detail: `--noise: '${raw.noise}' is not a fraction of 0 or more (e.g. 0.05)` }))
    )
    const batchSize = yield* integer("--batch-size", raw.batchSize, 1)
    const failBatch = raw.failBatch === undefined ? null : yield* integer("--fail-batch", raw.failBatch, 1)
    if (failBatch !== null && !mitigations.includes("batched-writes") && ladder !== "full") {
      return yield* fail("--fail-batch: needs batched writes in the run: add --mitigations in-memory-guards,batched-writes or --ladder full")
    }
    const isClock = (c: string): c is ClockMode => (ClockModes as ReadonlyArray<string>).includes(c)
    const clock = isClock(raw.clock) ? raw.clock : yield* fail(`--clock: '${raw.clock}' is not one of ${ClockModes.join(", ")}`)
    const isScenario = (x: string): x is ScenarioName => (Scenarios as ReadonlyArray<string>).includes(x)
    const scenario = isScenario(raw.scenario)
      ? raw.scenario
      : yield* fail(`--scenario: '${raw.scenario}' is not one of ${Scenarios.join(", ")}`)
    const maxAttempts = yield* integer("--max-attempts", raw.maxAttempts, 1)
    const retryBaseSeconds = yield* seconds("--retry-base", raw.retryBase, false)
    const isDriver = (d: string): d is DriverName => (Drivers as ReadonlyArray<string>).includes(d)
    const driver = isDriver(raw.driver) ? raw.driver : yield* fail(`--driver: '${raw.driver}' is not one of ${Drivers.join(", ")}`)
    if (raw.db !== undefined && raw.db.trim() === "") return yield* fail("--db: empty path")
    if (raw.out.trim() === "") return yield* fail("--out: empty path")
    return new BenchConfig({
      files,
      concurrency: Arr.sort(concurrency, Order.number),
      profiles,
      customProfile,
      realisticDelaySeconds,
      quick: raw.quick,
      seed,
      db: raw.db ?? null,
      out: raw.out,
      thresholdZeroSeconds,
      thresholdRealisticSeconds,
      json: raw.json,
      mitigations,
      ladder,
      trials,
      warmup,
      noise,
      batchSize,
      failBatch,
      clock,
      scenario,
      maxAttempts,
      retryBaseSeconds,
      driver
    })
  })
