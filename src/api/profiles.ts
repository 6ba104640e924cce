/**
 * Latency profiles of the simulated upload API: a latency model per call type
 * (upload, import) and an optional rate limit. The built-ins stay the seed's:
 * `zero` has no delay at all (the call still yields to the scheduler, as any
 * asynchronous call would); `realistic` waits a constant time per call (2.0 s
 * in the seed). Others come from a profile file (`--profile-file`).
 *
 * Models, sampled from a generator seeded with the run's seed (same seed,
 * same sequence):
 * - `constant`: always `seconds`;
 * - `normal`: mean `mean`, standard deviation `sd`, truncated at 0 (a draw
 *   below 0 is drawn again);
 * - `lognormal`: given by its `median` and `p95` (σ = ln(p95 / median) / 1.645).
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

const Seconds = Schema.Number.pipe(Schema.finite(), Schema.nonNegative())

const described = <S extends Schema.Schema.All>(schema: S, description: string) =>
  Schema.propertySignature(schema).annotations({ description })

export const LatencyModel = Schema.Union(
  Schema.Struct({ kind: Schema.Literal("constant"), seconds: described(Seconds, "every call's latency, s") }),
  Schema.Struct({
    kind: Schema.Literal("normal"),
    mean: described(Seconds, "mean latency, s"),
    sd: described(Seconds, "standard deviation, s (truncated at 0: a negative draw is drawn again)")
  }),
  Schema.Struct({
    kind: Schema.Literal("lognormal"),
    median: described(Seconds.pipe(Schema.positive()), "median latency, s"),
    p95: described(Seconds.pipe(Schema.positive()), "95th percentile, s (σ = ln(p95 / median) / 1.645)")
  }).pipe(Schema.filter((m) => m.p95 >= m.median || "p95 must be at least the median"))
).annotations({ identifier: "LatencyModel", description: "how long one call type's calls take: constant, normal or lognormal" })
export type LatencyModel = typeof LatencyModel.Type

export const BuiltInProfiles = ["zero", "realistic"] as const

const Probability = Schema.Number.pipe(Schema.between(0, 1))
const PerCall = <A, I>(value: Schema.Schema<A, I>, fallback: () => A, description: string) =>
  Schema.optionalWith(
    Schema.Struct({
      upload: Schema.optionalWith(value, { default: fallback }).annotations({ description: "for upload calls" }),
      import: Schema.optionalWith(value, { default: fallback }).annotations({ description: "for import calls" })
    }),
    { default: () => ({ upload: fallback(), import: fallback() }) }
  ).annotations({ description })

export const LatencyProfile = Schema.Struct({
  // Described on the type itself: a struct with defaults is written from its encoded side, which keeps only that.
  name: Schema.String.pipe(
    Schema.pattern(/^[a-z][a-z0-9-]{0,39}$/, { message: () => "name: lower-case letters, digits and '-', starting with a letter" })
  ).annotations({ description: "the profile's name: lower-case letters, digits and '-', starting with a letter" }),
  upload: LatencyModel,
  import: LatencyModel,
  rateLimitPerMinute: Schema.optionalWith(Schema.NullOr(Schema.Int.pipe(Schema.positive())), { default: () => null }).annotations({
    description: "calls per minute across all actors; above it the API answers 429 with a retry-after; null: no limit"
  }),
  failureProbability: PerCall(Probability, () => 0, "chance that a call fails (after its latency), per call type"),
  timeoutSeconds: PerCall(
    Schema.NullOr(Seconds.pipe(Schema.positive())),
    () => null,
    "a call whose latency would exceed this fails with a timeout after it, per call type; null: no timeout"
  )
}).annotations({ identifier: "LatencyProfile", description: "a latency profile as run: its models, failures, timeouts and rate limit" })
export type LatencyProfile = typeof LatencyProfile.Type

const constant = (seconds: number): LatencyModel => ({ kind: "constant", seconds })

const noFaults = {
  rateLimitPerMinute: null,
  failureProbability: { upload: 0, import: 0 },
  timeoutSeconds: { upload: null, import: null }
} as const

export const zero: LatencyProfile = { name: "zero", upload: constant(0), import: constant(0), ...noFaults }

export const realistic = (delaySeconds: number): LatencyProfile => ({
  name: "realistic",
  upload: constant(delaySeconds),
  import: constant(delaySeconds),
  ...noFaults
})

/** Whether calls under this profile can fail (an error or a timeout). */
export const canFail = (p: LatencyProfile): boolean =>
  p.failureProbability.upload > 0 || p.failureProbability.import > 0 ||
  p.timeoutSeconds.upload !== null || p.timeoutSeconds.import !== null

