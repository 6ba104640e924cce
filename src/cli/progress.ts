/**
 * Progress on the terminal: a line on stderr when each trial ends, and, for a
 * person watching (stderr and stdout both a terminal, no --json), a live
 * line of the running trial and the run's ETA, rewritten at most four times a
 * second and cut to the terminal's width.
 */
import process from "node:process"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Progress, type TrialPosition } from "../bench/progress.ts"
import { progressLine } from "../report/progress.ts"

export const terminalProgress = (options: { readonly live: boolean }): Layer.Layer<Progress> => {
  const started = performance.now()
  const live = (label: string, position: TrialPosition) => {
    let last = 0
    return (done: number, total: number, elapsedMs: number) =>
      Effect.sync(() => {
        const now = performance.now()
        if (done === total) process.stderr.write("\r\x1b[K")
        else if (now - last >= 250) {
          last = now
          // Trials so far, the running one counted by its share of files done.
          const trialsDone = position.index - 1 + done / total
          const runEtaSeconds = trialsDone > 0.05
            ? ((now - started) / 1000 / trialsDone) * (position.planned - trialsDone)
            : null
          const line = progressLine(
            { label, trial: position.index, planned: position.planned, upperBound: position.upperBound, lowerBound: position.lowerBound, simulated: position.simulated, done, total, elapsedMs, runEtaSeconds },
            (process.stderr.columns ?? 80) - 1
          )
          process.stderr.write(`\r\x1b[K${line}`)
        }
      })
  }
  return Layer.succeed(Progress, { line: Console.error, files: (label, position) => (options.live ? live(label, position) : null) })
}
