/**
 * How far V8 lets this process's heap grow between two full collections.
 * Left to itself, V8 sets the next limit at up to 4× what the last full
 * collection kept when collecting is cheap next to running (here, mostly),
 * so a long run's heap grows mostly with garbage and raises the process's
 * peak RSS. Bounded to 1.5× (`--heap-growing-percent=50`, set at startup),
 * a full collection comes sooner and the peak falls, trial times unchanged
 * (docs/measurements.md, "Fixed cost and memory"). A run's
 * elapsed time includes its collections either way; `programs/overhead.ts`
 * measures both. A process started with its own `--heap-growing-percent`
 * keeps it.
 */
import process from "node:process"
import * as v8 from "node:v8"

export const HEAP_GROWING_PERCENT = 50

/** Bound the heap's growth for this process (the main one, or a worker); true when set here. */
export const boundHeapGrowth = (execArgv: ReadonlyArray<string> = process.execArgv): boolean => {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg))) return false
  try {
    v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
    return true
  } catch {
    // A runtime without V8's flags: its own collector's defaults.
    return false
  }
}
