/**
 * A run's per-file samples in columns: one Float64Array per segment, the
 * i-th file's value at index i of each. Eight bytes per segment per file,
 * where a sample object per file costs far more on V8's heap (the object, a
 * heap number per field, often a hidden class of its own): at 100,000 files
 * objects were most of what a run kept (docs/measurements.md). Plain data,
 * so it crosses to and from another process as it is.
 */
import { bySegment, type FileSample, type SegmentName, SegmentNames } from "./segments.ts"

export interface Samples {
  readonly count: number
  /** Each exactly `count` long. */
  readonly columns: { readonly [S in SegmentName]: Float64Array }
}

export const emptySamples: Samples = { count: 0, columns: bySegment(() => new Float64Array(0)) }

/** The `i`-th file's sample, as an object (for a caller that wants one file's segments together). */
export const sampleAt = (samples: Samples, i: number): FileSample => bySegment((name) => samples.columns[name][i] ?? NaN)

/** Every file's sample as an object, in order. */
export const sampleList = (samples: Samples): ReadonlyArray<FileSample> =>
  Array.from({ length: samples.count }, (_, i) => sampleAt(samples, i))

/** Parts' samples one after another. */
export const concatSamples = (parts: ReadonlyArray<Samples>): Samples => {
  const count = parts.reduce((n, p) => n + p.count, 0)
  return {
    count,
    columns: bySegment((name) => {
      const column = new Float64Array(count)
      let at = 0
      for (const part of parts) {
        column.set(part.columns[name], at)
        at += part.count
      }
      return column
    })
  }
}

/** Samples as they come, one file at a time: each column doubles its capacity when full. */
export interface SampleBuffer {
  readonly push: (sample: FileSample) => void
  /** The samples so far, copied out at their exact length. */
  readonly samples: () => Samples
}

export const makeSampleBuffer = (initialCapacity = 1024): SampleBuffer => {
  let capacity = Math.max(1, initialCapacity)
  let count = 0
  let columns = bySegment(() => new Float64Array(capacity))
  return {
    push: (sample) => {
      if (count === capacity) {
        capacity *= 2
        const old = columns
        columns = bySegment((name) => {
          const grown = new Float64Array(capacity)
          grown.set(old[name])
          return grown
        })
      }
      for (const name of SegmentNames) columns[name][count] = sample[name]
      count += 1
    },
    samples: () => ({ count, columns: bySegment((name) => columns[name].slice(0, count)) })
  }
}

/** Samples given as objects, in columns. */
export const samplesOf = (list: Iterable<FileSample>): Samples => {
  const buffer = makeSampleBuffer()
  for (const sample of list) buffer.push(sample)
  return buffer.samples()
}
