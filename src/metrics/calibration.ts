/**
 * The machine's speed, probed during a run: a fixed computation (CPU) and a
 * loop of commits (storage), at the start, after each configuration and at
 * the end. A configuration measured next to a probe much slower than the
 * run's fastest was measured on a machine that had moved; `compare` divides
 * by the probes when two runs' machines differ. The figures here are pure;
 * the storage probe's loop lives with the run (`bench/calibration.ts`).
 */
import { median } from "./bootstrap.ts"

/** One probe of the machine. */
export interface Probe {
  /** `start`, `end`, or the label of the configuration measured just before it (with `, round N` within one). */
  readonly at: string
  readonly cpuMs: number
  /** Null when the run's store is not probed (see the calibration's `storage`). */
  readonly storageMs: number | null
}

/**
 * A CPU drift above this means the machine moved during the run. Each probe
 * is short and noisy, so the drift is taken over the probes smoothed by a
 * running median of three; on a quiet machine that reached at most 1.92 in 20
 * runs (docs/measurements.md, "Compare on a noisy machine"), so crossing 2 is
 * the machine, not the probes' own noise. The storage probe's drift is
 * reported, not judged: it reached 3.4 on the same quiet runs.
 */
export const DRIFT_THRESHOLD = 2

/** Rounds of the CPU probe; the probe is their median. */
export const CPU_ROUNDS = 3

/** Runs of `cpuWork` each thread does in one round. */
export const CPU_WORK_PER_ROUND = 4

/** Commits in one storage probe; the probe is their total time. */
export const STORAGE_COMMITS = 100

/**
 * The CPU probe's computation: objects allocated into a Map, then sorted,
 * the kind of work an actor's fibers do. Self-contained (its source runs in
 * the probe's threads as it is); its result is returned so that no engine
 * can drop it.
 */
export function cpuWork(): number {
  const m = new Map<number, { readonly k: number; readonly v: number }>()
  let acc = 0
  for (let i = 0; i < 20000; i++) {
    const o = { k: i, v: (i * 2654435761) % 1000 }
    m.set(i, o)
    acc += o.v
  }
  const sorted = Array.from(m.values(), (o) => o.v).sort((a, b) => a - b)
  return acc + (sorted[0] ?? 0)
}

/** A probe's configuration: its label without the round (`c=10 zero ladder, round 3` → `c=10 zero ladder`). */
export const configurationOf = (at: string): string => at.replace(/, round \d+$/, "")

/** Slowest ÷ fastest of the figures (1 for fewer than two, or a zero among them). */
export const driftOf = (xs: ReadonlyArray<number>): number => {
  if (xs.length < 2) return 1
  const fastest = Math.min(...xs)
  return fastest > 0 ? Math.max(...xs) / fastest : 1
}

/** Each figure replaced by the median of itself and its neighbours: one probe's hiccup is not the machine moving. */
export const smoothed = (xs: ReadonlyArray<number>): ReadonlyArray<number> => xs.map((_, i) => median(xs.slice(Math.max(0, i - 1), i + 2)))

/** The probes' summary: drift per probe kind (smoothed), whether the machine moved, and the configurations measured beside a slow probe. */
export interface Drift {
  readonly cpu: number
  readonly storage: number | null
  readonly shifted: boolean
  readonly hit: ReadonlyArray<string>
}

/**
 * The drift of `probes` (in the order taken), each kind smoothed first. The
 * machine moved when the CPU drift exceeds `threshold`; a configuration is
 * hit when the smoothed CPU probe before it or the one after it (its
 * label's) was slower than the fastest by more than `threshold`.
 */
export const driftOfProbes = (probes: ReadonlyArray<Probe>, threshold = DRIFT_THRESHOLD): Drift => {
  const cpu = smoothed(probes.map((p) => p.cpuMs))
  const storage = probes.flatMap((p) => (p.storageMs === null ? [] : [p.storageMs]))
  const fastest = Math.min(...cpu)
  const slow = cpu.map((x) => fastest > 0 && x / fastest > threshold)
  const hit = probes.flatMap((p, i) =>
    i === 0 || p.at === "end" || p.at === "start" ? [] : (slow[i] === true || slow[i - 1] === true ? [configurationOf(p.at)] : [])
  )
  const cpuDrift = driftOf(cpu)
  return { cpu: cpuDrift, storage: storage.length === 0 ? null : driftOf(smoothed(storage)), shifted: cpuDrift > threshold, hit: [...new Set(hit)] }
}
