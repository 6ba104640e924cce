/**
 * Two result files, compared configuration by configuration (matched on
 * concurrency, profile and mitigation) with the same statistics and verdicts
 * as the mitigation comparisons: the regression gate for a user's own CI.
 */
import { Data, Effect, Either, ParseResult, Schema } from "effect"
import { SegmentNames } from "../metrics/segments.ts"
import { compareSeries, type ComparisonRow } from "./compare.ts"

const Stats = Schema.Struct({
  p50: Schema.Number,
  p95: Schema.Number,
  p99: Schema.Number,
  mean: Schema.Number,
  min: Schema.Number,
  max: Schema.Number
})

const Segments = Schema.Struct(Object.fromEntries(SegmentNames.map((name) => [name, Stats])) as {
  readonly [K in (typeof SegmentNames)[number]]: typeof Stats
})

const Run = Schema.Struct({
  concurrency: Schema.Number,
  profile: Schema.String,
  mitigation: Schema.String,
  trialResults: Schema.NonEmptyArray(Schema.Struct({ elapsedSeconds: Schema.Number, segments: Segments }))
})

/** The part of a result document a comparison reads; the rest is ignored. */
export const ComparableResults = Schema.Struct({
  schemaVersion: Schema.Literal(2),
  createdAt: Schema.String,
  environment: Schema.Struct({ runtime: Schema.String, cpuModel: Schema.String, cpuCount: Schema.Number, driver: Schema.String }),
  config: Schema.Struct({ files: Schema.Number, seed: Schema.Number }),
  runs: Schema.Array(Run)
})
export type ComparableResults = typeof ComparableResults.Type

export class ComparisonInputError extends Data.TaggedError("ComparisonInputError")<{ readonly detail: string }> {
  override get message(): string {
    return this.detail
  }
}

/** Parse a result file's text; a clear one-line error when it is not a result document this tool can compare. */
export const parseResults = (name: string, text: string): Either.Either<ComparableResults, ComparisonInputError> => {
  const json = Either.try({ try: () => JSON.parse(text) as unknown, catch: () => null })
  if (Either.isLeft(json)) return Either.left(new ComparisonInputError({ detail: `${name}: not JSON` }))
  return Schema.decodeUnknownEither(ComparableResults)(json.right).pipe(
    Either.mapLeft((error) =>
      new ComparisonInputError({
        detail: `${name}: not an upload-fsm-bench result (schema 2): ${
          ParseResult.ArrayFormatter.formatErrorSync(error).map((i) => `${i.path.join(".")}: ${i.message}`)[0] ?? "invalid"
        }`
      })
    )
  )
}

export interface ConfigurationComparison {
  readonly concurrency: number
  readonly profile: string
  readonly mitigation: string
  readonly trials: { readonly before: number; readonly after: number }
  readonly rows: ReadonlyArray<ComparisonRow>
}

export interface ResultsComparison {
  readonly configurations: ReadonlyArray<ConfigurationComparison>
  readonly onlyBefore: ReadonlyArray<string>
  readonly onlyAfter: ReadonlyArray<string>
  /** Differences in how the two were measured that make the comparison weaker. */
  readonly caveats: ReadonlyArray<string>
  readonly regressions: number
}

const key = (r: { readonly concurrency: number; readonly profile: string; readonly mitigation: string }) =>
  `c=${r.concurrency} ${r.profile} ${r.mitigation}`

export const compareResults = (
  before: ComparableResults,
  after: ComparableResults,
  options: { readonly noise: number; readonly seed: number }
): Effect.Effect<ResultsComparison, ComparisonInputError> => {
  const afterByKey = new Map(after.runs.map((r) => [key(r), r]))
  const beforeKeys = new Set(before.runs.map(key))
  const configurations = before.runs.flatMap((b) => {
    const a = afterByKey.get(key(b))
    return a === undefined
      ? []
      : [{
        concurrency: b.concurrency,
        profile: b.profile,
        mitigation: b.mitigation,
        trials: { before: b.trialResults.length, after: a.trialResults.length },
        rows: compareSeries(b, a, options)
      }]
  })
  if (configurations.length === 0) {
    return Effect.fail(new ComparisonInputError({ detail: "the two result files have no configuration in common" }))
  }
  const caveats = [
    ...(before.config.files !== after.config.files ? [`files differ: ${before.config.files} vs ${after.config.files}`] : []),
    ...(before.environment.cpuModel !== after.environment.cpuModel || before.environment.cpuCount !== after.environment.cpuCount
      ? ["measured on different CPUs"]
      : []),
    ...(before.environment.runtime !== after.environment.runtime ? ["measured on different runtimes"] : []),
    ...(before.environment.driver !== after.environment.driver ? ["measured with different drivers"] : []),
    ...(configurations.some((c) => c.trials.before < 3 || c.trials.after < 3)
      ? ["fewer than 3 trials on a side: intervals are wide and verdicts rare"]
      : [])
  ]
  return Effect.succeed({
    configurations,
    onlyBefore: before.runs.map(key).filter((k) => !afterByKey.has(k)),
    onlyAfter: after.runs.map(key).filter((k) => !beforeKeys.has(k)),
    caveats,
    regressions: configurations.reduce((n, c) => n + c.rows.filter((r) => r.verdict === "regressed").length, 0)
  })
}
