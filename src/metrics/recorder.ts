/**
 * Where per-file samples go: kept raw (the exact statistics come from these)
 * and fed to Effect Metric summaries tagged with the run's labels, the live
 * view that any Effect metrics exporter can read. `metricView` reads them back
 * so that tests can check that both agree.
 */
import { Duration, Effect, Metric, MetricLabel, Option } from "effect"
import { type FileSample, type SegmentName, SegmentNames } from "./segments.ts"

export type RunLabels = Readonly<Record<string, string>>

const segmentSummary = (segment: SegmentName, labels: RunLabels, maxSize: number) =>
  Metric.summary({
    name: "upload_fsm_segment_ms",
    description: "per-file segment time in milliseconds",
    // Keep every sample of a run: the view must agree with the raw samples.
    maxAge: Duration.infinity,
    // Effect's summary never reads back the last slot of its ring: one spare.
    maxSize: maxSize + 2,
    error: 0,
    quantiles: [0.5, 0.95, 0.99]
  }).pipe(Metric.tagged("segment", segment), Metric.taggedWithLabels(Object.entries(labels).map(([k, v]) => MetricLabel.make(k, v))))

export const transitionsCounter = Metric.counter("upload_fsm_transitions_persisted", {
  description: "lifecycle transitions committed to the database",
  incremental: true
})

export const busyCounter = Metric.counter("upload_fsm_sqlite_busy", {
  description: "SQLITE_BUSY answers while acquiring the write lock",
  incremental: true
})

export interface Recorder {
  readonly record: (sample: FileSample) => Effect.Effect<void>
  readonly samples: () => ReadonlyArray<FileSample>
}

export const makeRecorder = (labels: RunLabels, expectedFiles: number): Recorder => {
  const metrics = SegmentNames.map((name) => [name, segmentSummary(name, labels, expectedFiles)] as const)
  const kept: Array<FileSample> = []
  return {
    record: (sample) =>
      Effect.suspend(() => {
        kept.push(sample)
        return Effect.forEach(metrics, ([name, metric]) => Metric.update(metric, sample[name]), { discard: true })
      }),
    samples: () => kept
  }
}

export interface MetricView {
  readonly count: number
  readonly sum: number
  readonly min: number
  readonly max: number
  readonly quantiles: ReadonlyArray<readonly [number, number | undefined]>
}

/** What the Effect Metric summary of `segment` for a run holds now. */
export const metricView = (segment: SegmentName, labels: RunLabels, expectedFiles: number): Effect.Effect<MetricView> =>
  Effect.map(Metric.value(segmentSummary(segment, labels, expectedFiles)), (state) => ({
    count: state.count,
    sum: state.sum,
    min: state.min,
    max: state.max,
    quantiles: state.quantiles.map(([q, v]) => [q, Option.getOrUndefined(v)] as const)
  }))
