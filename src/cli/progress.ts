/**
 * Progress on the terminal: a line on stderr when each trial ends, and, for a
 * person watching (stderr and stdout both a terminal, no --json), a live
 * line of the running trial, rewritten at most four times a second.
 */
import process from "node:process"
import { Console, Effect, Layer } from "effect"
import { Progress } from "../bench/progress.ts"
import { progressLine } from "../report/progress.ts"

const liveLine = (label: string) => {
  let last = 0
  return (done: number, total: number, elapsedMs: number) =>
    Effect.sync(() => {
      const now = performance.now()
      if (done === total) process.stderr.write("\r\x1b[K")
      else if (now - last >= 250) {
        last = now
        process.stderr.write(`\r\x1b[K${progressLine(label, done, total, elapsedMs)}`)
      }
    })
}

export const terminalProgress = (options: { readonly live: boolean }): Layer.Layer<Progress> =>
  Layer.succeed(Progress, { line: Console.error, files: (label) => (options.live ? liveLine(label) : null) })