const Z95 = 1.6448536269514722

/** The model's mean in seconds (the untruncated normal's for `normal`: exact when mean ≫ sd). */
export const meanSeconds = (m: LatencyModel): number =>
  m.kind === "constant"
    ? m.seconds
    : m.kind === "normal"
    ? m.mean
    : m.median * Math.exp((Math.log(m.p95 / m.median) / Z95) ** 2 / 2)

/** Mean seconds per API call of the profile: what the realistic floor is computed from. */
export const meanCallSeconds = (p: LatencyProfile): number => (meanSeconds(p.upload) + meanSeconds(p.import)) / 2

/** Whether calls under this profile ever wait (a profile with no wait is real time under any clock). */
export const hasDelay = (p: LatencyProfile): boolean => meanCallSeconds(p) > 0 || p.rateLimitPerMinute !== null

const standardNormal = (random: () => number): number =>
  Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())

/** Draw one latency in seconds from `m`. */
export const sample = (m: LatencyModel, random: () => number): number => {
  switch (m.kind) {
    case "constant":
      return m.seconds
    case "normal": {
      if (m.sd === 0) return m.mean
      for (let i = 0; i < 1000; i++) {
        const x = m.mean + m.sd * standardNormal(random)
        if (x >= 0) return x
      }
      return 0 // a mean far below 0 against its sd: the truncated distribution is all but 0
    }
    case "lognormal":
      return m.median * Math.exp((Math.log(m.p95 / m.median) / Z95) * standardNormal(random))
  }
}

export const describeModel = (m: LatencyModel): string =>
  m.kind === "constant"
    ? `${m.seconds} s`
    : m.kind === "normal"
    ? `normal(mean ${m.mean} s, sd ${m.sd} s)`
    : `lognormal(median ${m.median} s, p95 ${m.p95} s)`

/** API calls per file on the happy path: upload and import. */
export const CALLS_PER_FILE = 2

/**
 * A profile's JSON text (from --profile-file, or inline with --profile),
 * decoded; `source` names where it came from in the one-line message. Its
 * name must not be a built-in's; unknown fields are refused.
 */
export const parseProfile = (source: string, text: string): Either.Either<LatencyProfile, string> => {
  const json = Either.try({ try: () => JSON.parse(text) as unknown, catch: () => `${source}: not JSON` })
  return Either.flatMap(json, (value) => decodeProfile(source, value))
}

/** A profile given as a value (a config file's), decoded as `parseProfile` decodes its JSON. */
export const decodeProfile = (source: string, value: unknown): Either.Either<LatencyProfile, string> =>
    Schema.decodeUnknownEither(LatencyProfile, { onExcessProperty: "error" })(value).pipe(
      Either.mapLeft((error) => {
        const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
        return `${source}: ${issue === undefined ? "invalid" : `${issue.path.join(".") || "profile"}: ${issue.message}`}`
      }),
      Either.flatMap((profile) =>
        (BuiltInProfiles as ReadonlyArray<string>).includes(profile.name)
          ? Either.left(`${source}: the name '${profile.name}' is a built-in profile's; choose another`)
          : Either.right(profile)
      )
    )
