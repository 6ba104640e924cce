/**
 * The batch runner: one fiber per file, at most `concurrency` in flight
 * (`concurrency` runner slots, as the seed's semaphore allowed), then the
 * writer's flush. An actor that fails does not
 * stop the others: its error is kept for the recovery pass and the integrity
 * check.
 */
import { Cause, Clock, Effect, Either, Exit, Fiber, Metric, Option } from "effect"
import { nanosToMs } from "../metrics/timing.ts"
import type { Recorder } from "../metrics/recorder.ts"
import { busyCounter, transitionsCounter } from "../metrics/recorder.ts"
import type { StoreError } from "../store/errors.ts"
import { type ActorError, type FileOutcome, makeActor } from "./fileActor.ts"
import { Writer } from "./writer.ts"
import { ApiClock } from "../clock/apiClock.ts"

export interface FileFailure {
  readonly path: string
  readonly error: ActorError
}

export interface BatchResult {
  readonly outcomes: ReadonlyArray<FileOutcome>
  readonly failures: ReadonlyArray<FileFailure>
  /** The most actors that were ever in flight at once. */
  readonly maxInFlight: number
  /** Set when the final flush failed (its transitions are then lost, and counted by the writer). */
  readonly flushError: StoreError | null
}

/** Told after every finished file: files done, files in the batch, time since the batch started (run clock). */
export type FileProgress = (done: number, total: number, elapsedMs: number) => Effect.Effect<void>

export const runBatch = (
  paths: ReadonlyArray<string>,
  concurrency: number,
  recorder: Recorder,
  onFileDone: FileProgress | null = null
) =>
  Effect.gen(function*() {
    const started = yield* Clock.currentTimeNanos
    let inFlight = 0
    let maxInFlight = 0
    const outcomes: Array<FileOutcome> = []
    const failures: Array<FileFailure> = []
    const clock = yield* ApiClock
    let finished = 0
    // Slots that still hold or will hold a file: what the time warp waits on.
    const live = () => clock.setLive(Math.min(concurrency, paths.length - finished))
    const runFile = yield* makeActor
    let next = 0
    // A runner slot takes the next file and runs its actor in a fiber of its
    // own, awaited, not joined: joining merged the actor's fiber refs and
    // context into the slot's on every file, harness time per file that
    // Effect.forEach's concurrency paid (issue 11's profile). The slot is the
    // file's track in a trace.
    const slotLoop = (slot: number) =>
      Effect.gen(function*() {
        for (;;) {
          const path = paths[next]
          if (path === undefined) return
          next += 1
          inFlight += 1
          maxInFlight = Math.max(maxInFlight, inFlight)
          const exit = yield* Effect.fork(runFile(path, slot)).pipe(
            Effect.flatMap(Fiber.await),
            Effect.ensuring(Effect.suspend(() => {
              inFlight -= 1
              finished += 1
              return onFileDone === null
                ? live()
                : Effect.zipRight(
                  live(),
                  Effect.flatMap(Clock.currentTimeNanos, (now) => onFileDone(finished, paths.length, nanosToMs(now - started)))
                )
            }))
          )
          if (Exit.isSuccess(exit)) {
            const outcome = exit.value
            outcomes.push(outcome)
            yield* recorder.record(outcome.sample)
            yield* Metric.incrementBy(transitionsCounter, outcome.persisted)
            if (outcome.busyEvents > 0) yield* Metric.incrementBy(busyCounter, outcome.busyEvents)
            continue
          }
          // An actor's typed failure is kept for recovery; a defect or an interruption stops the batch.
          const failure = Cause.failureOption(exit.cause)
          if (Option.isNone(failure)) return yield* Effect.failCause(Cause.stripFailures(exit.cause))
          failures.push({ path, error: failure.value })
        }
      })
    yield* live()
    const slots = Array.from({ length: Math.max(1, Math.min(concurrency, paths.length)) }, (_, slot) => slotLoop(slot))
    yield* Effect.all(slots, { concurrency: "unbounded", discard: true }).pipe(Effect.ensuring(clock.setLive(0)))
    const writer = yield* Writer
    const flushed = yield* Effect.either(writer.flush)
    return {
      outcomes,
      failures,
      maxInFlight,
      flushError: Either.isLeft(flushed) ? flushed.left : null
    } satisfies BatchResult
  })
