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
import type * as Context from "effect/Context"
import * as Either from "effect/Either"
import type { LeaseShape } from "../actor/connections.ts"
import { makeLock, withLock } from "../actor/lock.ts"
import { makeLedger, Writer, type WriteTiming, writeTiming } from "../actor/writer.ts"
import { nanosToMs, timed } from "../metrics/timing.ts"
import { type InlineStatements, inlineStatements, Driver } from "../store/driver.ts"
import { type OccConflict, StoreError } from "../store/errors.ts"
import { afterQueue, applyInline, applyTransitionOn, attemptInline, beginInline, rollbackInline } from "../store/lanes.ts"
import type { Statements } from "../store/service.ts"
import type { TransitionWrite } from "../store/store.ts"
import { beginImmediate, type BusySoFar, type LockAcquisition, storeError } from "../store/transaction.ts"
import { type BatchOptions, defineMitigation } from "./define.ts"

export type { BatchOptions } from "./define.ts"


const noLock: LockAcquisition = { lockWaitMs: 0, busyEvents: 0, busyWaitMs: 0 }

/** The writer's connection and its one batch: what every transition and the flush share. */
interface Batch {
  readonly options: BatchOptions
  readonly driver: Context.Tag.Service<Driver>
  readonly conn: Connection
  /** Who writes on the writer's connection now (see `actor/lock.ts`). */
  readonly lock: ReturnType<typeof makeLock>
  /** The connection's statements called directly, on a driver that answers at once. */
  readonly inline: InlineStatements | undefined
  readonly statements: Statements
  readonly ledger: ReturnType<typeof makeLedger>
  pending: Array<TransitionWrite>
  open: boolean
  commitNumber: number
  commits: number
  failedCommits: number
  lostTransitions: number
}

/** The batch is lost: its transitions are counted, and the error says how many. */
const dropBatch = (b: Batch, reason: string): StoreError => {
  const lost = b.pending
  b.pending = []
  b.open = false
  b.failedCommits += 1
  b.lostTransitions += lost.length
  return new StoreError({ operation: "COMMIT batch", detail: `${reason}; ${lost.length} transitions lost` })
}

const lose = (b: Batch, reason: string) =>
  Effect.suspend(() => {
    const error = dropBatch(b, reason)
    // A failed COMMIT may already have rolled back; a second ROLLBACK then has nothing to do.
    return Effect.zipRight(Effect.ignore(b.conn.executeUnprepared(b.statements.rollback, [], undefined)), Effect.fail(error))
  })

/** The batch committed: its transitions in the ledger. */
const settle = (b: Batch) => {
  for (const write of b.pending) b.ledger.add(write)
  b.pending = []
  b.open = false
  b.commits += 1
}

const injectedFailure = (b: Batch) => `injected failure of batch commit #${b.commitNumber}`

const commit = (b: Batch) =>
  Effect.gen(function*() {
    b.commitNumber += 1
    if (b.commitNumber === b.options.failBatch) return yield* lose(b, injectedFailure(b))
    const committed = yield* Effect.either(b.conn.executeUnprepared(b.statements.commit, [], undefined))
    if (committed._tag === "Left") return yield* lose(b, storeError("COMMIT batch")(committed.left).detail)
    settle(b)
  })

/** `commit` at once, on a driver that answers at once. */
const commitNow = (b: Batch, s: InlineStatements): Either.Either<void, StoreError> => {
  b.commitNumber += 1
  const failure = b.commitNumber === b.options.failBatch
    ? injectedFailure(b)
    : Either.match(attemptInline("COMMIT batch", () => s.raw(b.statements.commit, [])), { onLeft: (e) => e.detail, onRight: () => null })
  if (failure === null) {
    settle(b)
    return Either.void
  }
  rollbackInline(s, b.statements)
  return Either.left(dropBatch(b, failure))
}

/**
 * A transition as Effects, holding the lock: on a driver that answers later, when another holds the
 * lock, or when a BEGIN was busy (`resumed`, carried on from its first answer).
 */
