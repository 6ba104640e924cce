/**
 * The retry policy for files whose upload or import failed: an Effect
 * Schedule (exponential backoff with jitter) and a maximum number of upload
 * attempts. A failed file waits its backoff (in the run's API clock, so the
 * time warp can skip it like any API wait), then `retry` takes it back to
 * `untracked` for a new attempt; a file that has used all its attempts stays
 * `failed`. Jitter is drawn from a generator keyed by (seed, file, retry), so
 * a file waits the same in every run with the same seed.
 */
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"

export interface RetryPolicyShape {
  readonly maxAttempts: number
  readonly baseSeconds: number
  /** The wait before retry number `retry` (1-based) of `path`, in ms. */
  readonly backoffMillis: (path: string, retry: number) => Effect.Effect<number>
}

export class RetryPolicy extends Context.Tag("upload-fsm-bench/RetryPolicy")<RetryPolicy, RetryPolicyShape>() {}

export const make = (options: { readonly maxAttempts: number; readonly baseSeconds: number; readonly seed: number }): RetryPolicyShape => {
  const schedule = Schedule.delays(Schedule.jittered(Schedule.exponential(Duration.seconds(options.baseSeconds), 2)))
  return {
    maxAttempts: options.maxAttempts,
    baseSeconds: options.baseSeconds,
    backoffMillis: (path, retry) =>
      Schedule.run(schedule, 0, Array.from({ length: retry }, (_, i) => i)).pipe(
        Effect.map((delays) => Duration.toMillis(Chunk.last(delays).pipe((d) => (d._tag === "Some" ? d.value : Duration.zero)))),
        Effect.withRandom(Random.make(`${options.seed}|${path}|${retry}`))
      )
  }
}

export const layer = (options: { readonly maxAttempts: number; readonly baseSeconds: number; readonly seed: number }): Layer.Layer<RetryPolicy> =>
  Layer.succeed(RetryPolicy, make(options))
