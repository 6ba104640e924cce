import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber } from "effect"
import { isBusy } from "../../src/sqlite/betterSqlite.ts"
import { applyTransition, readState } from "../../src/store/store.ts"
import { beginImmediate, withConnection, writeTransaction } from "../../src/store/transaction.ts"
import { open, seeded, tempDb } from "../helpers.ts"

describe("write transactions", () => {
  it.live("lock wait is the time until the write lock is free, with every SQLITE_BUSY counted", () =>
    Effect.scoped(
      Effect.gen(function*() {
        const db = tempDb()
        const { sql: holder } = yield* seeded(db, 1)
        const waiter = yield* open(db)
        // The holder takes the write lock and keeps it for ~60 ms.
        yield* holder.unsafe("BEGIN IMMEDIATE").raw
        const release = yield* Effect.fork(Effect.delay(holder.unsafe("COMMIT").raw, Duration.millis(60)))
        const lock = yield* withConnection(waiter, (conn) =>
          Effect.zipLeft(beginImmediate(conn, { isBusy }), conn.executeUnprepared("COMMIT", [], undefined)))
        yield* Fiber.join(release)
        expect(lock.value.busyEvents).toBeGreaterThan(0)
        expect(lock.value.lockWaitMs).toBeGreaterThanOrEqual(50)
        expect(lock.value.busyWaitMs).toBeGreaterThan(0)
        expect(lock.value.busyWaitMs).toBeLessThanOrEqual(lock.value.lockWaitMs)
      })
    ))

  it.live("an uncontended BEGIN IMMEDIATE sees no SQLITE_BUSY", () =>
    Effect.scoped(
      Effect.gen(function*() {
        const { sql } = yield* seeded(tempDb(), 1)
        const lock = yield* withConnection(sql, (conn) =>
          Effect.zipLeft(beginImmediate(conn, { isBusy }), conn.executeUnprepared("COMMIT", [], undefined)))
        expect(lock.value.busyEvents).toBe(0)
        expect(lock.value.busyWaitMs).toBe(0)
      })
    ))

  it.scoped("a failed body is rolled back and leaves no transaction open on the connection", () =>
    Effect.gen(function*() {
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
        withConnection(sql, (conn) => writeTransaction(conn, { isBusy }, applyTransition(conn, write)))
      )
      expect(conflict._tag).toBe("OccConflict")
      // A second BEGIN would fail if the first transaction were still open.
      const again = yield* withConnection(sql, (conn) =>
        Effect.zipRight(
          writeTransaction(conn, { isBusy }, Effect.void),
          readState(conn, path)
        ))
      expect(again.value).toMatchObject({ state: "untracked", version: 0, fileId: null })
    }))
})
