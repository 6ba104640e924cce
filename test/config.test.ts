import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { DEFAULTS, parseConfig, type RawOptions } from "../src/config.ts"

const raw = (overrides: Partial<RawOptions> = {}): RawOptions => ({
  files: String(DEFAULTS.files),
  concurrency: DEFAULTS.concurrency,
  profiles: undefined,
  profileFile: undefined,
  realisticDelay: undefined,
  quick: false,
  seed: String(DEFAULTS.seed),
  db: undefined,
  out: DEFAULTS.out,
  thresholdZero: String(DEFAULTS.thresholdZeroSeconds),
  thresholdRealistic: String(DEFAULTS.thresholdRealisticSeconds),
  json: false,
  mitigations: undefined,
  ladder: undefined,
  trials: String(DEFAULTS.trials),
  warmup: String(DEFAULTS.warmup),
  noise: String(DEFAULTS.noise),
  batchSize: String(DEFAULTS.batchSize),
  failBatch: undefined,
  clock: "warp",
  scenario: "happy",
  maxAttempts: "3",
  retryBase: "1",
  driver: "better-sqlite3",
  ...overrides
})

const error = (overrides: Partial<RawOptions>): string => {
  const result = parseConfig(raw(overrides))
  return Either.isLeft(result) ? result.left.message : "parsed"
}

describe("configuration", () => {
  it("defaults to the seed's matrix: 818 files, c=1,10,50, zero and realistic at 2.0 s, seed 42", () => {
    const config = Either.getOrThrow(parseConfig(raw()))
    expect(config).toMatchObject({
      files: 818,
      concurrency: [1, 10, 50],
      profiles: ["zero", "realistic"],
      realisticDelaySeconds: 2,
      seed: 42,
      db: null,
      thresholdZeroSeconds: 300,
      thresholdRealisticSeconds: 21_600,
      mitigations: [],
      ladder: "first",
      trials: 5,
      warmup: 1,
      noise: 0.05,
      batchSize: 10,
      failBatch: null
    })
  })

  it("--mitigations turns the automatic ladder off unless --ladder is given", () => {
    const set = Either.getOrThrow(parseConfig(raw({ mitigations: "shared-connection" })))
    expect(set).toMatchObject({ mitigations: ["shared-connection"], ladder: "off" })
    const both = Either.getOrThrow(parseConfig(raw({ mitigations: "shared-connection", ladder: "full" })))
    expect(both.ladder).toBe("full")
  })

  it("--quick sets the realistic delay to 0.05 s unless --realistic-delay is given", () => {
    expect(Either.getOrThrow(parseConfig(raw({ quick: true }))).realisticDelaySeconds).toBe(0.05)
    expect(Either.getOrThrow(parseConfig(raw({ quick: true, realisticDelay: "0.2" }))).realisticDelaySeconds).toBe(0.2)
  })

  it("sorts and de-duplicates concurrency levels", () => {
    expect(Either.getOrThrow(parseConfig(raw({ concurrency: "50, 1,10,1" }))).concurrency).toEqual([1, 10, 50])
  })

  it("names the flag and the problem for every bad value", () => {
    expect(error({ files: "0" })).toBe("--files: must be at least 1, got 0")
    expect(error({ files: "-5" })).toBe("--files: must be at least 1, got -5")
    expect(error({ files: "2.5" })).toBe("--files: '2.5' is not an integer")
    expect(error({ concurrency: "0" })).toBe("--concurrency: must be at least 1, got 0")
    expect(error({ concurrency: "1,,10" })).toBe("--concurrency: '1,,10' is not a comma-separated list")
    expect(error({ profiles: "bogus" })).toBe("--profiles: unknown profile 'bogus' (known: zero, realistic)")
    expect(error({ realisticDelay: "-1" })).toBe("--realistic-delay: must be 0 or more seconds, got -1")
    expect(error({ realisticDelay: "fast" })).toBe("--realistic-delay: 'fast' is not a number of seconds")
    expect(error({ thresholdZero: "0" })).toBe("--threshold-zero: must be more than 0 seconds, got 0")
    expect(error({ thresholdRealistic: "Infinity" })).toBe("--threshold-realistic: 'Infinity' is not a number of seconds")
    expect(error({ seed: "x" })).toBe("--seed: 'x' is not an integer")
    expect(error({ db: " " })).toBe("--db: empty path")
    expect(error({ mitigations: "faster" })).toBe(
      "--mitigations: unknown mitigation 'faster' (known: in-memory-guards, shared-connection, batched-writes)"
    )
    expect(error({ mitigations: "batched-writes" })).toContain("batched-writes needs in-memory-guards")
    expect(error({ ladder: "sideways" })).toBe("--ladder: 'sideways' is not one of first, full, off")
    expect(error({ trials: "0" })).toBe("--trials: must be at least 1, got 0")
    expect(error({ warmup: "-1" })).toBe("--warmup: must be at least 0, got -1")
    expect(error({ noise: "lots" })).toBe("--noise: 'lots' is not a fraction of 0 or more (e.g. 0.05)")
    expect(error({ batchSize: "0" })).toBe("--batch-size: must be at least 1, got 0")
    expect(error({ failBatch: "2" })).toContain("--fail-batch: needs batched writes")
    expect(error({ clock: "sundial" })).toBe("--clock: 'sundial' is not one of warp, real")
    expect(error({ driver: "postgres" })).toBe("--driver: 'postgres' is not one of better-sqlite3, threaded, node-sqlite")
    expect(error({ scenario: "chaos" })).toBe("--scenario: 'chaos' is not one of happy, reupload")
    expect(error({ maxAttempts: "0" })).toBe("--max-attempts: must be at least 1, got 0")
    expect(error({ retryBase: "0" })).toBe("--retry-base: must be more than 0 seconds, got 0")
  })
})
