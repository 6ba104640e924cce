/**
 * The batch runner: one fiber per file, at most `concurrency` in flight (the
 * seed's semaphore), then the writer's flush. (Runner slots that fork each
 * actor and await it, instead of Effect.forEach, raised the peak RSS for no
 * gain in time: CHANGELOG.md.) An actor that fails does not
 * stop the others: its error is kept for the recovery pass and the integrity
 * check.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { nanosToMs } from "../metrics/timing.ts"
import type { Recorder } from "../metrics/recorder.ts"
import { type FileDone, LiveMetrics } from "../metrics/live.ts"
import type { StoreError } from "../store/errors.ts"
import { makeActor } from "./fileActor.ts"
import type { FileFailure, FileOutcome, FileProgress } from "./part.ts"

export type { FileFailure, FileProgress }
import { Writer } from "./writer.ts"
import { ApiClock } from "../clock/apiClock.ts"


export interface BatchResult {
  readonly outcomes: ReadonlyArray<FileOutcome>
  readonly failures: ReadonlyArray<FileFailure>
  /** The most actors that were ever in flight at once. */
  readonly maxInFlight: number
  /** Set when the final flush failed (its transitions are then lost, and counted by the writer). */
  readonly flushError: StoreError | null
}


/** What the live view reads of a finished file. */
export const liveFile = (outcome: FileOutcome): FileDone => ({
  state: outcome.machine.state,
  events: outcome.events,
  busyEvents: outcome.busyEvents
})

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
    // The live view (off unless an exporter asked for it): looked at once, not per file.
    const liveView = yield* LiveMetrics
    const watched = liveView.enabled ? liveView.trial(recorder.labels) : null
    // Runner slots, lowest free first: a file's track in a trace.
    const free: Array<boolean> = Array.from({ length: concurrency }, () => true)
    // One file: its actor run in a free slot, then, whatever became of it, the slot freed, the file
    // counted (failed or recorded) and the warp and progress told, in one step. (An interruption ends
    // the whole batch: the warp is reset below, and nothing is recorded.)
    const actor = (path: string) =>
      Effect.suspend(() => {
        inFlight += 1
        maxInFlight = Math.max(maxInFlight, inFlight)
        const slot = Math.max(0, free.indexOf(true))
        free[slot] = false
        if (watched !== null) watched.inFlight(inFlight)
        return Effect.flatMap(Effect.either(runFile(path, slot)), (result) => {
          free[slot] = true
          inFlight -= 1
          finished += 1
          if (Either.isLeft(result)) failures.push({ path, error: result.left })
          else {
            const { outcome, sample } = result.right
            outcomes.push(outcome)
            recorder.recordNow(sample)
          }
          if (watched !== null) {
            watched.inFlight(inFlight)
            watched.fileDone(Either.isLeft(result) ? null : liveFile(result.right.outcome), "local")
          }
          return onFileDone === null
            ? live()
            : Effect.zipRight(
              live(),
              Effect.flatMap(Clock.currentTimeNanos, (now) => onFileDone(finished, paths.length, nanosToMs(now - started)))
            )
        })
      })
    yield* live()
    yield* Effect.forEach(paths, actor, { concurrency, discard: true }).pipe(Effect.ensuring(clock.setLive(0)))
    const writer = yield* Writer
    const flushed = yield* Effect.either(writer.flush)
    return {
      outcomes,
      failures,
      maxInFlight,
      flushError: Either.isLeft(flushed) ? flushed.left : null
    } satisfies BatchResult
  })
