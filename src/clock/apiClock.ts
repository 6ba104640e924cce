/**
 * How simulated API calls wait, and what clock every timing reads.
 *
 * - `real`: an API call's latency is slept in real time; timings are real.
 * - `warp`: whenever every actor that could act is waiting on a simulated API
 *   call (nothing else runnable, nobody in a database call), simulated time
 *   jumps to the earliest wake-up. Everything else (database work, FSM logic,
 *   scheduling) still takes its real time, and is timed in real time; only the
 *   idle waits are skipped. The Effect Clock it installs reads real monotonic
 *   time plus the time skipped so far, so elapsed time, segments and
 *   thresholds come out in simulated time without any timing code knowing.
 *
 * "Every actor that could act" is told by the runner (`setLive`): the number
 * of runner slots that still hold or will hold a file. A slot between two
 * files still counts, so a jump never skips the start of the next file.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

export const ClockModes = ["warp", "real"] as const
export type ClockMode = (typeof ClockModes)[number]

export interface ApiClockShape {
  readonly mode: ClockMode
  /** Wait out one API call's latency of `millis` (> 0). */
  readonly sleep: (millis: number) => Effect.Effect<void>
  /** How many runner slots still hold, or will hold, a file. */
  readonly setLive: (live: number) => Effect.Effect<void>
  /** The clock timings read while this one is in charge. */
  readonly clock: Clock.Clock
  /** Jumps taken and the simulated time they skipped. */
  readonly skipped: Effect.Effect<{ readonly jumps: number; readonly skippedMs: number }>
}

export class ApiClock extends Context.Tag("upload-fsm-bench/ApiClock")<ApiClock, ApiClockShape>() {}

export const makeReal = (): ApiClockShape => ({
  mode: "real",
  sleep: (millis) => Effect.sleep(Duration.millis(millis)),
  setLive: () => Effect.void,
  clock: Clock.make(),
  skipped: Effect.succeed({ jumps: 0, skippedMs: 0 })
})

interface Sleeper {
  readonly wakeAt: bigint
  readonly resume: () => void
}

export const makeWarp = (): ApiClockShape => {
  const base = Clock.make()
  let offset = 0n
  let live = 0
  let jumps = 0
  let sleepers: Array<Sleeper> = []
  let timer: ReturnType<typeof setTimeout> | undefined
  const now = () => base.unsafeCurrentTimeNanos() + offset

  const wakeDue = () => {
    const t = now()
    const due = sleepers.filter((s) => s.wakeAt <= t)
    sleepers = sleepers.filter((s) => s.wakeAt > t)
    for (const s of due.sort((a, b) => (a.wakeAt < b.wakeAt ? -1 : a.wakeAt > b.wakeAt ? 1 : 0))) s.resume()
    schedule()
  }

  // Called after every change: jump if everyone who could act is asleep,
  // otherwise arm one real timer for the earliest wake-up (in real time, so
  // that sleepers also wake while others keep working).
  const schedule = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    const earliest = sleepers.reduce<Sleeper | undefined>((e, s) => (e === undefined || s.wakeAt < e.wakeAt ? s : e), undefined)
    if (earliest === undefined) return
    const t = now()
    if (live > 0 && sleepers.length >= live) {
      if (earliest.wakeAt > t) {
        offset += earliest.wakeAt - t
        jumps += 1
      }
      return wakeDue()
    }
    timer = setTimeout(wakeDue, Math.max(0, Math.ceil(Number(earliest.wakeAt - t) / 1e6)))
  }

  const clock: Clock.Clock = {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    // Wall-clock milliseconds stay real: they stamp rows and metric samples.
    unsafeCurrentTimeMillis: () => base.unsafeCurrentTimeMillis(),
    currentTimeMillis: base.currentTimeMillis,
    unsafeCurrentTimeNanos: now,
    currentTimeNanos: Effect.sync(now),
    // Other sleeps (a busy lock's back-off) are real waits, never skipped.
    sleep: (duration) => base.sleep(duration)
  }

  return {
    mode: "warp",
    sleep: (millis) =>
      Effect.async<void>((resume) => {
        const sleeper: Sleeper = { wakeAt: now() + BigInt(Math.round(millis * 1e6)), resume: () => resume(Effect.void) }
        sleepers.push(sleeper)
        schedule()
        return Effect.sync(() => {
          sleepers = sleepers.filter((s) => s !== sleeper)
          schedule()
        })
      }),
    setLive: (n) =>
      Effect.sync(() => {
        live = n
        schedule()
      }),
    clock,
    skipped: Effect.sync(() => ({ jumps, skippedMs: Number(offset) / 1e6 }))
  }
}

export const make = (mode: ClockMode): ApiClockShape => (mode === "warp" ? makeWarp() : makeReal())

export const layer = (mode: ClockMode): Layer.Layer<ApiClock> => Layer.sync(ApiClock, () => make(mode))
