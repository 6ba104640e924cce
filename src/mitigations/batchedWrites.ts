/**
 * `batched-writes`: replaces the Writer with a write-behind
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
import type { LeaseShape } from "../actor/connections.ts"
import { makeLock, withLock } from "../actor/lock.ts"
import { makeLedger, Writer, type WriteTiming, writeTiming } from "../actor/writer.ts"
import { nanosToMs, timed } from "../metrics/timing.ts"
import { type InlineStatements, inlineStatements, Driver } from "../store/driver.ts"
import { type OccConflict, StoreError } from "../store/errors.ts"
import { afterQueue, applyInline, applyTransitionOn, attemptInline, beginInline, rollbackInline } from "../store/lanes.ts"
import type { TransitionWrite } from "../store/store.ts"
import { beginImmediate, type BusySoFar, type LockAcquisition, storeError } from "../store/transaction.ts"
import { type BatchOptions, defineMitigation } from "./define.ts"

export type { BatchOptions } from "./define.ts"


const noLock: LockAcquisition = { lockWaitMs: 0, busyEvents: 0, busyWaitMs: 0 }

export const batched = (dbPath: string, options: BatchOptions): Layer.Layer<Writer, StoreError, Driver> =>
  Layer.scoped(
    Writer,
    Effect.gen(function*() {
      const driver = yield* Driver
      const client = yield* driver.open(dbPath).pipe(Effect.mapError(storeError("open writer connection")))
      // The writer's connection is its own for the whole run.
      const conn: Connection = yield* client.reserve.pipe(Effect.mapError(storeError("reserve writer connection")))
      // Who writes on the writer's connection now (see `actor/lock.ts`).
      const lock = makeLock()
      const inline = inlineStatements(conn)
      const { statements } = driver.store
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
          return Effect.zipRight(Effect.ignore(conn.executeUnprepared(statements.rollback, [], undefined)), Effect.fail(error))
        })

      // The batch committed: its transitions in the ledger.
      const settle = () => {
        for (const write of pending) add(write)
        pending = []
        open = false
        commits += 1
      }
      const injectedFailure = () => `injected failure of batch commit #${commitNumber}`

      const commit = Effect.gen(function*() {
        commitNumber += 1
        if (commitNumber === options.failBatch) return yield* lose(injectedFailure())
        const committed = yield* Effect.either(conn.executeUnprepared(statements.commit, [], undefined))
        if (committed._tag === "Left") return yield* lose(storeError("COMMIT batch")(committed.left).detail)
        settle()
      })

      // `commit` at once, on a driver that answers at once.
      const commitNow = (s: InlineStatements): Either.Either<void, StoreError> => {
        commitNumber += 1
        const failure = commitNumber === options.failBatch
          ? injectedFailure()
          : Either.match(attemptInline("COMMIT batch", () => s.raw(statements.commit, [])), { onLeft: (e) => e.detail, onRight: () => null })
        if (failure === null) {
          settle()
          return Either.void
        }
        rollbackInline(s, statements)
        return Either.left(dropBatch(failure))
      }

      // Interrupting the run must not leave a half-open batch behind: roll it back.
      yield* Effect.addFinalizer(() => (open ? Effect.ignore(conn.executeUnprepared(statements.rollback, [], undefined)) : Effect.void))

      // A transition as Effects, holding the lock: on a driver that answers later, when another holds the
      // lock, or when a BEGIN was busy (`resumed`, carried on from its first answer).
      const persistHeld = (write: TransitionWrite, resumed?: BusySoFar) =>
        withLock(lock, (queueWaitMs) =>
          Effect.gen(function*() {
            const acquired = open
              // Someone opened a batch meanwhile: a busy answer this transition had is still counted.
              ? resumed === undefined ? noLock : { ...noLock, busyEvents: resumed.busyEvents }
              : yield* beginImmediate(conn, driver, resumed === undefined ? undefined : afterQueue(resumed, queueWaitMs))
            open = true
            const [writeMs] = yield* timed(
              applyTransitionOn(conn, statements, write).pipe(
                Effect.catchTag("StoreError", (e) => lose(e.message)),
                Effect.tap(() => {
                  pending.push(write)
                  return pending.length >= options.batchSize ? commit : Effect.void
                })
              )
            )
            return writeTiming(queueWaitMs, acquired, writeMs)
          }).pipe(Effect.uninterruptible)).pipe(Effect.map(({ value }) => value))

      // A transition in one synchronous step, on a driver that answers at once: the batch opened if
      // none is, its UPDATE, and the COMMIT if it fills the batch, timed at the same boundaries as
      // `persistHeld`'s. A busy BEGIN hands over to `persistHeld`.
      const persistNow = (
        s: InlineStatements,
        clock: Clock.Clock,
        write: TransitionWrite
      ): Either.Either<WriteTiming, OccConflict | StoreError> | BusySoFar => {
        let acquired = noLock
        if (!open) {
          const began = beginInline(s, statements, clock)
          if (!Either.isEither(began)) return began
          if (Either.isLeft(began)) return Either.left(began.left)
          acquired = began.right
          open = true
        }
        const start = clock.unsafeCurrentTimeNanos()
        const applied = applyInline(s, statements, write)
        if (Either.isLeft(applied)) {
          if (applied.left._tag === "OccConflict") return Either.left(applied.left)
          rollbackInline(s, statements)
          return Either.left(dropBatch(applied.left.message))
        }
        pending.push(write)
        if (pending.length >= options.batchSize) {
          const committed = commitNow(s)
          if (Either.isLeft(committed)) return Either.left(committed.left)
        }
        return Either.right(writeTiming(0, acquired, nanosToMs(clock.unsafeCurrentTimeNanos() - start)))
      }

      // The actor's lease is never used: the writer has a connection of its own.
      const persist = (_lease: LeaseShape, write: TransitionWrite): Effect.Effect<WriteTiming, OccConflict | StoreError> =>
        inline === undefined ? persistHeld(write) : Effect.clockWith((clock) => {
          if (!lock.tryAcquire()) return persistHeld(write)
          let done: ReturnType<typeof persistNow>
          try {
            done = persistNow(inline, clock, write)
          } finally {
            lock.release()
          }
          return Either.isEither(done) ? done : persistHeld(write, done)
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
                conn.executeUnprepared(statements.commit, [], undefined).pipe(Effect.mapError(storeError("COMMIT batch"))),
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

export const batchedWrites = defineMitigation({
  name: "batched-writes",
  short: "batched",
  replaces: "Writer",
  requires: [{
    mitigation: "in-memory-guards",
    because: "a guard reading the database cannot see the batch's uncommitted writes"
  }],
  summary: "write-behind: transitions commit every --batch-size in one held transaction",
  risk: "Batched writes report a transition persisted before it is committed: a failed batch commit leaves files " +
    "whose actors believe a state the database does not hold; they must be re-hydrated and redone (see Recovery).",
  layer: ({ dbPath, batch }) => batched(dbPath, batch),
  floor: ({ batch }) => ({ writer: "own-connection", batchSize: batch.batchSize })
})
