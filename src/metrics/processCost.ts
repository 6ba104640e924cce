/**
 * This process's own cost so far: wall time since it started, CPU time, and
 * its peak resident memory. What `overhead` reads from a bench's debug log:
 * the time to its first trial, and its peak RSS at the end.
 */
import process from "node:process"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"

/** Where the running code was loaded from (`launch.ts`): the bundle, or the sources and why. */
export class CodeOrigin extends Context.Reference<CodeOrigin>()("upload-fsm-bench/CodeOrigin", {
  defaultValue: (): string => "the sources"
}) {}

export interface ProcessCost {
  /** Wall milliseconds since the process started. */
  readonly sinceStartMs: number
  /** CPU milliseconds (user and system) so far. */
  readonly cpuMs: number
  /** Peak resident set size so far, in MiB (the current one where the runtime cannot tell its peak). */
  readonly peakRssMiB: number
}

const peakRssMiB = (): number => {
  try {
    // resourceUsage().maxRSS is in KiB.
    return process.resourceUsage().maxRSS / 1024
  } catch {
    return process.memoryUsage().rss / 2 ** 20
  }
}

export const processCost: Effect.Effect<ProcessCost> = Effect.sync(() => {
  const cpu = process.cpuUsage()
  return { sinceStartMs: performance.now(), cpuMs: (cpu.user + cpu.system) / 1000, peakRssMiB: peakRssMiB() }
})

/** The debug lines `overhead` parses: keep their words. */
export const firstTrialLine = (c: ProcessCost, origin: string) =>
  `first trial starts ${c.sinceStartMs.toFixed(0)} ms after process start (${c.cpuMs.toFixed(0)} ms CPU, peak RSS ${c.peakRssMiB.toFixed(1)} MiB); code: ${origin}`
export const endLine = (c: ProcessCost) =>
  `process: peak RSS ${c.peakRssMiB.toFixed(1)} MiB, ${(c.cpuMs / 1000).toFixed(2)} s CPU, ${(c.sinceStartMs / 1000).toFixed(2)} s wall`
