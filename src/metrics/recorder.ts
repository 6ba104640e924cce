/**
 * Where per-file samples go: kept raw (the exact statistics come from these)
 * and fed to Effect Metric summaries tagged with the run's labels, the live
 * view that any Effect metrics exporter can read. `metricView` reads them back
 * so that tests can check that both agree.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as MetricKey from "effect/MetricKey"
import * as MetricLabel from "effect/MetricLabel"
import * as Option from "effect/Option"
import { type FileSample, type SegmentName, SegmentNames } from "./segments.ts"

export type RunLabels = Readonly<Record<string, string>>

// One array for every summary: metric keys compare it by reference.
const QUANTILES = [0.5, 0.95, 0.99] as const

// The tags are baked into the metric key, not added with Metric.tagged: a
// tagged metric merges its tags and looks its hook up in the registry on every
// update, which cost 0.16 ms per file here; a keyed one resolves it once.
const segmentSummary = (segment: SegmentName, labels: RunLabels, maxSize: number) =>
  Metric.withNow(Metric.fromMetricKey(
    MetricKey.summary({
      name: "upload_fsm_segment_ms",
      description: "per-file segment time in milliseconds",
      // Keep every sample of a run: the view must agree with the raw samples.
      maxAge: Duration.infinity,
      // Effect's summary never reads back the last slot of its ring: one spare.
      maxSize: maxSize + 2,
      error: 0,
      quantiles: QUANTILES
    }).pipe(
      MetricKey.taggedWithLabels([
        MetricLabel.make("segment", segment),
        ...Object.entries(labels).map(([k, v]) => MetricLabel.make(k, v))
      ])
    )
  ))

export const transitionsCounter = Metric.counter("upload_fsm_transitions_persisted", {
  description: "lifecycle transitions whose write returned success to their actor (with batched writes: applied, commit pending)",
  incremental: true
})

export const busyCounter = Metric.counter("upload_fsm_sqlite_busy", {
  description: "SQLITE_BUSY answers while acquiring the write lock",
  incremental: true
})

export interface Recorder {
  readonly record: (sample: FileSample) => Effect.Effect<void>
  /** `record` at once, for a caller already in a synchronous step. */
  readonly recordNow: (sample: FileSample) => void
  readonly samples: () => ReadonlyArray<FileSample>
  /** What the Effect Metric summary of `segment` for this run holds now. */
  readonly view: (segment: SegmentName) => Effect.Effect<MetricView>
}

export const makeRecorder = (labels: RunLabels, expectedFiles: number): Recorder => {
  const metrics = SegmentNames.map((name) => [name, segmentSummary(name, labels, expectedFiles)] as const)
  const byName = new Map(metrics)
  const kept: Array<FileSample> = []
  // Once per file, on the hot path: no fiber-scoped metric labels are in use, so none are passed.
  const recordNow = (sample: FileSample) => {
    kept.push(sample)
    for (const [name, metric] of metrics) metric.unsafeUpdate(sample[name], [])
  }
  return {
    record: (sample) => Effect.sync(() => recordNow(sample)),
    recordNow,
    samples: () => kept,
    view: (segment) => {
      const metric = byName.get(segment) ?? segmentSummary(segment, labels, expectedFiles)
      return Effect.map(Metric.value(metric), (state) => ({
        count: state.count,
        sum: state.sum,
        min: state.min,
        max: state.max,
        quantiles: state.quantiles.map(([q, v]) => [q, Option.getOrUndefined(v)] as const)
      }))
    }
  }
}

export interface MetricView {
  readonly count: number
  readonly sum: number
  readonly min: number
  readonly max: number
  readonly quantiles: ReadonlyArray<readonly [number, number | undefined]>
}
