/**
 * Where per-file samples go: kept raw, in typed columns (`samples.ts`; the
 * exact statistics come from these), and fed to Effect Metric histograms
 * tagged with the run's labels, the live view that any Effect metrics
 * exporter can read. `view` reads them back so
 * that tests can check that both agree.
 *
 * Histograms, not summaries: a histogram's memory is its buckets, whatever
 * the number of files, where Effect's summary keeps a `[timestamp, value]`
 * pair per observation (one per segment per file, and never freed: metrics
 * stay registered for the life of the process, one series per trial).
 */
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricKey from "effect/MetricKey"
import * as MetricLabel from "effect/MetricLabel"
import { makeSampleBuffer, sampleAt, type Samples } from "./samples.ts"
import { MetricDefinitions } from "./definitions.ts"
import { type FileSample, type SegmentName, SegmentNames } from "./segments.ts"

export type RunLabels = Readonly<Record<string, string>>

/**
 * Bucket bounds in milliseconds: 0.001 ms doubling to about 268 s (29
 * bounds, and the unbounded one Effect counts among the 30). One object for
 * every histogram: metric keys compare it by reference.
 */
export const SEGMENT_BOUNDARIES = MetricBoundaries.exponential({ start: 0.001, factor: 2, count: 30 })

// The tags are baked into the metric key, not added with Metric.tagged: a
// tagged metric merges its tags and looks its hook up in the registry on every
// update, which showed in the hot path's CPU profile; a keyed one resolves it once.
const segmentHistogram = (segment: SegmentName, labels: RunLabels) =>
  Metric.fromMetricKey(
    MetricKey.histogram(MetricDefinitions.segment.name, SEGMENT_BOUNDARIES, MetricDefinitions.segment.description).pipe(
      MetricKey.taggedWithLabels([
        MetricLabel.make("segment", segment),
        ...Object.entries(labels).map(([k, v]) => MetricLabel.make(k, v))
      ])
    )
  )

export interface Recorder {
  /** The run's labels, on every series it keeps. */
  readonly labels: RunLabels
  readonly record: (sample: FileSample) => Effect.Effect<void>
  /** `record` at once, for a caller already in a synchronous step. */
  readonly recordNow: (sample: FileSample) => void
  /** Every file's sample, in columns (a runner's included), copied out as they stand now. */
  readonly samples: () => Samples
  /** Many files' samples at once (a worker's, as they come back). */
  readonly recordAll: (samples: Samples) => Effect.Effect<void>
  /** What the Effect Metric histogram of `segment` for this run holds now. */
  readonly view: (segment: SegmentName) => Effect.Effect<MetricView>
}

export const makeRecorder = (labels: RunLabels): Recorder => {
  const metrics = SegmentNames.map((name) => [name, segmentHistogram(name, labels)] as const)
  const byName = new Map(metrics)
  const kept = makeSampleBuffer()
  // Once per file, on the hot path: no fiber-scoped metric labels are in use, so none are passed.
  const recordNow = (sample: FileSample) => {
    kept.push(sample)
    for (const [name, metric] of metrics) metric.unsafeUpdate(sample[name], [])
  }
  return {
    labels,
    record: (sample) => Effect.sync(() => recordNow(sample)),
    recordNow,
    samples: kept.samples,
    recordAll: (samples) =>
      Effect.sync(() => {
        for (let i = 0; i < samples.count; i++) recordNow(sampleAt(samples, i))
      }),
    view: (segment) => {
      const metric = byName.get(segment) ?? segmentHistogram(segment, labels)
      return Effect.map(Metric.value(metric), (state) => ({
        count: state.count,
        sum: state.sum,
        min: state.min,
        max: state.max,
        buckets: state.buckets.map(([bound, count]) => [bound, count] as const)
      }))
    }
  }
}

export interface MetricView {
  readonly count: number
  readonly sum: number
  readonly min: number
  readonly max: number
  /** Each bound, and how many samples are at or below it. */
  readonly buckets: ReadonlyArray<readonly [number, number]>
}
