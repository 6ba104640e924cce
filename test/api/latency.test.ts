import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { type LatencyModel, type LatencyProfile, meanSeconds, parseProfile, sample } from "../../src/api/profiles.ts"
import { seededRandom } from "../../src/metrics/random.ts"
import { percentile } from "../../src/metrics/stats.ts"
import { BetterSqlite } from "../drivers.ts"
import { experiment } from "../helpers.ts"

const draws = (model: LatencyModel, n: number, seed: number) => {
  const random = seededRandom(seed)
  return Array.from({ length: n }, () => sample(model, random))
}

describe("latency models", () => {
  it("constant is constant", () => {
    expect(new Set(draws({ kind: "constant", seconds: 2 }, 100, 1))).toEqual(new Set([2]))
  })

  it("normal has its mean and spread, and is truncated at 0", () => {
    const xs = draws({ kind: "normal", mean: 2, sd: 0.5 }, 20_000, 2)
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length
    expect(mean).toBeCloseTo(2, 1)
    expect(percentile(xs, 50)).toBeCloseTo(2, 1)
    const wide = draws({ kind: "normal", mean: 0.1, sd: 1 }, 5_000, 3)
    expect(Math.min(...wide)).toBeGreaterThanOrEqual(0)
  })

  it("lognormal has the median and p95 it was given", () => {
    const xs = draws({ kind: "lognormal", median: 1.5, p95: 4 }, 40_000, 4)
    expect(percentile(xs, 50) / 1.5).toBeGreaterThan(0.97)
    expect(percentile(xs, 50) / 1.5).toBeLessThan(1.03)
    expect(percentile(xs, 95) / 4).toBeGreaterThan(0.95)
    expect(percentile(xs, 95) / 4).toBeLessThan(1.05)
    expect(meanSeconds({ kind: "lognormal", median: 1.5, p95: 4 })).toBeGreaterThan(1.5)
  })

  it("the same seed draws the same sequence; another seed another", () => {
    const model: LatencyModel = { kind: "lognormal", median: 1, p95: 3 }
    expect(draws(model, 50, 7)).toEqual(draws(model, 50, 7))
    expect(draws(model, 50, 7)).not.toEqual(draws(model, 50, 8))
  })
})

describe("profile files", () => {
  const parse = (value: unknown) => parseProfile("--profile-file p.json", JSON.stringify(value))
  const good = {
    name: "flaky-api",
    upload: { kind: "lognormal", median: 1.5, p95: 4 },
    import: { kind: "normal", mean: 2, sd: 0.5 },
    rateLimitPerMinute: 600
  }

  it("reads a profile, the rate limit optional", () => {
    expect(parse(good)).toEqual(
      Either.right({ ...good, failureProbability: { upload: 0, import: 0 }, timeoutSeconds: { upload: null, import: null } })
    )
    const { rateLimitPerMinute: _, ...noLimit } = good
    expect(Either.map(parse(noLimit), (p) => p.rateLimitPerMinute)).toEqual(Either.right(null))
  })

  it("refuses what is not a profile, naming the problem", () => {
    const message = (value: unknown) => Either.match(parse(value), { onLeft: (e) => e, onRight: () => "accepted" })
    expect(Either.isLeft(parseProfile("--profile-file p.json", "{oops"))).toBe(true)
    expect(message({ ...good, upload: { kind: "weibull" } })).toContain("--profile-file p.json: upload")
    expect(message({ ...good, name: "realistic" })).toContain("is a built-in profile's")
    expect(message({ ...good, extra: 1 })).toContain("extra")
    expect(message({ ...good, upload: { kind: "lognormal", median: 4, p95: 1 } })).toContain("p95 must be at least the median")
    expect(message({ ...good, rateLimitPerMinute: 0 })).toContain("rateLimitPerMinute")
  })
})

describe("rate limit", () => {
  it.live("never admits more calls in any 60 s of simulated time than the limit, and answers 429 to the rest", () =>
    Effect.gen(function*() {
      const limit = 30
      const profile: LatencyProfile = {
        name: "limited",
        upload: { kind: "constant", seconds: 0.1 },
        import: { kind: "constant", seconds: 0.1 },
        rateLimitPerMinute: limit,
        failureProbability: { upload: 0, import: 0 },
        timeoutSeconds: { upload: null, import: null }
      }
      const m = yield* experiment({ files: 40, concurrency: 10, profile, clock: "warp" }).pipe(
        Effect.provide(BetterSqlite.layer)
      )
      const admitted = m.api.admittedAtMs
      expect(m.api.calls).toBe(80)
      expect(m.api.rateLimited).toBeGreaterThan(0)
      const sorted = [...admitted].sort((a, b) => a - b)
      for (let i = 0; i < sorted.length; i++) {
        const start = sorted[i] ?? 0
        const inWindow = sorted.filter((t) => t >= start && t < start + 60_000).length
        expect(inWindow).toBeLessThanOrEqual(limit)
      }
      // 80 calls at 30 per minute: the last ones cannot start before 2 minutes.
      expect(m.elapsedMs).toBeGreaterThanOrEqual(120_000)
      expect(m.stored.every((f) => f.state === "indexed")).toBe(true)
    }))
})
