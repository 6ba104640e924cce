/** The live progress line of a trial on a terminal: files done, rate, elapsed, ETA. */
import { rate, seconds } from "./format.ts"

export const progressLine = (label: string, done: number, total: number, elapsedMs: number): string => {
  const perSecond = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0
  const eta = perSecond > 0 ? (total - done) / perSecond : NaN
  return `${label}: ${done}/${total} files, ${rate(perSecond)} files/s, ${seconds(elapsedMs / 1000)} s elapsed` +
    (Number.isFinite(eta) ? `, ETA ${seconds(eta)} s` : "")
}
