/**
 * The options whose values a run's configuration holds as they are, under
 * their own names, and its result document records so (`config.<name>`):
 * their fields in `BenchConfig` and `DocumentConfig`, and their copies in
 * `configOf` and `documentOf`, come from this table. A new option that the
 * result records is an entry here (and its use): nothing else to write.
 * Pure definitions, so that the result document's Schema can import them.
 */
import * as Schema from "effect/Schema"
import { Scenarios } from "../actor/scenario.ts"
import { ClockModes } from "../clock/apiClock.ts"
import { choice, integer, number, on } from "./option.ts"
import { DEFAULT_COMPARE_NOISE } from "../verdict/failRules.ts"

/**
 * Upper bounds, so that a slip of the keyboard is one line, not a full disk
 * or a crash: a million files is a database of about 0.6 GB (extrapolated
 * from 10,000 files' 5.8 MB), seeded in one transaction; 10,000 concurrent actors is far past where the answers
 * change (the reference runs stop at 50); a day per API call or per backoff
 * is beyond any real API, and the clocks count in integer nanoseconds.
 */
export const MAX_FILES = 1_000_000
export const MAX_CONCURRENCY = 10_000
export const MAX_SECONDS = 86_400
export const MAX_THRESHOLD = 1e9
/** A batch held open for more transitions than this is no batching a writer would do (and locks the store for long). */
const MAX_BATCH = 100_000
/** More upload attempts than this per file is a retry loop, not a policy. */
const MAX_ATTEMPTS = 100

/** The largest `--pool-size`: the shared connections, each a server connection (Postgres) or a SQLite connection. */
export const MAX_POOL_SIZE = 64

/** The default noise threshold (`compare`'s): a change smaller than 5% is never called improved or regressed. */
export const DEFAULT_NOISE = DEFAULT_COMPARE_NOISE

/** The realistic profile's delay per API call with `--quick`. */
export const QUICK_DELAY = 0.05

/** `--noise F`: the same rule for the bench's comparisons and for compare's. */
export const noiseOption = number("noise", {
  group: "statistics",
  pseudo: "F",
  description: "a change smaller than this fraction is never called improved or regressed",
  bounds: { min: 0 },
  fallback: DEFAULT_NOISE,
  scope: "run"
})

export const recordedOptions = {
  files: integer("files", {
    group: "workload",
    description: "files (actors) per configuration",
    bounds: { min: 1, max: MAX_FILES },
    fallback: 818,
    scope: "file"
  }),
  quick: on("quick", { group: "workload", description: `shorthand for --realistic-delay ${QUICK_DELAY}`, scope: "file" }),
  scenario: choice("scenario", Scenarios, {
    group: "workload",
    description: "reupload: indexed files are reset or found broken and go round again",
    fallback: "happy",
    scope: "file"
  }),
  seed: integer("seed", {
    group: "workload",
    description: "seed of every random choice",
    bounds: {},
    fallback: 42,
    scope: "file"
  }),
  poolSize: integer("pool-size", {
    group: "workload",
    description: "connections behind the shared-connection mitigation",
    bounds: { min: 1, max: MAX_POOL_SIZE },
    fallback: 1,
    scope: "file"
  }),
  clock: choice("clock", ClockModes, {
    group: "workload",
    description: "warp: skip API waits when every actor waits (simulated time); real: wait them out",
    fallback: "warp",
    scope: "file"
  }),
  warmup: integer("warmup", {
    group: "statistics",
    description: "discarded warm-up trials before them",
    bounds: { min: 0, max: 1000 },
    fallback: 1,
    scope: "file"
  }),
  noise: noiseOption,
  batchSize: integer("batch-size", {
    group: "gate",
    description: "transitions per commit with batched-writes",
    bounds: { min: 1, max: MAX_BATCH },
    fallback: 10,
    scope: "file"
  }),
  maxAttempts: integer("max-attempts", {
    group: "faults",
    description: "upload attempts per file before a failed file stays failed",
    bounds: { min: 1, max: MAX_ATTEMPTS },
    fallback: 3,
    scope: "run"
  }),
  targetCi: number("target-ci", {
    group: "statistics",
    pseudo: "F",
    description: "more rounds at c=10 zero and the ladder until each 95% interval is within F of its median",
    bounds: { above: 0, max: 1 },
    fallback: undefined,
    shown: "off",
    scope: "file"
  }),
  maxTrials: integer("max-trials", {
    group: "statistics",
    description: "with --target-ci: the trials' cap",
    bounds: { min: 1, max: 1000 },
    fallback: undefined,
    shown: "3×--trials",
    scope: "file"
  })
}

type Recorded = typeof recordedOptions
type RecordedKey = keyof Recorded
const recordedKeys = Object.keys(recordedOptions) as ReadonlyArray<RecordedKey>

/** An option without a default is held as null when not given. */
type Held<K extends RecordedKey> = undefined extends Recorded[K]["fallback"] ? Schema.Schema.Type<Recorded[K]["schema"]> | null
  : Schema.Schema.Type<Recorded[K]["schema"]>

/** Their values, as a configuration holds them. */
export type RecordedValues = { readonly [K in RecordedKey]: Held<K> }

const nullable = (k: RecordedKey): boolean => recordedOptions[k].fallback === undefined

/** Their fields in `BenchConfig`: each option's value Schema (or null, for one without a default). */
export const recordedFields = Object.fromEntries(
  recordedKeys.map((k) => [k, nullable(k) ? Schema.NullOr(recordedOptions[k].schema) : recordedOptions[k].schema])
) as unknown as { readonly [K in RecordedKey]: Schema.Schema<Held<K>> }

type DocumentField<K extends RecordedKey> = undefined extends Recorded[K]["fallback"]
  ? Schema.optional<Schema.NullOr<Recorded[K]["schema"]>>
  : Schema.propertySignature<Recorded[K]["schema"]>

/**
 * Their fields in the result document's `config`, each described by its
 * flag and its help. One without a default is optional there: documents
 * from before it was recorded do not have it.
 */
export const recordedDocumentFields = Object.fromEntries(
  recordedKeys.map((k) => {
    const o = recordedOptions[k]
    const annotations = { description: `--${o.name}: ${o.description}${nullable(k) ? "; null when not given" : ""}` }
    return [k, nullable(k) ? Schema.optional(Schema.NullOr(o.schema)).annotations(annotations) : Schema.propertySignature(o.schema).annotations(annotations)]
  })
) as unknown as { readonly [K in RecordedKey]: DocumentField<K> }

/** Their values picked from a configuration, or from the options' values (null where one without a default is not given). */
export const recordedValues = (from: { readonly [K in RecordedKey]: Held<K> | undefined }): RecordedValues =>
  Object.fromEntries(recordedKeys.map((k) => [k, from[k] ?? null])) as unknown as RecordedValues