const persistHeld = (b: Batch, write: TransitionWrite, resumed?: BusySoFar) =>
  withLock(b.lock, (queueWaitMs) =>
    Effect.gen(function*() {
      const acquired = b.open
        // Someone opened a batch meanwhile: a busy answer this transition had is still counted.
        ? resumed === undefined ? noLock : { ...noLock, busyEvents: resumed.busyEvents }
        : yield* beginImmediate(b.conn, b.driver, resumed === undefined ? undefined : afterQueue(resumed, queueWaitMs))
      b.open = true
      const [writeMs] = yield* timed(
        applyTransitionOn(b.conn, b.statements, write).pipe(
          Effect.catchTag("StoreError", (e) => lose(b, e.message)),
          Effect.tap(() => {
            b.pending.push(write)
            return b.pending.length >= b.options.batchSize ? commit(b) : Effect.void
          })
        )
      )
      return writeTiming(queueWaitMs, acquired, writeMs)
    }).pipe(Effect.uninterruptible)).pipe(Effect.map(({ value }) => value))

/**
 * A transition in one synchronous step, on a driver that answers at once: the batch opened if
 * none is, its UPDATE, and the COMMIT if it fills the batch, timed at the same boundaries as
 * `persistHeld`'s. A busy BEGIN hands over to `persistHeld`.
 */
const persistNow = (
  b: Batch,
  s: InlineStatements,
  clock: Clock.Clock,
  write: TransitionWrite
): Either.Either<WriteTiming, OccConflict | StoreError> | BusySoFar => {
  let acquired = noLock
  if (!b.open) {
    const began = beginInline(s, b.statements, clock)
    if (!Either.isEither(began)) return began
    if (Either.isLeft(began)) return Either.left(began.left)
    acquired = began.right
    b.open = true
  }
  const start = clock.unsafeCurrentTimeNanos()
  const applied = applyInline(s, b.statements, write)
  if (Either.isLeft(applied)) {
    if (applied.left._tag === "OccConflict") return Either.left(applied.left)
    rollbackInline(s, b.statements)
    return Either.left(dropBatch(b, applied.left.message))
  }
  b.pending.push(write)
  if (b.pending.length >= b.options.batchSize) {
    const committed = commitNow(b, s)
    if (Either.isLeft(committed)) return Either.left(committed.left)
  }
  return Either.right(writeTiming(0, acquired, nanosToMs(clock.unsafeCurrentTimeNanos() - start)))
}

/** The actor's lease is never used: the writer has a connection of its own. */
const persist = (b: Batch) => (_lease: LeaseShape, write: TransitionWrite): Effect.Effect<WriteTiming, OccConflict | StoreError> => {
  const inline = b.inline
  return inline === undefined ? persistHeld(b, write) : Effect.clockWith((clock) => {
    if (!b.lock.tryAcquire()) return persistHeld(b, write)
    let done: ReturnType<typeof persistNow>
    try {
      done = persistNow(b, inline, clock, write)
    } finally {
      b.lock.release()
    }
    return Either.isEither(done) ? done : persistHeld(b, write, done)
  })
}

/** What is pending committed; with only conflicts since the last commit, nothing to write, but the write lock released. */
const flush = (b: Batch) =>
  Effect.asVoid(withLock(b.lock, () =>
    Effect.suspend(() =>
      b.pending.length > 0
        ? commit(b)
        : b.open
        ? Effect.zipRight(
          b.conn.executeUnprepared(b.statements.commit, [], undefined).pipe(Effect.mapError(storeError("COMMIT batch"))),
          Effect.sync(() => {
            b.open = false
          })
        )
        : Effect.void
    )))

export const batched = (dbPath: string, options: BatchOptions): Layer.Layer<Writer, StoreError, Driver> =>
  Layer.scoped(
    Writer,
    Effect.gen(function*() {
      const driver = yield* Driver
      const client = yield* driver.open(dbPath).pipe(Effect.mapError(storeError("open writer connection")))
      // The writer's connection is its own for the whole run.
      const conn: Connection = yield* client.reserve.pipe(Effect.mapError(storeError("reserve writer connection")))
      const b: Batch = {
        options,
        driver,
        conn,
        lock: makeLock(),
        inline: inlineStatements(conn),
        statements: driver.store.statements,
        ledger: makeLedger(),
        pending: [],
        open: false,
        commitNumber: 0,
        commits: 0,
        failedCommits: 0,
        lostTransitions: 0
      }
      // Interrupting the run must not leave a half-open batch behind: roll it back.
      yield* Effect.addFinalizer(() => (b.open ? Effect.ignore(conn.executeUnprepared(b.statements.rollback, [], undefined)) : Effect.void))
      return {
        name: `batched-${options.batchSize}`,
        persist: persist(b),
        flush: flush(b),
        stats: Effect.sync(() => ({ commits: b.commits, failedCommits: b.failedCommits, lostTransitions: b.lostTransitions, ...b.ledger.snapshot() }))
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
