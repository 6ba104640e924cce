import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Fiber, FiberId } from "effect"
import { sharedLease } from "../../src/actor/connections.ts"
import { makeLock, withLock } from "../../src/actor/lock.ts"
import { BetterSqlite } from "../drivers.ts"
import { Driver } from "../../src/store/driver.ts"
import { readStep, transactionStep } from "../../src/store/lanes.ts"
import { sqliteStatements } from "../../src/backends/sqlite/store.ts"
import { open, seeded, startUpload, tempDb } from "../helpers.ts"

describe("the shared connection's lock", () => {
  it.live("one holder; waiters take it in turn, first come first served", () =>
    Effect.gen(function*() {
      const lock = makeLock()
      expect(lock.tryAcquire()).toBe(true)
      expect(lock.tryAcquire()).toBe(false)
      const order: Array<string> = []
      const waiter = (name: string) => Effect.zipRight(lock.acquire, Effect.sync(() => order.push(name)))
      const a = yield* Effect.fork(waiter("a"))
      yield* Effect.yieldNow()
      const b = yield* Effect.fork(waiter("b"))
      yield* Effect.sleep(Duration.millis(5))
      expect(order).toEqual([])
      lock.release()
      yield* Fiber.join(a)
      expect(order).toEqual(["a"])
      // Handed from holder to waiter: never free in between.
      expect(lock.held()).toBe(true)
      lock.release()
      yield* Fiber.join(b)
      expect(order).toEqual(["a", "b"])
      lock.release()
      expect(lock.held()).toBe(false)
    }))

  it.live("a waiter interrupted leaves the queue; one interrupted just after it was handed the lock hands it on", () =>
    Effect.gen(function*() {
      const lock = makeLock()
      lock.tryAcquire()
      const gone = yield* Effect.fork(lock.acquire)
      yield* Effect.sleep(Duration.millis(5))
      yield* Fiber.interrupt(gone)
      lock.release()
      expect(lock.held()).toBe(false)

      lock.tryAcquire()
      const handed = yield* Effect.fork(lock.acquire)
      yield* Effect.sleep(Duration.millis(5))
      // In one step: the lock handed to the waiter, and the waiter interrupted before it runs again.
      yield* Effect.sync(() => {
        lock.release()
        handed.unsafeInterruptAsFork(FiberId.none)
      })
      const exit = yield* Fiber.await(handed)
      expect(exit._tag).toBe("Failure")
      expect(lock.held()).toBe(false)
    }))

  it.live("withLock gives the lock back when its use fails, dies or is interrupted", () =>
    Effect.gen(function*() {
      const lock = makeLock()
      yield* Effect.flip(withLock(lock, () => Effect.fail("boom")))
      expect(lock.held()).toBe(false)
      yield* Effect.exit(withLock(lock, () => Effect.dieMessage("bug")))
      expect(lock.held()).toBe(false)
      const hung = yield* Effect.fork(withLock(lock, () => Effect.never))
      yield* Effect.sleep(Duration.millis(5))
      expect(lock.held()).toBe(true)
      yield* Fiber.interrupt(hung)
      expect(lock.held()).toBe(false)
    }))
})

describe("steps on a shared connection of a driver that answers at once", () => {
  const inDriver = <A, E>(body: Effect.Effect<A, E, Driver | import("effect").Scope.Scope>) =>
    Effect.scoped(body).pipe(Effect.provide(BetterSqlite.layer))

  it.live("a step waits behind a use that holds the connection across Effect steps, and runs after it", () =>
    inDriver(Effect.gen(function*() {
      const db = tempDb()
      const { paths } = yield* seeded(db, 1)
      const path = paths[0] ?? ""
      const conn = yield* Effect.flatMap(Driver, (driver) => driver.connect(db))
      const lease = sharedLease(conn)
      const order: Array<string> = []
      const holder = yield* Effect.fork(lease.use(() =>
        Effect.zipRight(Effect.sleep(Duration.millis(30)), Effect.sync(() => order.push("use")))
      ))
      yield* Effect.sleep(Duration.millis(5))
      const read = yield* Effect.tap(lease.step(readStep(sqliteStatements, path)), () => Effect.sync(() => order.push("step")))
      yield* Fiber.join(holder)
      expect(order).toEqual(["use", "step"])
      expect(read.queueWaitMs).toBeGreaterThan(0)
      expect(read.value[1]).toMatchObject({ state: "untracked", version: 0 })
    })))

  it.live("a transaction whose BEGIN is busy carries on holding the connection until it commits; the lock is free after", () =>
    inDriver(Effect.gen(function*() {
      const sqlite = yield* Driver
      const db = tempDb()
      const { sql: holder, paths } = yield* seeded(db, 2)
      const conn = yield* Effect.flatMap(Driver, (driver) => driver.connect(db))
      const lock = makeLock()
      const lease = sharedLease(conn, lock)
      yield* holder.unsafe("BEGIN IMMEDIATE").raw
      const write = yield* Effect.fork(lease.step(transactionStep(sqlite, startUpload(paths[0] ?? "", 0))))
      yield* Effect.sleep(Duration.millis(10))
      // The busy transaction holds the connection through its retries: a read waits for it.
      expect(lock.held()).toBe(true)
      const read = yield* Effect.fork(lease.step(readStep(sqliteStatements, paths[1] ?? "")))
      yield* Effect.sleep(Duration.millis(10))
      expect(read.unsafePoll()).toBeNull()
      yield* holder.unsafe("COMMIT").raw
      const done = yield* Fiber.join(write)
      expect(done.value.lock.busyEvents).toBeGreaterThan(0)
      expect(done.value.lock.lockWaitMs).toBeGreaterThanOrEqual(15)
      const after = yield* Fiber.join(read)
      expect(after.value[1]).toMatchObject({ state: "untracked", version: 0 })
      expect(lock.held()).toBe(false)
      const stored = yield* Effect.flatMap(open(db), (sql) => sql.unsafe("SELECT gemini_state FROM files WHERE file_path = ?", [paths[0] ?? ""]))
      expect(stored).toEqual([{ gemini_state: "uploading" }])
    })))

  it.live("a step that fails (a conflict) gives the connection back", () =>
    inDriver(Effect.gen(function*() {
      const sqlite = yield* Driver
      const db = tempDb()
      const { paths } = yield* seeded(db, 1)
      const conn = yield* Effect.flatMap(Driver, (driver) => driver.connect(db))
      const lock = makeLock()
      const lease = sharedLease(conn, lock)
      const stale = yield* Effect.either(lease.step(transactionStep(sqlite, startUpload(paths[0] ?? "", 5))))
      expect(Either.isLeft(stale) && stale.left._tag).toBe("OccConflict")
      expect(lock.held()).toBe(false)
    })))
})
