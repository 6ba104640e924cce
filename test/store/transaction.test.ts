import { describe, expect, it } from "@effect/vitest"
import { vi } from "vitest"
import type { Scope } from "effect"
import type { Connection } from "@effect/sql/SqlConnection"
import { inlineStatements, Driver } from "../../src/store/driver.ts"
import { timedReadState, transitionTransaction } from "../../src/store/lanes.ts"
import { BetterSqlite, drivers, stores } from "../drivers.ts"
import { Clock, Duration, Effect, Fiber, Layer } from "effect"
import { threadedLayer } from "../../src/backends/sqlite/threaded.ts"
import { sqliteStore } from "../../src/backends/sqlite/store.ts"
import { storeLayer } from "../../src/store/service.ts"
import { applyTransition, readState } from "../../src/store/store.ts"
import { beginImmediate, LOCK_TIMEOUT_MS, writeTransaction } from "../../src/store/transaction.ts"
import { isLockTimeout } from "../../src/store/errors.ts"
import { open, seeded, startUpload, tempDb, withConnection } from "../helpers.ts"

/**
 * Whether the connection is outside any transaction, asked in its store's
 * terms: SQLite refuses a BEGIN inside a transaction; Postgres only warns of
 * one, but refuses a SAVEPOINT outside one.
 */
const noTransactionOpen = (conn: Connection) =>
  Effect.flatMap(Driver, (driver) =>
    driver.store.name === "postgres"
      ? Effect.map(Effect.either(conn.executeUnprepared("SAVEPOINT probe", [], undefined)), (r) => r._tag === "Left")
      : Effect.map(
        Effect.either(Effect.zipRight(driver.begin(conn), conn.executeUnprepared("ROLLBACK", [], undefined))),
        (r) => r._tag === "Right"
      ))

/** A seeded database (its one file at `path`) whose write lock one connection holds (BEGIN IMMEDIATE), and another connection to it. */
const lockHeld = Effect.gen(function*() {
  const db = tempDb()
  const { sql: holder, paths } = yield* seeded(db, 1)
  const waiter = yield* open(db)
  yield* holder.unsafe("BEGIN IMMEDIATE").raw
  return { holder, waiter, path: paths[0] ?? "" }
})

describe.each(drivers)("write transactions on %s", (_name, driver) => {
  const inDriver = <A, E>(body: Effect.Effect<A, E, Scope.Scope | Driver>) =>
    Effect.scoped(body).pipe(Effect.provide(driver))

  it.live("lock wait is the time until the write lock is free, with every SQLITE_BUSY counted", () =>
    inDriver(
      Effect.gen(function*() {
        const sqlite = yield* Driver
        // The holder keeps the write lock for ~60 ms.
        const { holder, waiter } = yield* lockHeld
        const release = yield* Effect.fork(Effect.delay(holder.unsafe("COMMIT").raw, Duration.millis(60)))
        const lock = yield* withConnection(waiter, (conn) =>
          Effect.zipLeft(beginImmediate(conn, sqlite), conn.executeUnprepared("COMMIT", [], undefined)))
        yield* Fiber.join(release)
        expect(lock.value.busyEvents).toBeGreaterThan(0)
        expect(lock.value.lockWaitMs).toBeGreaterThanOrEqual(50)
        expect(lock.value.busyWaitMs).toBeGreaterThan(0)
        expect(lock.value.busyWaitMs).toBeLessThanOrEqual(lock.value.lockWaitMs)
      })
    ))

  it.live("an uncontended BEGIN IMMEDIATE sees no SQLITE_BUSY", () =>
    inDriver(
      Effect.gen(function*() {
        const sqlite = yield* Driver
        const { sql } = yield* seeded(tempDb(), 1)
        const lock = yield* withConnection(sql, (conn) =>
          Effect.zipLeft(beginImmediate(conn, sqlite), conn.executeUnprepared("COMMIT", [], undefined)))
        expect(lock.value.busyEvents).toBe(0)
        expect(lock.value.busyWaitMs).toBe(0)
      })
    ))
})

