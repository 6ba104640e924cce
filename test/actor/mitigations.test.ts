import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Fiber, Layer, Queue, type Scope } from "effect"
import { beginWith, Driver } from "../../src/store/driver.ts"
import type { Connection } from "@effect/sql/SqlConnection"
import { type LeaseShape, pooledLease, sharedLease } from "../../src/actor/connections.ts"
import { strategyNames } from "../../src/actor/strategy.ts"
import { Writer } from "../../src/actor/writer.ts"
import { batched } from "../../src/mitigations/batchedWrites.ts"
import { BUILT_IN_LADDER as LADDER, builtInRegistry, mitigationLabel } from "../../src/mitigations/registry.ts"
import { strategy } from "../../src/mitigations/registry.ts"
import { type LatencyProfile, realistic, zero } from "../../src/api/profiles.ts"
import { checkIntegrity, happyPath } from "../../src/verdict/integrity.ts"
import { walReport } from "../../src/verdict/wal.ts"
import { BetterSqlite } from "../drivers.ts"
import { Threaded } from "../drivers.ts"
import { isBusy } from "../../src/backends/sqlite/betterSqlite.ts"
import { sqliteStore } from "../../src/backends/sqlite/store.ts"
import { readAll } from "../../src/store/store.ts"
import * as ScenarioLayer from "../../src/actor/scenario.ts"
import { expectationOf } from "../../src/bench/trial.ts"
import { writeTransaction } from "../../src/store/transaction.ts"
import { drivers, stores } from "../drivers.ts"
import { experiment, open, seeded, startUpload, tempDb } from "../helpers.ts"

const run = (
  mitigations: ReadonlyArray<string>,
  options: { files?: number; concurrency?: number; profile?: LatencyProfile; batchSize?: number; failBatch?: number | null; poolSize?: number } = {},
  driver: Layer.Layer<Driver> = BetterSqlite.layer
) => {
  const files = options.files ?? 30
  return Effect.map(
    experiment(
      { files, concurrency: options.concurrency ?? 5, profile: options.profile ?? realistic(0.002) },
      (dbPath) =>
        strategy(builtInRegistry, mitigations, { dbPath, batch: { batchSize: options.batchSize ?? 10, failBatch: options.failBatch ?? null }, poolSize: options.poolSize ?? 1 })
    ).pipe(Effect.provide(driver)),
    (m) => ({ m, integrity: checkIntegrity({ expectedFiles: files, stored: m.stored, ledger: m.ledger, failures: m.failures, expect: happyPath(3) }) })
  )
}

/** The lease an actor passes: a batched writer writes on its own connection and must never use it. */
const actorLease: LeaseShape = {
  use: () => Effect.dieMessage("the batched writer used the actor's connection"),
  step: () => Effect.dieMessage("the batched writer used the actor's connection")
}

/** A batched writer living in the test's scope. */
const batchedWriter = (db: string) =>
  Layer.build(batched(db, { batchSize: 10, failBatch: null })).pipe(Effect.map((context) => Context.get(context, Writer)))


describe.each(stores)("every mitigation keeps the integrity check green on %s", (_name, driver) => {
  const sets: ReadonlyArray<ReadonlyArray<string>> = [
    [],
    ["in-memory-guards"],
    ["shared-connection"],
    ["in-memory-guards", "batched-writes"],
    ...LADDER
  ]
  for (const set of sets) {
    it.live(`${mitigationLabel(set)}: all files indexed at version 3, no transition lost or doubled`, () =>
      Effect.gen(function*() {
        const { m, integrity } = yield* run(set, {}, driver)
        expect(integrity).toMatchObject({ ok: true, indexed: 30, transitions: 90, problems: [] })
        expect([...m.ledger.values()].every((n) => n === 3)).toBe(true)
        expect(m.recovery).toBeNull()
      }))
  }
})

