import { describe, expect, it } from "@effect/vitest"
import { median, medianInterval, ratioInterval } from "../../src/metrics/bootstrap.ts"
import { seededRandom } from "../../src/metrics/random.ts"
import { compareSeries, verdictOf } from "../../src/verdict/compare.ts"
import { bySegment } from "../../src/metrics/segments.ts"

/** Samples around `center` with a spread of ±`spread`, from a seeded generator (reproducible). */
const noisy = (n: number, center: number, spread: number, seed: number) => {
  const random = seededRandom(seed)
  return Array.from({ length: n }, () => center + (random() * 2 - 1) * spread)
}

describe("bootstrap intervals", () => {
  it("median of odd and even samples", () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([])).toBeNaN()
  })

  it("a known ratio of 0.8 is inside the interval, 1 is outside, and the verdict is improved", () => {
    const before = noisy(9, 10, 0.5, 1)
    const after = noisy(9, 8, 0.4, 2)
    const { ratio, interval } = ratioInterval(before, after, seededRandom(42))
    expect(ratio).toBeCloseTo(0.8, 1)
    expect(interval).not.toBeNull()
    if (interval !== null) {
      expect(interval[0]).toBeLessThan(0.8)
      expect(interval[1]).toBeGreaterThan(0.8)
      expect(interval[1]).toBeLessThan(1)
    }
    expect(verdictOf(ratio, interval, 0.05)).toBe("improved")
  })

  it("the same distribution on both sides gives an interval containing 1: no significant change", () => {
    const before = noisy(7, 10, 1, 3)
    const after = noisy(7, 10, 1, 4)
    const { ratio, interval } = ratioInterval(before, after, seededRandom(42))
    expect(interval?.[0]).toBeLessThan(1)
    expect(interval?.[1]).toBeGreaterThan(1)
    expect(verdictOf(ratio, interval, 0.05)).toBe("no significant change")
  })

  it("a 1.5× slowdown is regressed; a significant but tiny change stays below the noise threshold", () => {
    const before = noisy(9, 10, 0.2, 5)
    const slower = ratioInterval(before, noisy(9, 15, 0.2, 6), seededRandom(7))
    expect(verdictOf(slower.ratio, slower.interval, 0.05)).toBe("regressed")
    // 2% faster with almost no spread: the CI excludes 1, but 2% is below 5% noise.
    const tight = ratioInterval(noisy(9, 10, 0.01, 8), noisy(9, 9.8, 0.01, 9), seededRandom(7))
    expect(tight.interval?.[1]).toBeLessThan(1)
    expect(verdictOf(tight.ratio, tight.interval, 0.05)).toBe("no significant change")
    expect(verdictOf(tight.ratio, tight.interval, 0.01)).toBe("improved")
  })

  it("is reproducible: the same seed gives the same draws and interval, another seed other draws", () => {
    const xs = noisy(8, 5, 1, 11)
    expect(medianInterval(xs, seededRandom(1))).toEqual(medianInterval(xs, seededRandom(1)))
    const draws = (seed: number) => Array.from({ length: 5 }, seededRandom(seed))
    expect(draws(1)).toEqual(draws(1))
    expect(draws(1)).not.toEqual(draws(2))
    expect(draws(3).every((x) => x >= 0 && x < 1)).toBe(true)
  })

  it("a zero before-median has no ratio", () => {
    expect(ratioInterval([0, 0, 0], [1, 2, 3], seededRandom(1))).toEqual({ ratio: null, interval: null })
    expect(verdictOf(null, null, 0.05)).toBe("n/a")
  })

  it("compareSeries reports elapsed and every segment's P95", () => {
    const trial = (elapsedSeconds: number) => ({
      elapsedSeconds,
      segments: bySegment(() => ({ p50: 1, p95: elapsedSeconds, p99: 1, mean: 1, min: 1, max: 1 }))
    })
    const rows = compareSeries(
      { trialResults: [trial(10), trial(10.5), trial(9.5)] },
      { trialResults: [trial(5), trial(5.2), trial(4.8)] },
      { noise: 0.05, seed: 1 }
    )
    expect(rows).toHaveLength(13)
    expect(rows[0]).toMatchObject({ metric: "elapsed", before: 10, after: 5, delta: -5, deltaPercent: -50, ratio: 0.5, verdict: "improved" })
  })
})
