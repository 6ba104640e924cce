import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { ScenarioName } from "../../src/actor/scenario.ts"
import type { LatencyProfile } from "../../src/api/profiles.ts"
import { checkIntegrity } from "../../src/verdict/integrity.ts"
import { expectationOf } from "../../src/bench/trial.ts"
import { Events } from "../../src/lifecycle/fsm.ts"
import { BetterSqlite } from "../drivers.ts"
import { experiment } from "../helpers.ts"

const faulty: LatencyProfile = {
  name: "faulty",
  upload: { kind: "lognormal", median: 0.5, p95: 2 },
  import: { kind: "normal", mean: 1, sd: 0.3 },
  rateLimitPerMinute: null,
  failureProbability: { upload: 0.25, import: 0.2 },
  timeoutSeconds: { upload: 2.5, import: null }
}

const run = (seed: number, scenario: ScenarioName = "happy", files = 60) => {
  const retry = { maxAttempts: 3, baseSeconds: 0.5 }
  return Effect.map(
    experiment({ files, concurrency: 8, profile: faulty, seed, clock: "warp", retry, scenario }).pipe(
      Effect.provide(BetterSqlite.layer)
    ),
    (m) => ({
      m,
      integrity: checkIntegrity({
        expectedFiles: files,
        stored: m.stored,
        ledger: m.ledger,
        failures: m.failures,
        expect: expectationOf({ profile: faulty, retry, scenario, seed })
      })
    })
  )
}

const finals = (m: { readonly stored: ReadonlyArray<{ path: string; state: string; version: number; attempts: number }> }) =>
  m.stored.map((f) => `${f.path}:${f.state}:${f.version}:${f.attempts}`)

describe("failure paths", () => {
  it.live("failed calls drive fail_upload / fail_processing, retries bring files back, exhausted ones stay failed", () =>
    Effect.gen(function*() {
      const { m, integrity } = yield* run(42)
      expect(integrity.problems).toEqual([])
      expect(integrity.ok).toBe(true)
      expect(m.byEvent.get("fail_upload") ?? 0).toBeGreaterThan(0)
      expect(m.byEvent.get("fail_processing") ?? 0).toBeGreaterThan(0)
      expect(m.byEvent.get("retry") ?? 0).toBeGreaterThan(0)
      expect(m.api.failures + m.api.timeouts).toBeGreaterThan(0)
      // Every failed file used all three attempts (checked row by row by the integrity check).
      expect(integrity.finalStates.indexed + integrity.finalStates.failed).toBe(60)
      // Each file's version is its committed transitions; their sum is every transition committed.
      const committed = [...m.byEvent.values()].reduce((a, b) => a + b, 0)
      expect(integrity.transitions).toBe(committed)
    }))

  it.live("the same seed gives the same final state, version and attempts per file; another seed differs", () =>
    Effect.gen(function*() {
      const a = yield* run(7)
      const b = yield* run(7)
      const c = yield* run(8)
      expect(finals(a.m)).toEqual(finals(b.m))
      expect(Object.fromEntries(a.m.byEvent)).toEqual(Object.fromEntries(b.m.byEvent))
      expect(finals(a.m)).not.toEqual(finals(c.m))
    }))

  it.live("the reupload scenario runs all 8 transitions and still ends every file where it may", () =>
    Effect.gen(function*() {
      const { m, integrity } = yield* run(42, "reupload")
      expect(integrity.problems).toEqual([])
      for (const event of Events) expect(m.byEvent.get(event) ?? 0).toBeGreaterThan(0)
    }))
})
