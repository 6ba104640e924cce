import { describe, expect, it } from "@effect/vitest"
import { round } from "../../src/metrics/stats.ts"
import { bucketLowerMs, bucketOf, histogramOf, mergeHistograms } from "../../src/metrics/histogram.ts"
import { Effect } from "effect"
import { makeRecorder, SEGMENT_BOUNDARIES } from "../../src/metrics/recorder.ts"
import { completeSample, emptyMeasured, fsmNetLeaves, SegmentNames } from "../../src/metrics/segments.ts"
import { percentile, summarize } from "../../src/metrics/stats.ts"
import { count } from "../../src/report/format.ts"
import { progressLine } from "../../src/report/progress.ts"

describe("nearest-rank statistics", () => {
  it("match hand-computed percentiles", () => {
    // 1..10: rank ceil(0.5·10)=5 → 5; ceil(0.95·10)=10 → 10; ceil(0.99·10)=10 → 10
    const ten = [7, 3, 10, 1, 5, 9, 2, 8, 4, 6]
    expect(percentile(ten, 50)).toBe(5)
    expect(percentile(ten, 95)).toBe(10)
    expect(percentile(ten, 90)).toBe(9)
    // 1..20: p95 rank 19 → 19; p50 rank 10 → 10; p99 rank ceil(19.8)=20 → 20
    const twenty = Array.from({ length: 20 }, (_, i) => 20 - i)
    expect(percentile(twenty, 95)).toBe(19)
    expect(percentile(twenty, 50)).toBe(10)
    expect(percentile(twenty, 99)).toBe(20)
    // [15, 20, 35, 40, 50]: the textbook example: p30 → rank 2 → 20, p40 → rank 2 → 20, p50 → rank 3 → 35
    expect(percentile([15, 20, 35, 40, 50], 30)).toBe(20)
    expect(percentile([15, 20, 35, 40, 50], 40)).toBe(20)
    expect(percentile([15, 20, 35, 40, 50], 50)).toBe(35)
    expect(percentile([42], 99)).toBe(42)
    expect(percentile([], 50)).toBeNaN()
  })

  it("summarize gives count, mean, min and max", () => {
    const s = summarize([4, 1, 3, 2])
    expect(s).toEqual({ count: 4, p50: 2, p95: 4, p99: 4, mean: 2.5, min: 1, max: 4 })
  })
})

describe("segments", () => {
  it("leaves add up to their parents exactly", () => {
    const m = emptyMeasured()
    Object.assign(m, {
      total_wall_ms: 10,
      mock_api_ms: 4,
      connect_ms: 1,
      fsm_dispatch_ms: 0.5,
      hydrate_ms: 0.25,
      guard_ms: 0.5,
      queue_wait_ms: 0.125,
      lock_wait_ms: 0.25,
      write_ms: 1
    })
    const s = completeSample(m)
    expect(s.fsm_net_ms).toBe(6)
    expect(s.db_total_ms).toBe(2.125)
    expect(s.runtime_ms).toBe(6 - 1 - 0.5 - 2.125)
    expect(fsmNetLeaves.reduce((acc, leaf) => acc + s[leaf], 0)).toBeCloseTo(s.fsm_net_ms, 12)
    expect(fsmNetLeaves).not.toContain("db_total_ms")
    expect(fsmNetLeaves).toContain("lock_wait_ms")
  })
})