// The drivers that retry a busy BEGIN from the event loop (the threaded driver waits in its thread: below).
describe.each(drivers.filter(([name]) => name !== "threaded"))("the lock timeout on %s", (_name, driver) => {
  const inDriver = <A, E>(body: Effect.Effect<A, E, Scope.Scope | Driver>) =>
    Effect.scoped(body).pipe(Effect.provide(driver))

  it.live("a write lock never freed: the wait gives up at the lock timeout, an error marked as a lock timeout", () =>
    inDriver(
      Effect.gen(function*() {
        const sqlite = yield* Driver
        const { holder, waiter } = yield* lockHeld
        // A clock that moves a second per reading: the 5 s timeout passes within a few busy answers.
        const real = Clock.make()
        let readings = 0n
        const now = () => (readings += 1_000_000_000n)
        const fast: Clock.Clock = {
          [Clock.ClockTypeId]: Clock.ClockTypeId,
          unsafeCurrentTimeMillis: () => real.unsafeCurrentTimeMillis(),
          currentTimeMillis: real.currentTimeMillis,
          unsafeCurrentTimeNanos: now,
          currentTimeNanos: Effect.sync(now),
          sleep: (duration) => real.sleep(duration)
        }
        const error = yield* Effect.flip(withConnection(waiter, (conn) => beginImmediate(conn, sqlite))).pipe(Effect.withClock(fast))
        yield* holder.unsafe("ROLLBACK").raw
        expect(isLockTimeout(error)).toBe(true)
        expect(error.message).toContain(`write lock not acquired after ${LOCK_TIMEOUT_MS} ms`)
      })
    ))
})

describe.each(stores)("the lanes of an actor's statement work on %s", (name, driver) => {
  const inDriver = <A, E>(body: Effect.Effect<A, E, Scope.Scope | Driver>) =>
    Effect.scoped(body).pipe(Effect.provide(driver))
  const start = (path: string) => startUpload(path, 0)

  it.live("a driver that answers at once takes the inline lane (no statement through the Connection); one that answers later, the Effect lane", () =>
    inDriver(Effect.gen(function*() {
      const sqlite = yield* Driver
      const db = tempDb()
      const { paths } = yield* seeded(db, 1)
      const path = paths[0] ?? ""
      const conn = yield* sqlite.connect(db)
      const inline = name === "better-sqlite3" || name === "node-sqlite"
      expect(inlineStatements(conn) !== undefined).toBe(inline)
      // Every statement of the Effect lane goes through one of these (the write lock through the driver's begin, which
      // may wait in the connection's thread).
      const beginThen = sqlite.beginThen === undefined ? undefined : vi.spyOn(sqlite as Required<typeof sqlite>, "beginThen")
      const throughConnection = [
        vi.spyOn(conn, "execute"),
        vi.spyOn(conn, "executeRaw"),
        vi.spyOn(conn, "executeUnprepared"),
        vi.spyOn(sqlite, "begin"),
        ...(beginThen === undefined ? [] : [beginThen])
      ]
      yield* transitionTransaction(conn, sqlite, start(path))
      const [, stored] = yield* timedReadState(conn, sqlite, path)
      expect(stored).toMatchObject({ state: "uploading", version: 1 })
      const calls = throughConnection.reduce((n, spy) => n + spy.mock.calls.length, 0)
      if (inline) expect(calls).toBe(0)
      // The threaded driver sends the UPDATE with its BEGIN: that, COMMIT, and the read.
      else if (beginThen !== undefined) expect([beginThen.mock.calls.length, calls]).toEqual([1, 3])
      else expect(calls).toBeGreaterThanOrEqual(4)
    })))

  it.live("a transition's transaction commits it; a stale one is a conflict that leaves no transaction open", () =>
    inDriver(Effect.gen(function*() {
      const sqlite = yield* Driver
      const { sql, paths } = yield* seeded(tempDb(), 1)
      const path = paths[0] ?? ""
      const done = yield* withConnection(sql, (conn) => transitionTransaction(conn, sqlite, start(path)))
      expect(done.value.lock.busyEvents).toBe(0)
      const conflict = yield* Effect.flip(withConnection(sql, (conn) => transitionTransaction(conn, sqlite, start(path))))
      expect(conflict).toMatchObject({ _tag: "OccConflict", path, event: "start_upload", expectedVersion: 0 })
      const read = yield* withConnection(sql, (conn) => Effect.zip(noTransactionOpen(conn), timedReadState(conn, sqlite, path)))
      expect(read.value[0]).toBe(true)
      expect(read.value[1][1]).toMatchObject({ state: "uploading", version: 1, attempts: 1 })
      const missing = yield* Effect.flip(withConnection(sql, (conn) => timedReadState(conn, sqlite, "no/such/file")))
      expect(missing).toMatchObject({ _tag: "StoreError", operation: "read state", detail: "no row for no/such/file" })
    })))
})