describe("mitigation layers", () => {
  it.live("in-memory guards read nothing: guard time is zero where the baseline's is not", () =>
    Effect.gen(function*() {
      const base = yield* run([])
      const guarded = yield* run(["in-memory-guards"])
      expect(base.m.samples.columns.guard_ms.every((x) => x > 0)).toBe(true)
      expect(guarded.m.samples.columns.guard_ms.every((x) => x === 0)).toBe(true)
      expect(guarded.m.strategy.guard).toBe("in-memory")
    }))

  it.live("a shared connection is opened once per run; per-file connections once per file", () =>
    Effect.gen(function*() {
      // The driver, counting the lone connections it opens (the observer's client is not one).
      let connects = 0
      const counting = Layer.effect(
        Driver,
        Effect.map(Driver, (driver) => ({
          ...driver,
          connect: (file: string) => Effect.zipRight(Effect.sync(() => void (connects += 1)), driver.connect(file))
        }))
      ).pipe(Layer.provide(BetterSqlite.layer))
      const { m } = yield* run(["shared-connection"], {}, counting)
      expect(m.strategy.connections).toBe("shared")
      expect(connects).toBe(1)
      connects = 0
      yield* run([], {}, counting)
      expect(connects).toBe(30)
      // --pool-size 3: three shared connections, opened once per run.
      connects = 0
      const pooled = yield* run(["shared-connection"], { poolSize: 3 }, counting)
      expect(pooled.m.strategy.connections).toBe("shared-3")
      expect(pooled.integrity.ok).toBe(true)
      expect(connects).toBe(3)
    }))

  it.live("a pool of shared connections: at most its size in use at once, each use on a free one; the next waits", () =>
    Effect.scoped(Effect.gen(function*() {
      const free = yield* Queue.bounded<Connection>(2)
      const driver = yield* Driver
      for (let i = 0; i < 2; i++) yield* Queue.offer(free, yield* driver.connect(tempDb()))
      const lease = pooledLease(free)
      const inUse = new Set<Connection>()
      let most = 0
      let shared = false
      const hold = lease.use((conn) =>
        Effect.gen(function*() {
          if (inUse.has(conn)) shared = true
          inUse.add(conn)
          most = Math.max(most, inUse.size)
          yield* Effect.sleep(Duration.millis(10))
          inUse.delete(conn)
        })
      )
      // Five uses on two connections: all done, never more than two at once, never two on one connection.
      const uses = yield* Effect.all([hold, hold, hold, hold, hold], { concurrency: "unbounded" })
      expect(uses).toHaveLength(5)
      expect(most).toBe(2)
      expect(shared).toBe(false)
    })).pipe(Effect.provide(BetterSqlite.layer)))

  it.live("a per-file connection is its file's alone: no file ever queues for it; on a shared one, files queue when its driver answers later", () =>
    Effect.gen(function*() {
      const perFile = yield* run([], { concurrency: 10 })
      expect(perFile.m.samples.columns.queue_wait_ms.every((x) => x === 0)).toBe(true)
      const shared = yield* run(["shared-connection"], { concurrency: 10 }, Threaded.layer)
      expect(shared.m.samples.columns.queue_wait_ms.some((x) => x > 0)).toBe(true)
      // A driver that answers at once runs each read and transaction in one step: nobody is ever mid-way to wait for.
      const inline = yield* run(["shared-connection"], { concurrency: 10 })
      expect(inline.m.samples.columns.queue_wait_ms.every((x) => x === 0)).toBe(true)
      expect(inline.integrity.ok).toBe(true)
    }))

  it.live("on a shared connection a transaction holds it from BEGIN to COMMIT: the other one queues", () =>
    Effect.scoped(Effect.gen(function*() {
      const db = tempDb()
      yield* seeded(db, 2)
      const conn = yield* Effect.flatMap(Driver, (driver) => driver.connect(db))
      const lease = sharedLease(conn)
      const slow = lease.use((c) => writeTransaction(c, { begin: beginWith(sqliteStore, isBusy), store: sqliteStore }, Effect.sleep(Duration.millis(40))))
      const [a, b] = yield* Effect.all([slow, slow], { concurrency: "unbounded" })
      const queued = Math.max(a?.queueWaitMs ?? 0, b?.queueWaitMs ?? 0)
      expect(queued).toBeGreaterThanOrEqual(35)
      // It waited in the queue, not for SQLite's lock: no busy answers.
      expect((a?.value.lock.busyEvents ?? 1) + (b?.value.lock.busyEvents ?? 1)).toBe(0)
    })).pipe(Effect.provide(BetterSqlite.layer)))

  // One connection behind each: a lease not given back would leave the last use waiting forever.
  const leases: ReadonlyArray<readonly [string, (conn: Connection) => Effect.Effect<LeaseShape>]> = [
    ["a shared lease", (conn) => Effect.sync(() => sharedLease(conn))],
    ["a pool's lease", (conn) => Effect.map(Effect.tap(Queue.bounded<Connection>(1), (free) => Queue.offer(free, conn)), pooledLease)]
  ]
  it.live.each(leases)("%s is given back when its use fails or is interrupted: the next one gets it", ([, make]) =>
    Effect.scoped(Effect.gen(function*() {
      const conn = yield* Effect.flatMap(Driver, (driver) => driver.connect(tempDb()))
      const lease = yield* make(conn)
      yield* Effect.flip(lease.use(() => Effect.fail("boom")))
      const hung = yield* Effect.fork(lease.use(() => Effect.never))
      yield* Effect.sleep(Duration.millis(5))
      yield* Fiber.interrupt(hung)
      const next = yield* lease.use(() => Effect.succeed("ok")).pipe(Effect.timeout(Duration.seconds(1)))
      expect(next.value).toBe("ok")
    })).pipe(Effect.provide(BetterSqlite.layer)))
})

