/**
 * The fiber scheduler of a command: Effect's default one with a time slice.
 * Effect's default scheduler resumes a yielding fiber in a microtask, and
 * only falls back to a timer after 2,048 drains of the same fiber's queue in
 * a row, which never happens when many fibers take turns: with the zero
 * profile or the time warp (nothing ever waits on a timer), the event loop
 * never turned, so Ctrl-C, SIGTERM, timers and I/O waited for the whole run.
 * Here a yield resumes in a microtask as with the default, except once per slice
 * (`sliceMs` since the loop last turned), when it resumes with setImmediate,
 * after the loop has polled for signals and I/O.
 */
import { setImmediate } from "node:timers"
import * as Scheduler from "effect/Scheduler"

export const SLICE_MS = 20

/**
 * How the loop is given its turn: setImmediate under Node (after the poll
 * phase, where signals and I/O are read). Under Deno a stop signal reaches
 * its listener through an op that its setImmediate does not wait for (a
 * Ctrl-C mid-trial came seconds late, after several trials); a zero-delay
 * timer lets the loop poll it.
 */
const turn: (f: () => void) => void = "Deno" in globalThis ? (f) => void setTimeout(f, 0) : (f) => void setImmediate(f)

export const responsiveScheduler = (sliceMs: number = SLICE_MS): Scheduler.Scheduler => {
  let turned = performance.now()
  const runnerOf = Scheduler.SchedulerRunner.cached((depth, drain) => {
    if (performance.now() - turned >= sliceMs) {
      turn(() => {
        turned = performance.now()
        drain(0)
      })
    } else {
      queueMicrotask(() => drain(depth + 1))
    }
  })
  return Scheduler.make((task, priority, fiber) => runnerOf(fiber).scheduleTask(task, priority))
}