describe.each(stores)("a failed transaction on %s", (_name, driver) => {
  const inDriver = <A, E>(body: Effect.Effect<A, E, Scope.Scope | Driver>) =>
    Effect.scoped(body).pipe(Effect.provide(driver))

  it.live("a failed body is rolled back and leaves no transaction open on the connection", () =>
    inDriver(Effect.gen(function*() {
        const sqlite = yield* Driver
      const { sql, paths } = yield* seeded(tempDb(), 1)
      const path = paths[0] ?? ""
      const write = {
        path,
        event: "complete_upload",
        from: "uploading",
        to: "processing",
        expectedVersion: 0,
        at: "2026-01-01T00:00:00.000Z",
        set: [],
        countsAttempt: false
      } as const
      const conflict = yield* Effect.flip(
        withConnection(sql, (conn) => writeTransaction(conn, sqlite, applyTransition(conn, sqlite.store.statements, write)))
      )
      expect(conflict._tag).toBe("OccConflict")
      const again = yield* withConnection(sql, (conn) => Effect.zip(noTransactionOpen(conn), readState(conn, sqlite.store.statements, path)))
      expect(again.value[0]).toBe(true)
      expect(again.value[1]).toMatchObject({ state: "untracked", version: 0, fileId: null })
    })))
})

describe.each(drivers)("the write lock, waited for by a transition on %s", (_name, driver) => {
  const inDriver = <A, E>(body: Effect.Effect<A, E, Scope.Scope | Driver>) =>
    Effect.scoped(body).pipe(Effect.provide(driver))
  const start = (path: string) => startUpload(path, 0)

  it.live("a write lock held elsewhere is waited for, each SQLITE_BUSY counted, and the transition then commits", () =>
    inDriver(Effect.gen(function*() {
      const sqlite = yield* Driver
      const { holder, waiter, path } = yield* lockHeld
      const release = yield* Effect.fork(Effect.delay(holder.unsafe("COMMIT").raw, Duration.millis(60)))
      const done = yield* withConnection(waiter, (conn) => transitionTransaction(conn, sqlite, start(path)))
      yield* Fiber.join(release)
      expect(done.value.lock.busyEvents).toBeGreaterThan(0)
      expect(done.value.lock.lockWaitMs).toBeGreaterThanOrEqual(50)
      expect(done.value.lock.busyWaitMs).toBeLessThanOrEqual(done.value.lock.lockWaitMs)
      const read = yield* withConnection(waiter, (conn) => timedReadState(conn, sqlite, path))
      expect(read.value[1]).toMatchObject({ state: "uploading", version: 1 })
    })))
})

