/**
 * The plan of a run, from its configuration alone (pure): the matrix's
 * configurations in the order they run, the before/after comparisons to
 * make at c=10 zero, and which matrix configuration is measured as one side
 * of the first comparison instead of on its own.
 */
import { type LatencyProfile, realistic, zero } from "../api/profiles.ts"
import { mitigationLabel, type Registry } from "../mitigations/registry.ts"
import type { LadderMode } from "../results/schema.ts"
import { PRIMARY } from "../verdict/bottleneck.ts"
import type { BenchConfig } from "./config.ts"

export interface Cell {
  readonly concurrency: number
  readonly profile: LatencyProfile
  readonly mitigations: ReadonlyArray<string>
  /**
   * Set when this configuration is one side of the first comparison (the
   * baseline, or the --mitigations set when that is what is compared): it is
   * then measured once, as that side of the alternating series, not twice.
   */
  readonly sharedSide: "before" | "after" | null
}

export interface Plan {
  readonly cells: ReadonlyArray<Cell>
  /** The ladder's steps, or the --mitigations set against the baseline; null when nothing is compared. */
  readonly comparisons: { readonly mode: LadderMode; readonly steps: ReadonlyArray<ReadonlyArray<string>> } | null
  /** Where comparisons are measured: c=10 zero. */
  readonly comparisonAt: { readonly concurrency: number; readonly profile: LatencyProfile }
  /** Every profile run, as run (the matrix's and the comparisons'). */
  readonly profiles: ReadonlyArray<LatencyProfile>
  /**
   * Trials the run will measure, warm-ups included: at most this many when
   * the ladder stops at its first success, at least this many when a
   * stopping rule may add rounds (`--target-ci`), either way when both.
   */
  readonly trials: { readonly count: number; readonly upperBound: boolean; readonly lowerBound: boolean }
}

export const planOf = (config: BenchConfig, registry: Pick<Registry, "ladder">): Plan => {
  const profileNamed = (name: string): LatencyProfile =>
    name === "zero" ? zero : config.customProfiles.find((p) => p.name === name) ?? realistic(config.realisticDelaySeconds)
  const comparisons = config.ladder !== "off"
    ? { mode: config.ladder, steps: registry.ladder }
    : config.mitigations.length > 0
    ? { mode: "full" as const, steps: [config.mitigations] }
    : null
  const firstSet = comparisons?.steps[0]
  const matrixLabel = mitigationLabel(config.mitigations)
  const sharedSide = firstSet === undefined
    ? null
    : matrixLabel === "baseline"
    ? "before"
    : matrixLabel === mitigationLabel(firstSet)
    ? "after"
    : null
  const cells = config.profiles.flatMap((name) =>
    config.concurrency.map((concurrency): Cell => ({
      concurrency,
      profile: profileNamed(name),
      mitigations: config.mitigations,
      sharedSide: concurrency === PRIMARY.concurrency && name === PRIMARY.profile ? sharedSide : null
    }))
  )
  const series = config.warmup + config.trials
  const ownCells = cells.filter((c) => c.sharedSide === null || comparisons === null)
    .map((c) => config.warmup + (c.concurrency === PRIMARY.concurrency ? config.trials : config.otherTrials))
    .reduce((a, b) => a + b, 0)
  return {
    cells,
    comparisons,
    trials: {
      // Full mode: one baseline series in rounds with every step's; first mode: each step
      // alternates with a baseline series of its own. A shared cell is the first step's.
      // The contrast driver measures one more series.
      count: ownCells +
        (comparisons === null
          ? 0
          : comparisons.mode === "full"
          ? (comparisons.steps.length + 1) * series
          : comparisons.steps.length * 2 * series) +
        (config.contrast === null ? 0 : series),
      upperBound: comparisons?.mode === "first" && comparisons.steps.length > 1,
      lowerBound: config.targetCi !== null
    },
    comparisonAt: { concurrency: PRIMARY.concurrency, profile: profileNamed(PRIMARY.profile) },
    profiles: [...new Set([...config.profiles, PRIMARY.profile])].map(profileNamed)
  }
}
