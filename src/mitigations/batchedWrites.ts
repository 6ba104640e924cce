/**
 * Mitigation 3, `batched-writes`: replaces the Writer with a write-behind
 * one. A dedicated writer connection keeps one transaction open; each
 * transition's OCC UPDATE runs in it at once (a conflict is reported to that
 * actor at once, and changes nothing), and `persist` returns before the
 * COMMIT, which happens every N applied transitions and at `flush`. If a
 * COMMIT fails, up to N transitions of up to N files are lost while their
 * actors believe them persisted: the run's recovery pass finds and redoes
 * those files. It never uses the actor's lease.
 */
import type { Connection } from "@effect/sql/SqlConnection"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Clock from "effect/Clock"
import * as Either from "effect/Either"
import { makeLock, withLock } from "../actor/lock.ts"
import { makeLedger, Writer, type WriteTiming, writeTiming } from "../actor/writer.ts"
import { nanosToMs, timed } from "../metrics/timing.ts"
import { type InlineStatements, inlineStatements, SqliteDriver } from "../sqlite/driver.ts"
import { type OccConflict, StoreError } from "../store/errors.ts"
import { applyInline, applyTransitionOn, rollbackInline } from "../store/lanes.ts"
import type { TransitionWrite } from "../store/store.ts"
import { beginImmediate, type LockAcquisition, storeError } from "../store/transaction.ts"

export interface BatchOptions {
  /** Commit after this many applied transitions. */
  readonly batchSize: number
  /** Fault injection: make the k-th batch commit (1-based) fail and roll back. */
  readonly failBatch: number | null
}

const noLock: LockAcquisition = { lockWaitMs: 0, busyEvents: 0, busyWaitMs: 0 }

export const batched = (dbPath: string, options: BatchOptions): Layer.Layer<Writer, StoreError, SqliteDriver> =>
  Layer.scoped(
    Writer,
    Effect.gen(function*() {
      const driver = yield* SqliteDriver
      const client = yield* driver.open(dbPath).pipe(Effect.mapError(storeError("open writer connection")))
      // The writer's connection is its own for the whole run.
      const conn: Connection = yield* client.reserve.pipe(Effect.mapError(storeError("reserve writer connection")))
      // Who writes on the writer's connection now (see `actor/lock.ts`).
      const lock = makeLock()
      const inline = inlineStatements(conn)
      const { add, snapshot } = makeLedger()
      let pending: Array<TransitionWrite> = []
      let open = false
      let commitNumber = 0
      let commits = 0
      let failedCommits = 0
      let lostTransitions = 0

      // The batch is lost: its transitions are counted, and the error says how many.
      const dropBatch = (reason: string): StoreError => {
        const lost = pending
        pending = []
        open = false
        failedCommits += 1
        lostTransitions += lost.length
        return new StoreError({ operation: "COMMIT batch", detail: `${reason}; ${lost.length} transitions lost` })
      }

      const lose = (reason: string) =>
        Effect.suspend(() => {
          const error = dropBatch(reason)
          // A failed COMMIT may already have rolled back; a second ROLLBACK then has nothing to do.
          return Effect.zipRight(Effect.ignore(conn.executeUnprepared("ROLLBACK", [], undefined)), Effect.fail(error))
        })

      const commit = Effect.gen(function*() {
        commitNumber += 1
        if (commitNumber === options.failBatch) {
          return yield* lose(`injected failure of batch commit #${commitNumber}`)
        }
        const committed = yield* Effect.either(conn.executeUnprepared("COMMIT", [], undefined))
        if (committed._tag === "Left") return yield* lose(storeError("COMMIT batch")(committed.left).detail)
        for (const write of pending) add(write)
        pending = []
        open = false
        commits += 1
      })

      // Interrupting the run must not leave a half-open batch behind: roll it back.
      yield* Effect.addFinalizer(() => (open ? Effect.ignore(conn.executeUnprepared("ROLLBACK", [], undefined)) : Effect.void))

      // A transition that opens or closes a batch, or any on a driver that answers later: as Effects, holding the lock.
      const persistHeld = (write: TransitionWrite) =>
        withLock(lock, (queueWaitMs) =>
          Effect.gen(function*() {
            const acquired = open ? noLock : yield* beginImmediate(conn, driver)
            open = true
            const [writeMs] = yield* timed(
              applyTransitionOn(conn, write).pipe(
                Effect.catchTag("StoreError", (e) => lose(e.message)),
                Effect.tap(() => {
                  pending.push(write)
                  return pending.length >= options.batchSize ? commit : Effect.void
                })
              )
            )
            return writeTiming(queueWaitMs, acquired, writeMs)
          }).pipe(Effect.uninterruptible)).pipe(Effect.map(({ value }) => value))

      // A transition inside an open batch that does not fill it, on a driver that answers at once:
      // its UPDATE in one synchronous step, timed at the same boundaries.
      const persistNow = (s: InlineStatements, clock: Clock.Clock, write: TransitionWrite): Either.Either<WriteTiming, OccConflict | StoreError> => {
        const start = clock.unsafeCurrentTimeNanos()
        const applied = applyInline(s, write)
        if (Either.isLeft(applied)) {
          if (applied.left._tag === "OccConflict") return Either.left(applied.left)
          rollbackInline(s)
          return Either.left(dropBatch(applied.left.message))
        }
        pending.push(write)
        return Either.right(writeTiming(0, noLock, nanosToMs(clock.unsafeCurrentTimeNanos() - start)))
      }

      const persist = (write: TransitionWrite): Effect.Effect<WriteTiming, OccConflict | StoreError> =>
        inline === undefined ? persistHeld(write) : Effect.clockWith((clock) => {
          if (!open || pending.length + 1 >= options.batchSize || !lock.tryAcquire()) return persistHeld(write)
          try {
            return persistNow(inline, clock, write)
          } finally {
            lock.release()
          }
        })

      return {
        name: `batched-${options.batchSize}`,
        persist,
        flush: Effect.asVoid(withLock(lock, () =>
          Effect.suspend(() =>
            pending.length > 0
              ? commit
              : open
              // Only conflicts since the last commit: nothing to write, but release the write lock.
              ? Effect.zipRight(
                conn.executeUnprepared("COMMIT", [], undefined).pipe(Effect.mapError(storeError("COMMIT batch"))),
                Effect.sync(() => {
                  open = false
                })
              )
              : Effect.void
          ))),
        stats: Effect.sync(() => ({ commits, failedCommits, lostTransitions, ...snapshot() }))
      }
    })
  )
