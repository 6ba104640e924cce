import { describe, expect, it } from "@effect/vitest"
import { concatSamples, emptySamples, makeSampleBuffer, sampleAt, sampleList, samplesOf } from "../../src/metrics/samples.ts"
import { type FileSample, SegmentNames } from "../../src/metrics/segments.ts"

/** A sample whose every segment is different: file `i`'s segment k is i + k/100. */
const sample = (i: number): FileSample =>
  Object.fromEntries(SegmentNames.map((name, k) => [name, i + k / 100])) as FileSample

describe("samples in columns", () => {
  it("a buffer grown past its capacity keeps every sample, in order, each column exactly as long as the count", () => {
    const buffer = makeSampleBuffer(2)
    for (let i = 0; i < 5; i++) buffer.push(sample(i))
    const samples = buffer.samples()
    expect(samples.count).toBe(5)
    for (const name of SegmentNames) expect(samples.columns[name]).toHaveLength(5)
    expect(sampleList(samples)).toEqual([0, 1, 2, 3, 4].map(sample))
    expect(sampleAt(samples, 3)).toEqual(sample(3))
  })

  it("what samples() gave does not change when more come", () => {
    const buffer = makeSampleBuffer(1)
    buffer.push(sample(0))
    const before = buffer.samples()
    buffer.push(sample(1))
    expect(before.count).toBe(1)
    expect([...before.columns.write_ms]).toEqual([sample(0).write_ms])
    expect(buffer.samples().count).toBe(2)
  })

  it("parts put together one after another; none at all is empty", () => {
    const all = concatSamples([samplesOf([sample(0), sample(1)]), emptySamples, samplesOf([sample(2)])])
    expect(sampleList(all)).toEqual([sample(0), sample(1), sample(2)])
    expect(concatSamples([])).toEqual(emptySamples)
    expect(samplesOf([])).toEqual(emptySamples)
  })

  it("cross a process boundary as they are (structured clone, as a worker's IPC does)", () => {
    const samples = samplesOf([sample(7), sample(8)])
    const copy = structuredClone(samples)
    expect(copy.columns.runtime_ms).toBeInstanceOf(Float64Array)
    expect(sampleList(copy)).toEqual(sampleList(samples))
  })
})