describe("the threaded driver", () => {
  it.live("per-file connections on their own threads contend for the write lock, and the WAL verdict says so from the busy answers their threads counted; a shared connection never does, CLEAN", () =>
    Effect.gen(function*() {
      type Outcomes = { readonly outcomes: ReadonlyArray<{ readonly busyEvents: number; readonly busyWaitMs: number }> }
      const busy = (m: Outcomes) => m.outcomes.reduce((n, o) => n + o.busyEvents, 0)
      // The verdict as a run gives it, from the busy answers and the wait after them, against the database time.
      const verdict = (m: Outcomes & { readonly samples: { readonly columns: { readonly db_total_ms: ArrayLike<number> } } }) =>
        walReport({
          bytesStart: 0,
          bytesEnd: 0,
          checkpoints: null,
          busy: busy(m),
          busyWaitMs: m.outcomes.reduce((n, o) => n + o.busyWaitMs, 0),
          dbTotalMs: Array.from(m.samples.columns.db_total_ms).reduce((n, x) => n + x, 0),
          lockWaitP95: 0,
          dbTotalP95: 0
        }).verdict
      const perFile = yield* run([], { files: 80, concurrency: 20, profile: zero }, Threaded.layer)
      expect(perFile.integrity.ok).toBe(true)
      expect(busy(perFile.m)).toBeGreaterThan(0)
      expect(perFile.m.samples.columns.lock_wait_ms.some((x) => x > 1)).toBe(true)
      expect(verdict(perFile.m)).not.toBe("CLEAN")
      const shared = yield* run(["shared-connection"], { files: 80, concurrency: 20, profile: zero }, Threaded.layer)
      expect(shared.integrity.ok).toBe(true)
      expect(busy(shared.m)).toBe(0)
      expect(verdict(shared.m)).toBe("CLEAN")
      // 240 commits of 80 rows' worth of pages: the log fills and checkpoints restart it.
      expect(perFile.m.walCheckpoints).not.toBeNull()
    }))
})

