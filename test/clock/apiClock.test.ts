import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Fiber } from "effect"
import { makeReal, makeWarp } from "../../src/clock/apiClock.ts"
import { runClockCheck } from "../../src/bench/clockCheck.ts"
import { silent } from "../../src/bench/progress.ts"
import { nanosToMs } from "../../src/metrics/timing.ts"
import * as BetterSqlite from "../../src/sqlite/betterSqlite.ts"
import { tempDb } from "../helpers.ts"

const realMs = () => performance.now()

describe("the time warp", () => {
  it.live("skips the waits when every live actor is asleep, and wakes them in order of their wake-up", () =>
    Effect.gen(function*() {
      const warp = makeWarp()
      const woke: Array<string> = []
      const startReal = realMs()
      const elapsed = yield* Effect.gen(function*() {
        const start = yield* Clock.currentTimeNanos
        yield* warp.setLive(2)
        yield* Effect.all(
          [
            Effect.zipRight(warp.sleep(3_000), Effect.sync(() => woke.push("3s"))),
            // An actor that finishes after its call leaves the runner: one live slot remains.
            Effect.zipRight(warp.sleep(1_000), Effect.zipRight(Effect.sync(() => woke.push("1s")), warp.setLive(1)))
          ],
          { concurrency: "unbounded" }
        )
        return nanosToMs((yield* Clock.currentTimeNanos) - start)
      }).pipe(Effect.withClock(warp.clock))
      expect(woke).toEqual(["1s", "3s"])
      expect(elapsed).toBeGreaterThanOrEqual(3_000)
      expect(elapsed).toBeLessThan(3_200)
      expect(realMs() - startReal).toBeLessThan(1_000)
      expect((yield* warp.skipped).jumps).toBe(2)
    }))

  it.live("never jumps while an actor is still working: real work stays in the simulated timeline", () =>
    Effect.gen(function*() {
      const warp = makeWarp()
      const result = yield* Effect.gen(function*() {
        const start = yield* Clock.currentTimeNanos
        yield* warp.setLive(2)
        const sleeper = yield* Effect.fork(
          Effect.zipRight(warp.sleep(1_000), Effect.map(Clock.currentTimeNanos, (t) => nanosToMs(t - start)))
        )
        // The other actor works for 150 ms of real time (not an API wait), then leaves.
        yield* Effect.sleep(Duration.millis(150))
        const workedUntil = nanosToMs((yield* Clock.currentTimeNanos) - start)
        yield* warp.setLive(1)
        const wokeAt = yield* Fiber.join(sleeper)
        return { workedUntil, wokeAt }
      }).pipe(Effect.withClock(warp.clock))
      // No jump happened during the work: 150 ms passed in simulated time too.
      expect(result.workedUntil).toBeGreaterThanOrEqual(145)
      expect(result.workedUntil).toBeLessThan(900)
      // Then the sleeper was alone and its wait was skipped to its wake-up.
      expect(result.wokeAt).toBeGreaterThanOrEqual(1_000)
      expect(result.wokeAt).toBeLessThan(1_150)
    }))

  it.live("the real clock waits for real and skips nothing", () =>
    Effect.gen(function*() {
      const real = makeReal()
      const start = realMs()
      yield* real.sleep(60)
      expect(realMs() - start).toBeGreaterThanOrEqual(55)
      expect(yield* real.skipped).toEqual({ jumps: 0, skippedMs: 0 })
    }))

  it.live("a small clock check agrees on elapsed time within 10% between real and simulated runs", () =>
    Effect.gen(function*() {
      const result = yield* runClockCheck({
        dbPath: tempDb(),
        files: 30,
        concurrency: 10,
        delaySeconds: 0.25,
        trials: 1,
        seed: 42,
        tolerance: 0.1,
        createdAt: `test-${performance.now()}`
      }).pipe(Effect.provide(silent), Effect.provide(BetterSqlite.layer))
      expect(result.real.clock).toBe("real")
      expect(result.simulated.clock).toBe("simulated")
      expect(result.simulated.skippedSeconds).toBeGreaterThan(0.5)
      expect(result.rows[0]?.metric).toBe("elapsed (s)")
      // Loose on purpose: test files run in parallel on 2 cores; the program measures the real figure.
      expect(Math.abs(result.rows[0]?.relativeDifference ?? 1)).toBeLessThanOrEqual(0.1)
      expect(result.elapsedAgrees).toBe(true)
      expect(result.simulated.integrity.ok).toBe(true)
    }))
})
