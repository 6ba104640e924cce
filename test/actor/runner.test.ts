import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Fiber, Layer } from "effect"
import { Guard } from "../../src/actor/guard.ts"
import { runBatch } from "../../src/actor/runner.ts"
import { baseline } from "../../src/mitigations/registry.ts"
import { Connections, perFile } from "../../src/actor/connections.ts"
import { shared } from "../../src/mitigations/sharedConnection.ts"
import { commitEach } from "../../src/actor/writer.ts"
import { type LatencyProfile, realistic, zero } from "../../src/api/profiles.ts"
import * as UploadApi from "../../src/api/uploadApi.ts"
import * as ApiClock from "../../src/clock/apiClock.ts"
import * as Retry from "../../src/actor/retry.ts"
import * as Scenario from "../../src/actor/scenario.ts"
import { checkIntegrity, happyPath } from "../../src/verdict/integrity.ts"
import { makeRecorder } from "../../src/metrics/recorder.ts"
import { sampleList } from "../../src/metrics/samples.ts"
import { fsmNetLeaves } from "../../src/metrics/segments.ts"
import { BetterSqlite } from "../drivers.ts"
import { Driver } from "../../src/store/driver.ts"
import { OccConflict } from "../../src/store/errors.ts"
import { experiment, seeded, tempDb } from "../helpers.ts"

/** better-sqlite3, counting the connections opened and closed. */
const countingDriver = () => {
  const counts = { opened: 0, closed: 0 }
  const layer = Layer.effect(
    Driver,
    Effect.map(Driver, (inner) => {
      const counted = Effect.acquireRelease(Effect.sync(() => (counts.opened += 1)), () => Effect.sync(() => (counts.closed += 1)))
      return {
        ...inner,
        connect: (filename: string) => Effect.zipLeft(inner.connect(filename), counted),
        open: (filename: string) => Effect.zipLeft(inner.open(filename), counted)
      }
    })
  ).pipe(Layer.provide(BetterSqlite.layer))
  return { counts, layer }
}

const baselineRun = (files: number, concurrency: number, profile: LatencyProfile) =>
  experiment({ files, concurrency, profile }).pipe(Effect.provide(BetterSqlite.layer))

