import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Fiber } from "effect"
import { makeReal, makeWarp } from "../../src/clock/apiClock.ts"
import { runClockCheck } from "../../src/bench/clockCheck.ts"
import { silent } from "../../src/bench/progress.ts"
import { nanosToMs } from "../../src/metrics/timing.ts"
import { BetterSqlite } from "../drivers.ts"
import { tempDb } from "../helpers.ts"

const realMs = () => performance.now()

describe("the time warp", () => {
  it.live("skips the waits when every live actor is asleep, and wakes them in order of their wake-up", () =>
    Effect.gen(function*() {
      const warp = makeWarp()
      const woke: Array<string> = []
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
      // Two jumps (to 1 s, then to 3 s) carried the simulated time: nothing was slept out.
      const skipped = yield* warp.skipped
      expect(skipped.jumps).toBe(2)
      expect(skipped.skippedMs).toBeGreaterThan(0)
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
        const jumpsWhileWorking = (yield* warp.skipped).jumps
        yield* warp.setLive(1)
        const wokeAt = yield* Fiber.join(sleeper)
        return { workedUntil, jumpsWhileWorking, wokeAt, jumps: (yield* warp.skipped).jumps }
      }).pipe(Effect.withClock(warp.clock))
      // No jump happened during the work: 150 ms passed in simulated time too.
      expect(result.jumpsWhileWorking).toBe(0)
      expect(result.workedUntil).toBeGreaterThanOrEqual(145)
      // Then the sleeper was alone and one jump took it to its wake-up.
      expect(result.jumps).toBe(1)
      expect(result.wokeAt).toBeGreaterThanOrEqual(1_000)
    }))

  it.live("the real clock waits for real and skips nothing", () =>
    Effect.gen(function*() {
      const real = makeReal()
      const start = realMs()
      yield* real.sleep(60)
      expect(realMs() - start).toBeGreaterThanOrEqual(55)
      expect(yield* real.skipped).toEqual({ jumps: 0, skippedMs: 0 })
    }))

  it.live("a small clock check runs both clocks on one configuration and compares every metric", () =>
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
      // How close the two clocks come is the clock-check program's measurement, not a test's: a busy machine
      // moves it. Here: every metric compared, and the verdict following the rule.
      expect(result.rows).toHaveLength(13)
      expect(result.elapsedAgrees).toBe(Math.abs(result.rows[0]?.relativeDifference ?? Infinity) <= 0.1)
      expect(result.simulated.integrity.ok).toBe(true)
    }))
})