describe.each(stores)("batched writes on %s", (_name, driver) => {
  const inStore = <A, E>(body: Effect.Effect<A, E, Scope.Scope | Driver>) => Effect.scoped(body).pipe(Effect.provide(driver))

  it.live("an OCC conflict inside a batch fails that write alone; the rest of the batch commits", () =>
    inStore(Effect.gen(function*() {
      const db = tempDb()
      const { paths } = yield* seeded(db, 3)
      const [p1 = "", p2 = ""] = paths
      const writer = yield* batchedWriter(db)
      yield* writer.persist(actorLease, startUpload(p1, 0))
      const conflict = yield* Effect.flip(writer.persist(actorLease, startUpload(p1, 0)))
      expect(conflict._tag).toBe("OccConflict")
      yield* writer.persist(actorLease, startUpload(p2, 0))
      yield* writer.flush
      const stats = yield* writer.stats
      expect(stats).toMatchObject({ commits: 1, failedCommits: 0, lostTransitions: 0 })
      expect(stats.ledger.get(p1)).toBe(1)
      expect(stats.ledger.get(p2)).toBe(1)
      const rows = yield* readAll(yield* open(db))
      expect(rows.find((r) => r.path === p1)).toMatchObject({ state: "uploading", version: 1, attempts: 1 })
      expect(rows.find((r) => r.path === p2)).toMatchObject({ state: "uploading", version: 1 })
    })))

  it.live("writes are not visible to other connections until the batch commits", () =>
    inStore(Effect.gen(function*() {
      const db = tempDb()
      const { sql, paths } = yield* seeded(db, 2)
      const writer = yield* batchedWriter(db)
      yield* writer.persist(actorLease, startUpload(paths[0] ?? "", 0))
      const before = yield* readAll(sql)
      expect(before[0]?.version).toBe(0)
      yield* writer.flush
      const after = yield* readAll(sql)
      expect(after[0]?.version).toBe(1)
    })))

  it.live("a failed batch commit loses at most one batch; recovery re-hydrates and redoes those files, and integrity holds", () =>
    Effect.gen(function*() {
      const { m, integrity } = yield* run(["in-memory-guards", "batched-writes"], {
        files: 40,
        concurrency: 8,
        batchSize: 5,
        failBatch: 2
      }, driver)
      expect(m.recovery).not.toBeNull()
      const r = m.recovery
      if (r !== null) {
        expect(r.failedCommits).toBe(1)
        expect(r.lostTransitions).toBe(5)
        // Every lost transition belongs to a file that had to be redone; no more than one batch's worth.
        expect(r.redoneFiles).toBeGreaterThan(0)
        expect(r.redoneFiles).toBeLessThanOrEqual(5)
        expect(r.inconsistentFiles + r.failedFiles).toBe(r.redoneFiles)
        expect(r.redoneApiCalls).toBeGreaterThan(0)
      }
      expect(integrity).toMatchObject({ ok: true, indexed: 40, transitions: 120 })
      expect(m.failures).toEqual([])
    }))

  it.live("under reupload, a failed batch's files finish the reupload round: every file ends indexed in round 2", () =>
    Effect.gen(function*() {
      const files = 30
      const scenario = ScenarioLayer.make("reupload", 42)
      const m = yield* experiment(
        { files, concurrency: 6, profile: zero, scenario: "reupload", clock: "warp" },
        (dbPath) => strategy(builtInRegistry, ["in-memory-guards", "batched-writes"], { dbPath, batch: { batchSize: 10, failBatch: 12 }, poolSize: 1 })
      ).pipe(Effect.provide(driver))
      expect(m.recovery?.lostTransitions).toBe(10)
      const integrity = checkIntegrity({
        expectedFiles: files,
        stored: m.stored,
        ledger: m.ledger,
        failures: m.failures,
        expect: expectationOf({ profile: zero, retry: { maxAttempts: 3, baseSeconds: 1 }, scenario: "reupload", seed: 42 })
      })
      expect(integrity.problems).toEqual([])
      // With the zero profile no call fails, and every file goes round again: 3 transitions, then reset and
      // 3 more (7), or fail_reset, retry and 3 more (8).
      for (const row of m.stored) {
        expect(row).toMatchObject({ state: "indexed", round: 2, version: scenario.afterIndexed(row.path) === "reset" ? 7 : 8 })
      }
    }))

  it.live("the same fault with the zero profile is recovered too", () =>
    Effect.gen(function*() {
      const { m, integrity } = yield* run(["in-memory-guards", "shared-connection", "batched-writes"], {
        files: 25,
        profile: zero,
        failBatch: 1
      }, driver)
      expect(m.recovery?.lostTransitions).toBe(10)
      expect(integrity.ok).toBe(true)
    }))
})

