/**
 * The batch runner: one fiber per file, at most `concurrency` in flight (the
 * seed's semaphore). An actor that fails does not stop the others: its error
 * is kept, and the integrity check then fails the run.
 */
import { Clock, Effect, Either, Metric } from "effect"
import type { Recorder } from "../metrics/recorder.ts"
import { busyCounter, transitionsCounter } from "../metrics/recorder.ts"
import { nanosToMs } from "../metrics/timing.ts"
import { type ActorError, type FileOutcome, runFile } from "./fileActor.ts"

export interface FileFailure {
  readonly path: string
  readonly error: ActorError
}

export interface BatchResult {
  readonly elapsedMs: number
  readonly outcomes: ReadonlyArray<FileOutcome>
  readonly failures: ReadonlyArray<FileFailure>
  /** The most actors that were ever in flight at once. */
  readonly maxInFlight: number
}

export const runBatch = (paths: ReadonlyArray<string>, concurrency: number, recorder: Recorder) =>
  Effect.gen(function*() {
    let inFlight = 0
    let maxInFlight = 0
    const outcomes: Array<FileOutcome> = []
    const failures: Array<FileFailure> = []
    const actor = (path: string) =>
      Effect.gen(function*() {
        inFlight += 1
        maxInFlight = Math.max(maxInFlight, inFlight)
        const result = yield* Effect.either(runFile(path)).pipe(Effect.ensuring(Effect.sync(() => (inFlight -= 1))))
        if (Either.isLeft(result)) {
          failures.push({ path, error: result.left })
          return
        }
        const outcome = result.right
        outcomes.push(outcome)
        yield* recorder.record(outcome.sample)
        yield* Metric.incrementBy(transitionsCounter, outcome.committed)
        if (outcome.busyEvents > 0) yield* Metric.incrementBy(busyCounter, outcome.busyEvents)
      })
    const start = yield* Clock.currentTimeNanos
    yield* Effect.forEach(paths, actor, { concurrency, discard: true })
    const elapsedMs = nanosToMs((yield* Clock.currentTimeNanos) - start)
    return { elapsedMs, outcomes, failures, maxInFlight } satisfies BatchResult
  })