describe("batch runner", () => {
  it.live("under the time warp, a realistic run's elapsed time is simulated: at least its floor, its waits skipped", () =>
    Effect.gen(function*() {
      const m = yield* experiment({ files: 20, concurrency: 5, profile: realistic(0.5), clock: "warp" }).pipe(
        Effect.provide(BetterSqlite.layer)
      )
      // Floor: 20 files × 2 calls × 0.5 s / 5 = 4 s of simulated time, which no run can beat; the warp skipped
      // waits to get there (how close to the floor it lands is a measurement, not a test: see clock-check).
      expect(m.elapsedMs).toBeGreaterThanOrEqual(4_000)
      expect(m.skippedMs).toBeGreaterThan(0)
      expect(m.clock).toBe("warp")
      for (const s of sampleList(m.samples)) expect(s.mock_api_ms).toBeGreaterThanOrEqual(999)
    }))

  it.live("never has more actors in flight than the concurrency, and reaches it", () =>
    Effect.gen(function*() {
      for (const [files, concurrency] of [[40, 7], [12, 1], [10, 50]] as const) {
        const m = yield* baselineRun(files, concurrency, realistic(0.003))
        expect(m.maxInFlight).toBe(Math.min(files, concurrency))
        expect(m.outcomes).toHaveLength(files)
      }
    }))

  it.live("a baseline run persists 3 transitions per file and passes the integrity check", () =>
    Effect.gen(function*() {
      const m = yield* baselineRun(30, 5, zero)
      const integrity = checkIntegrity({ expectedFiles: 30, stored: m.stored, ledger: m.ledger, failures: m.failures, expect: happyPath(3) })
      expect(integrity).toMatchObject({ ok: true, files: 30, indexed: 30, transitions: 90, problems: [] })
      expect(m.api).toMatchObject({ calls: 60, rateLimited: 0 })
      expect(m.strategy).toEqual({ connections: "per-file", guard: "db-read", writer: "commit-each" })
      expect(m.walBytesEnd).toBeGreaterThan(0)
      // 90 commits of a few pages each stay well inside one 1,000-page log: no restart.
      expect(m.walCheckpoints).toBe(0)
    }))

  it.live("every file's time is accounted for: leaves add up to fsm_net, fsm_net + api to the wall time", () =>
    Effect.gen(function*() {
      const m = yield* baselineRun(20, 4, realistic(0.02))
      for (const s of sampleList(m.samples)) {
        expect(fsmNetLeaves.reduce((acc, leaf) => acc + s[leaf], 0)).toBeCloseTo(s.fsm_net_ms, 9)
        expect(s.mock_api_ms + s.fsm_net_ms).toBeCloseTo(s.total_wall_ms, 9)
        // Two API calls of 20 ms each: the API segment holds them. A Node timer
        // counts from the event loop's cached time, so against the monotonic
        // clock a sleep can end up to one loop iteration early: 10% of slack.
        expect(s.mock_api_ms).toBeGreaterThanOrEqual(36)
        for (const leaf of fsmNetLeaves) expect(s[leaf]).toBeGreaterThanOrEqual(-1e-9)
        expect(s.connect_ms).toBeGreaterThan(0)
        expect(s.write_ms).toBeGreaterThan(0)
      }
    }))

  it.live("per-file connections are closed when actors fail", () =>
    Effect.gen(function*() {
      const { counts, layer } = countingDriver()
      const failingGuard = Layer.succeed(Guard, {
        name: "always-conflict",
        check: (_lease, path, machine, event) =>
          Effect.fail(new OccConflict({ path, event, expectedState: machine.state, expectedVersion: machine.version }))
      })
      const m = yield* experiment(
        { files: 15, concurrency: 4, profile: zero, seed: 1 },
        (dbPath) => Layer.mergeAll(perFile(dbPath), failingGuard, commitEach)
      ).pipe(Effect.provide(layer))
      expect(m.failures).toHaveLength(15)
      expect(m.failures.every((f) => f.error._tag === "OccConflict")).toBe(true)
      // 15 actors + the observer connection
      expect(counts.opened).toBe(16)
      expect(counts.closed).toBe(16)
      const integrity = checkIntegrity({ expectedFiles: 15, stored: m.stored, ledger: m.ledger, failures: m.failures, expect: happyPath(3) })
      expect(integrity.ok).toBe(false)
    }))

  it.live("per-file connections are closed when the batch is interrupted mid-flight", () =>
    Effect.gen(function*() {
      const { counts, layer } = countingDriver()
      const dbPath = tempDb()
      const { paths } = yield* Effect.scoped(seeded(dbPath, 20)).pipe(Effect.provide(BetterSqlite.layer))
      const fiber = yield* runBatch(paths, 5, makeRecorder({ run: `int-${Math.random()}` })).pipe(
        Effect.provide(
          Layer.mergeAll(
            baseline(dbPath),
            UploadApi.layer(realistic(10), 1),
            Retry.layer({ maxAttempts: 3, baseSeconds: 1, seed: 1 }),
            Scenario.layer("happy", 1)
          ).pipe(
            Layer.provideMerge(ApiClock.layer("real")),
            Layer.provideMerge(layer)
          )
        ),
        Effect.fork
      )
      yield* Effect.sleep(Duration.millis(100))
      expect(counts.opened).toBe(5)
      yield* Fiber.interrupt(fiber)
      expect(counts.closed).toBe(5)
    }))
})

describe("an actor's lease", () => {
  it.live("a per-file one is a connection of its own, opened for the actor and closed when it ends, fails or is interrupted", () =>
    Effect.gen(function*() {
      const { counts, layer } = countingDriver()
      const db = tempDb()
      yield* seeded(db, 1).pipe(Effect.provide(BetterSqlite.layer), Effect.scoped)
      const context = yield* Layer.build(perFile(db).pipe(Layer.provide(layer)))
      const connections = Context.get(context, Connections)
      const leases = yield* Effect.all(
        [1, 2, 3].map(() => connections.withLease((lease) => Effect.as(Effect.sleep(Duration.millis(5)), lease))),
        { concurrency: "unbounded" }
      )
      expect(new Set(leases).size).toBe(3)
      expect(counts).toEqual({ opened: 3, closed: 3 })
      yield* Effect.flip(connections.withLease(() => Effect.fail("boom")))
      expect(counts).toEqual({ opened: 4, closed: 4 })
      const hung = yield* Effect.fork(connections.withLease(() => Effect.never))
      yield* Effect.sleep(Duration.millis(5))
      expect(counts).toEqual({ opened: 5, closed: 4 })
      yield* Fiber.interrupt(hung)
      expect(counts).toEqual({ opened: 5, closed: 5 })
    }).pipe(Effect.scoped))

  it.live("a shared one is the same lease for every actor, its connection opened once per run and closed with it", () =>
    Effect.gen(function*() {
      const { counts, layer } = countingDriver()
      const db = tempDb()
      yield* seeded(db, 1).pipe(Effect.provide(BetterSqlite.layer), Effect.scoped)
      const leases = yield* Effect.scoped(Effect.gen(function*() {
        const context = yield* Layer.build(shared(db).pipe(Layer.provide(layer)))
        const connections = Context.get(context, Connections)
        return yield* Effect.all([1, 2, 3].map(() => connections.withLease((lease) => Effect.succeed(lease))), { concurrency: "unbounded" })
      }))
      expect(new Set(leases).size).toBe(1)
      expect(counts).toEqual({ opened: 1, closed: 1 })
    }))
})