describe("Metric view", () => {
  it.effect("agrees with the raw samples: count, sum, min, max, and every bucket's count", () =>
    Effect.gen(function*() {
      const labels = { run: `agree-${Math.random()}` }
      const n = 200
      const recorder = makeRecorder(labels)
      for (let i = 0; i < n; i++) {
        const m = emptyMeasured()
        m.total_wall_ms = 1 + ((i * 37) % 101) / 7
        m.mock_api_ms = ((i * 13) % 17) / 10
        m.write_ms = ((i * 7) % 23) / 5
        yield* recorder.record(completeSample(m))
      }
      for (const segment of SegmentNames) {
        const raw = recorder.samples().columns[segment]
        const exact = summarize(raw)
        const view = yield* recorder.view(segment)
        expect(view.count).toBe(exact.count)
        expect(view.min).toBe(exact.min)
        // Effect's histogram starts its max at Number.MIN_VALUE (the smallest positive number): all-zero samples keep it.
        expect(view.max).toBe(Math.max(exact.max, Number.MIN_VALUE))
        expect(view.sum).toBeCloseTo(raw.reduce((a, b) => a + b, 0), 9)
        expect(view.buckets.map(([bound]) => bound)).toEqual(SEGMENT_BOUNDARIES.values)
        for (const [bound, count] of view.buckets) expect(count).toBe(raw.filter((x) => x <= bound).length)
      }
    }))

})

describe("progress line", () => {
  const at = {
    label: "[2/6] trial 1/5 c=10 realistic baseline",
    trial: 7,
    planned: 42,
    upperBound: false,
    lowerBound: false,
    simulated: true,
    done: 409,
    total: 818,
    elapsedMs: 4_090,
    runEtaSeconds: 35
  }

  it("gives the run's position, files done, rate, elapsed (marked simulated) and the run's ETA", () => {
    expect(progressLine(at, 200)).toBe(
      "[7/42] [2/6] trial 1/5 c=10 realistic baseline: 409/818 files, 100 files/s, 4.09 s simulated; run ETA 35.00 s"
    )
    expect(progressLine({ ...at, simulated: false, upperBound: true, runEtaSeconds: null, done: 0, elapsedMs: 0 }, 200)).toBe(
      "[7/≤42] [2/6] trial 1/5 c=10 realistic baseline: 0/818 files, 0.00 files/s, 0.000 s"
    )
    // A stopping rule may add rounds: the count is then the least the run measures.
    expect(progressLine({ ...at, lowerBound: true }, 200)).toMatch(/^\[7\/≥42\] /)
    expect(progressLine({ ...at, upperBound: true, lowerBound: true }, 200)).toMatch(/^\[7\/~42\] /)
  })

  it("is cut to the terminal's width", () => {
    const line = progressLine(at, 60)
    expect(line).toHaveLength(60)
    expect(line.endsWith("…")).toBe(true)
  })

  it("writes counts with thousands separators", () => {
    expect([0, 999, 1000, 2454, 1234567, -4321, 202436.4].map(count)).toEqual([
      "0", "999", "1,000", "2,454", "1,234,567", "-4,321", "202,436"
    ])
  })
})

describe("histograms", () => {
  it("count each value in its log bucket, values at or below 0 apart, and merge by adding counts", () => {
    const h = histogramOf([0, -1e-9, 0.0015, 1, 1.05, 1.2, 250])
    expect(h.zero).toBe(2)
    // 20 buckets per decade from 1 µs: 1 ms is bucket 60, 1.05 ms too, 1.2 ms bucket 61, 250 ms bucket 107.
    expect(h.buckets).toEqual([[3, 1], [60, 2], [61, 1], [107, 1]])
    for (const [i] of h.buckets) expect(bucketLowerMs(i)).toBeLessThanOrEqual(bucketLowerMs(i + 1))
    expect(bucketLowerMs(60)).toBeCloseTo(1, 9)
    expect(bucketOf(bucketLowerMs(61) * 1.0001)).toBe(61)
    const merged = mergeHistograms([h, histogramOf([1.01, 3])])
    expect(merged.zero).toBe(2)
    expect(merged.buckets).toEqual([[3, 1], [60, 3], [61, 1], [69, 1], [107, 1]])
  })
})

describe("rounding for the result document", () => {
  it("never gives -0, which JSON cannot carry", () => {
    expect(Object.is(round(-1e-9), 0)).toBe(true)
    expect(Object.is(round(-0), 0)).toBe(true)
    expect(round(-0.00016)).toBe(-0.0002)
    expect(round(1.23456, 2)).toBe(1.23)
  })
})