describe.each(drivers)("a batched writer on %s when another connection holds the write lock", (_name, driver) => {
  it.live("opening a batch waits for the lock (busy answers counted), later transitions queue behind it, and all commit", () =>
    Effect.scoped(Effect.gen(function*() {
      const db = tempDb()
      const { sql: holder, paths } = yield* seeded(db, 3)
      const writer = yield* batchedWriter(db)
      yield* holder.unsafe("BEGIN IMMEDIATE").raw
      const first = yield* Effect.fork(writer.persist(actorLease, startUpload(paths[0] ?? "", 0)))
      yield* Effect.sleep(Duration.millis(10))
      const second = yield* Effect.fork(writer.persist(actorLease, startUpload(paths[1] ?? "", 0)))
      yield* Effect.sleep(Duration.millis(10))
      // Neither is through while the lock is held elsewhere.
      expect(first.unsafePoll()).toBeNull()
      expect(second.unsafePoll()).toBeNull()
      yield* holder.unsafe("COMMIT").raw
      const a = yield* Fiber.join(first)
      const b = yield* Fiber.join(second)
      expect(a.busyEvents).toBeGreaterThan(0)
      expect(a.lockWaitMs).toBeGreaterThanOrEqual(15)
      // The second waited for the writer, not for SQLite: the batch was open when its turn came.
      expect(b.busyEvents).toBe(0)
      expect(b.queueWaitMs).toBeGreaterThan(0)
      yield* writer.persist(actorLease, startUpload(paths[2] ?? "", 0))
      yield* writer.flush
      const stats = yield* writer.stats
      expect(stats).toMatchObject({ commits: 1, failedCommits: 0, lostTransitions: 0 })
      expect((yield* readAll(yield* open(db))).map((r) => r.version)).toEqual([1, 1, 1])
    })).pipe(Effect.provide(driver)))
})

describe("strategy layers", () => {
  it.effect("build from a set, each mitigation replacing exactly its own layer", () =>
    Effect.gen(function*() {
      const names = (set: ReadonlyArray<string>) =>
        Effect.scoped(
          Effect.flatMap(Layer.build(strategy(builtInRegistry, set, { dbPath: tempDb(), batch: { batchSize: 7, failBatch: null }, poolSize: 1 })), (ctx) =>
            Effect.provide(strategyNames, ctx))
        ).pipe(Effect.provide(BetterSqlite.layer))
      expect(yield* names([])).toEqual({ connections: "per-file", guard: "db-read", writer: "commit-each" })
      expect(yield* names(["in-memory-guards"])).toEqual({ connections: "per-file", guard: "in-memory", writer: "commit-each" })
      expect(yield* names(["shared-connection"])).toEqual({ connections: "shared", guard: "db-read", writer: "commit-each" })
      expect(yield* names(["in-memory-guards", "batched-writes"])).toEqual({
        connections: "per-file",
        guard: "in-memory",
        writer: "batched-7"
      })
    }))
})
