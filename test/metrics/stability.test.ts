/** The stability figures of a configuration's trials, on synthetic samples. */
import { describe, expect, it } from "vitest"
import { coefficientOfVariation, modifiedZ, outliersOf, stabilityOf } from "../../src/metrics/stability.ts"

describe("stability", () => {
  it("the coefficient of variation is the sample standard deviation over the mean", () => {
    // mean 2, sample variance ((1)^2 + 0 + 1^2) / 2 = 1: CV 0.5.
    expect(coefficientOfVariation([1, 2, 3])).toBeCloseTo(0.5, 12)
    expect(coefficientOfVariation([5])).toBe(0)
    expect(coefficientOfVariation([0, 0, 0])).toBe(0)
  })

  it("a trial is an outlier when its modified Z-score is over 3.5 (hyperfine's rule)", () => {
    const xs = [1.0, 1.01, 0.99, 1.02, 0.98, 1.6]
    // median 1.005, MAD 0.015: 1.6 scores 0.6745 × 0.595 / 0.015 ≈ 26.8.
    expect(modifiedZ(xs)[5]).toBeCloseTo((0.6745 * (1.6 - 1.005)) / 0.015, 6)
    expect(outliersOf(xs)).toEqual([5])
    // Just inside: a score of about 3.4 is no outlier.
    expect(outliersOf([1.0, 1.01, 0.99, 1.02, 0.98, 1.005 + (3.4 * 0.015) / 0.6745])).toEqual([])
  })

  it("no spread (MAD 0) names no outlier", () => {
    expect(outliersOf([1, 1, 1, 1, 2])).toEqual([])
  })

  it("unstable: CV over 10% or an outlier", () => {
    expect(stabilityOf([1.0, 1.01, 0.99]).unstable).toBe(false)
    expect(stabilityOf([1.0, 1.3, 0.8]).unstable).toBe(true)
    expect(stabilityOf([1.0, 1.01, 0.99, 1.02, 0.98, 1.15])).toMatchObject({ outliers: [5], unstable: true })
  })
})
