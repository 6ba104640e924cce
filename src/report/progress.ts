/**
 * The live progress line on a terminal: where the run is (trial i of n), the
 * running trial's files done, rate and elapsed time (marked when simulated),
 * and the whole run's ETA in real time; cut to the terminal's width.
 */
import { rate, seconds } from "./format.ts"

export interface LiveProgress {
  readonly label: string
  readonly trial: number
  readonly planned: number
  readonly upperBound: boolean
  readonly lowerBound: boolean
  readonly simulated: boolean
  readonly done: number
  readonly total: number
  /** The trial's elapsed time on its own clock (simulated under the warp). */
  readonly elapsedMs: number
  /** Real seconds left in the run, estimated from the trials so far; null before there is anything to go by. */
  readonly runEtaSeconds: number | null
}

export const progressLine = (p: LiveProgress, width: number): string => {
  const perSecond = p.elapsedMs > 0 ? (p.done * 1000) / p.elapsedMs : 0
  const bound = p.upperBound && p.lowerBound ? "~" : p.upperBound ? "≤" : p.lowerBound ? "≥" : ""
  const line = `[${p.trial}/${bound}${p.planned}] ${p.label}: ${p.done}/${p.total} files, ` +
    `${rate(perSecond)} files/s, ${seconds(p.elapsedMs / 1000)} s${p.simulated ? " simulated" : ""}` +
    (p.runEtaSeconds === null ? "" : `; run ETA ${seconds(p.runEtaSeconds)} s`)
  return line.length <= width ? line : `${line.slice(0, Math.max(0, width - 1))}…`
}