describe("the threaded driver waits for the write lock in the connection's thread", () => {
  /** The threaded driver over the SQLite store, its busy timeout `ms`. */
  const threadedWaiting = (ms: number) => Layer.provideMerge(threadedLayer(ms), storeLayer(sqliteStore))
  const inThreaded = <A, E>(ms: number, body: Effect.Effect<A, E, Scope.Scope | Driver>) =>
    Effect.scoped(body).pipe(Effect.provide(threadedWaiting(ms)))

  it.live("a BEGIN on another thread's connection is held until the lock is freed, then answers with the busy answers its thread saw", () =>
    inThreaded(LOCK_TIMEOUT_MS, Effect.gen(function*() {
      const driver = yield* Driver
      const { holder, waiter } = yield* lockHeld
      const order: Array<string> = []
      const waiting = yield* Effect.fork(withConnection(waiter, (conn) =>
        Effect.tap(beginImmediate(conn, driver), () => Effect.sync(() => order.push("lock taken")))))
      // The waiter's BEGIN stays unanswered while the lock is held: its thread is retrying.
      yield* Effect.sleep(Duration.millis(40))
      expect(waiting.unsafePoll()).toBeNull()
      order.push("holder commits")
      yield* holder.unsafe("COMMIT").raw
      const lock = yield* Fiber.join(waiting)
      expect(order).toEqual(["holder commits", "lock taken"])
      // Counted in the thread: every busy answer, and the wait after the first.
      expect(lock.value.busyEvents).toBeGreaterThan(0)
      expect(lock.value.busyWaitMs).toBeGreaterThan(0)
      expect(lock.value.busyWaitMs).toBeLessThanOrEqual(lock.value.lockWaitMs)
    })))

  it.live("past its busy timeout the thread gives up: a typed lock timeout, not retried, and the lock is still the holder's", () =>
    inThreaded(120, Effect.gen(function*() {
      const driver = yield* Driver
      const { holder, waiter } = yield* lockHeld
      const error = yield* Effect.flip(withConnection(waiter, (conn) => beginImmediate(conn, driver)))
      expect(isLockTimeout(error)).toBe(true)
      expect(error.message).toMatch(/write lock not acquired after 120 ms \(\d+ SQLITE_BUSY answers, waited in the connection's thread\)/)
      // The holder still has it, and commits.
      yield* holder.unsafe("COMMIT").raw
    })))
})

describe("the threaded driver sends a transition's UPDATE with its BEGIN", () => {
  const inThreaded = <A, E>(ms: number, body: Effect.Effect<A, E, Scope.Scope | Driver>) =>
    Effect.scoped(body).pipe(Effect.provide(Layer.provideMerge(threadedLayer(ms), storeLayer(sqliteStore))))
  const start = (path: string) => startUpload(path, 0)

  it.live("a lock held elsewhere delays the UPDATE too: it runs once the holder commits, then the transition commits", () =>
    inThreaded(LOCK_TIMEOUT_MS, Effect.gen(function*() {
      const driver = yield* Driver
      const { holder, waiter, path } = yield* lockHeld
      const order: Array<string> = []
      const writing = yield* Effect.fork(withConnection(waiter, (conn) =>
        Effect.tap(transitionTransaction(conn, driver, start(path)), () => Effect.sync(() => order.push("transition committed")))))
      yield* Effect.sleep(Duration.millis(40))
      expect(writing.unsafePoll()).toBeNull()
      // The holder still reads the file as it was: the waiter's UPDATE has not run.
      expect(yield* holder.unsafe("SELECT gemini_state AS state FROM files WHERE file_path = ?", [path])).toEqual([{ state: "untracked" }])
      order.push("holder commits")
      yield* holder.unsafe("COMMIT").raw
      const done = yield* Fiber.join(writing)
      expect(order).toEqual(["holder commits", "transition committed"])
      expect(done.value.lock.busyEvents).toBeGreaterThan(0)
      expect(yield* holder.unsafe("SELECT gemini_state AS state, version FROM files WHERE file_path = ?", [path]))
        .toEqual([{ state: "uploading", version: 1 }])
    })))

  it.live("an UPDATE that fails after the lock is taken is rolled back in the thread: a typed error naming the UPDATE, the lock free again", () =>
    inThreaded(LOCK_TIMEOUT_MS, Effect.gen(function*() {
      const driver = yield* Driver
      const db = tempDb()
      const { sql, paths } = yield* seeded(db, 1)
      const path = paths[0] ?? ""
      yield* sql.unsafe("CREATE TRIGGER refuse BEFORE UPDATE ON files BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END").raw
      const error = yield* Effect.flip(withConnection(sql, (conn) => transitionTransaction(conn, driver, start(path))))
      expect(error).toMatchObject({ _tag: "StoreError", operation: "UPDATE (start_upload)" })
      expect(error.message).toMatch(/refused by trigger/)
      // Nothing was left open: the same connection and another both take the lock.
      const conn = yield* driver.connect(db)
      expect(yield* noTransactionOpen(conn)).toBe(true)
      expect(yield* withConnection(sql, noTransactionOpen)).toMatchObject({ value: true })
      expect(yield* withConnection(sql, (c) => timedReadState(c, driver, path))).toMatchObject({ value: [expect.any(Number), { state: "untracked", version: 0 }] })
    })))

  it.live("a connection it did not open (another driver's) has no BEGIN-with-UPDATE: it takes its own lane, and the transition commits", () =>
    inThreaded(LOCK_TIMEOUT_MS, Effect.gen(function*() {
      const driver = yield* Driver
      const db = tempDb()
      const { sql, paths } = yield* seeded(db, 1)
      const path = paths[0] ?? ""
      const foreign = yield* Effect.flatMap(Driver, (d) => d.connect(db)).pipe(Effect.provide(BetterSqlite.layer))
      expect(driver.beginThen?.(foreign)).toBeUndefined()
      const done = yield* transitionTransaction(foreign, driver, start(path))
      expect(done.lock.busyEvents).toBe(0)
      expect(yield* withConnection(sql, (c) => timedReadState(c, driver, path))).toMatchObject({ value: [expect.any(Number), { state: "uploading", version: 1 }] })
      // A stale one is a conflict, rolled back: the same connection takes the lock again.
      const conflict = yield* Effect.flip(transitionTransaction(foreign, driver, start(path)))
      expect(conflict._tag).toBe("OccConflict")
      expect(yield* Effect.provide(noTransactionOpen(foreign), BetterSqlite.layer)).toBe(true)
    })))
})
