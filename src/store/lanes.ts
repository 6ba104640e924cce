/**
 * Which lane an actor's statement work takes. On a connection whose driver
 * answers at once (better-sqlite3, node:sqlite: `inlineStatements`), a whole
 * read, or a whole write transaction (BEGIN IMMEDIATE, the OCC UPDATE,
 * COMMIT), runs as one synchronous step with its clock readings taken inside
 * it, at the same boundaries as the Effect lane's: `hydrate_ms`/`guard_ms`
 * around the read, `lock_wait_ms` from the first BEGIN IMMEDIATE until one
 * returns, `write_ms` from there to COMMIT's return. Same statements, same
 * typed errors, same ROLLBACK on failure. What the inline lane drops is the
 * Effect machinery between two statements of one step, which on these drivers
 * was most of the harness's cost per file (a CPU profile showed it); a driver that
 * answers later (threaded, the stock @effect/sql client) takes the Effect lane
 * (`store.ts`, `transaction.ts`).
 *
 * A busy answer to an inline BEGIN IMMEDIATE (another process holds the write
 * lock) hands over to the Effect lane's retry loop, carrying the time and
 * busy answers so far, so that lock wait is measured once, from the first
 * attempt.
 *
 * A step (`LaneStep`) carries both lanes; whoever holds the connection runs
 * it: `onConnection` on a connection its caller has alone, the shared
 * connection's lease (`actor/connections.ts`) under its lock, which a step
 * that runs at once takes and gives back within that one synchronous step.
 * The batched writer (`mitigations/batchedWrites.ts`) runs its own steps the
 * same way on its connection.
 */
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { changesOf, inlineStatements, type InlineStatements, type DriverShape } from "./driver.ts"
import { nanosToMs, timed } from "../metrics/timing.ts"
import type { OccConflict, StoreError } from "./errors.ts"
import { type Statements, transitionStatement } from "./service.ts"
import { applyTransition, readState, readStateOutcome, type StoredState, transitionOutcome, type TransitionWrite } from "./store.ts"
import { type BusySoFar, type LockAcquisition, storeError, writeTransaction, writeTransactionThen } from "./transaction.ts"

/** A driver's throw, as the Effect lane's `attempt` would have typed it. */
const failed = (cause: unknown) => new SqlError({ cause, message: "Failed to execute statement" })

/** `f`'s answer, or its throw typed as `operation` failing. */
export const attemptInline = <A>(operation: string, f: () => A): Either.Either<A, StoreError> => {
  try {
    return Either.right(f())
  } catch (cause) {
    return Either.left(storeError(operation)(failed(cause)))
  }
}

const readInline = (s: InlineStatements, statements: Statements, path: string): Either.Either<StoredState, StoreError> =>
  Either.flatMap(attemptInline("read state", () => s.rows(statements.readState, [path])), ([row]) => readStateOutcome(path, row))

/**
 * One piece of an actor's statement work (a read, a write transaction), in
 * both lanes: `now` on a connection whose driver answers at once, in one
 * synchronous step (its answer, or, when the step must carry on waiting, an
 * Effect that finishes it on the connection); `later` as Effects, on any
 * connection. Whoever holds the connection picks the lane
 * (`onConnection`, and the shared connection's lease, `actor/connections.ts`).
 */
export interface LaneStep<A, E> {
  readonly now: (s: InlineStatements, clock: Clock.Clock) => Either.Either<A, E> | CarryOn<A, E>
  readonly later: (conn: Connection) => Effect.Effect<A, E>
}

/**
 * What is left of a step that could not finish at once (a busy BEGIN
 * IMMEDIATE): run on the connection once its caller holds it again, told how
 * long the caller then waited for it, so that this wait is not counted twice.
 */
export type CarryOn<A, E> = (conn: Connection, queuedMs: number) => Effect.Effect<A, E>

/** `step` on a connection its caller holds throughout: in one synchronous step if its driver answers at once. */
export const onConnection = <A, E>(conn: Connection, step: LaneStep<A, E>): Effect.Effect<A, E> => {
  const inline = inlineStatements(conn)
  if (inline === undefined) return step.later(conn)
  return Effect.clockWith((clock) => {
    const answer = step.now(inline, clock)
    return Either.isEither(answer) ? answer : answer(conn, 0)
  })
}

/** Reading a file's stored state with the store's `statements`, and how long the read took (ms). */
export const readStep = (statements: Statements, path: string): LaneStep<readonly [number, StoredState], StoreError> => ({
  now: (s, clock) => {
    const start = clock.unsafeCurrentTimeNanos()
    const read = readInline(s, statements, path)
    const ms = nanosToMs(clock.unsafeCurrentTimeNanos() - start)
    return Either.map(read, (stored) => [ms, stored] as const)
  },
  later: (conn) => timed(readState(conn, statements, path))
})

/** The file's stored state, read on `conn` (a connection of `driver`'s), and how long the read took (ms). */
export const timedReadState = (
  conn: Connection,
  driver: Pick<DriverShape, "store">,
  path: string
): Effect.Effect<readonly [number, StoredState], StoreError> => onConnection(conn, readStep(driver.store.statements, path))

/** The OCC UPDATE of one transition, at once, inside the caller's open transaction. */
export const applyInline = (
  s: InlineStatements,
  statements: Statements,
  write: TransitionWrite
): Either.Either<void, OccConflict | StoreError> => {
  const { text, params } = transitionStatement(statements, write)
  return Either.flatMap(attemptInline(`UPDATE (${write.event})`, () => changesOf(s.raw(text, params))), (changed) => transitionOutcome(write, changed))
}

/** The OCC UPDATE of one transition inside the caller's open transaction on `conn`. */
export const applyTransitionOn = (
  conn: Connection,
  statements: Statements,
  write: TransitionWrite
): Effect.Effect<void, OccConflict | StoreError> => {
  const inline = inlineStatements(conn)
  return inline === undefined ? applyTransition(conn, statements, write) : Effect.suspend(() => applyInline(inline, statements, write))
}

export interface TransactionTiming {
  readonly lock: LockAcquisition
  readonly writeMs: number
}

/** ROLLBACK at once; a failure to roll back is ignored (a failed COMMIT may already have rolled back). */
export const rollbackInline = (s: InlineStatements, statements: Statements): void => {
  try {
    s.raw(statements.rollback, [])
  } catch {
    // As the Effect lane's `Effect.ignore`: a failed COMMIT may already have rolled back.
  }
}

/**
 * BEGIN IMMEDIATE at once: the write lock and the time it took, or, on a
 * busy answer, where the Effect lane's retry loop takes over (this first
 * answer counted).
 */
export const beginInline = (
  s: InlineStatements,
  statements: Statements,
  clock: Clock.Clock
): Either.Either<LockAcquisition, StoreError> | BusySoFar => {
  const start = clock.unsafeCurrentTimeNanos()
  try {
    s.raw(statements.begin, [])
  } catch (cause) {
    const error = failed(cause)
    return s.isBusy(error)
      ? { start, firstBusy: clock.unsafeCurrentTimeNanos(), busyEvents: 1 }
      : Either.left(storeError("BEGIN IMMEDIATE")(error))
  }
  return Either.right({ lockWaitMs: nanosToMs(clock.unsafeCurrentTimeNanos() - start), busyEvents: 0, busyWaitMs: 0 })
}

const transactionInline = (
  s: InlineStatements,
  statements: Statements,
  clock: Clock.Clock,
  write: TransitionWrite
): Either.Either<TransactionTiming, OccConflict | StoreError> | BusySoFar => {
  const began = beginInline(s, statements, clock)
  if (!Either.isEither(began)) return began
  if (Either.isLeft(began)) return Either.left(began.left)
  const locked = clock.unsafeCurrentTimeNanos()
  const written = Either.flatMap(applyInline(s, statements, write), () => attemptInline("COMMIT", () => s.raw(statements.commit, [])))
  if (Either.isLeft(written)) {
    rollbackInline(s, statements)
    return Either.left(written.left)
  }
  return Either.right({ lock: began.right, writeMs: nanosToMs(clock.unsafeCurrentTimeNanos() - locked) })
}

/** A busy wait carried on after its caller waited `queuedMs` for the connection: that wait is not lock wait. */
export const afterQueue = (busy: BusySoFar, queuedMs: number): BusySoFar => {
  const shift = BigInt(Math.round(queuedMs * 1e6))
  return { start: busy.start + shift, firstBusy: busy.firstBusy + shift, busyEvents: busy.busyEvents }
}

/**
 * One transition in its own write transaction (the commit-each writer's
 * unit): BEGIN IMMEDIATE, the OCC UPDATE, COMMIT, ROLLBACK on failure.
 */
export const transactionStep = (
  driver: Pick<DriverShape, "begin" | "beginThen" | "store">,
  write: TransitionWrite
): LaneStep<TransactionTiming, OccConflict | StoreError> => {
  const { statements } = driver.store
  // On a connection that can send the UPDATE with its BEGIN (threaded's own), one round trip fewer.
  const later = (conn: Connection) => {
    const beginThen = driver.beginThen?.(conn)
    if (beginThen === undefined) return writeTransaction(conn, driver, applyTransition(conn, statements, write))
    const { text, params } = transitionStatement(statements, write)
    const first = { operation: `UPDATE (${write.event})`, sql: text, params }
    return writeTransactionThen(conn, driver, beginThen, first, (result) => transitionOutcome(write, changesOf(result)))
  }
  return {
    now: (s, clock) => {
      const done = transactionInline(s, statements, clock, write)
      return Either.isEither(done)
        ? done
        : (conn, queuedMs) => writeTransaction(conn, driver, applyTransition(conn, statements, write), afterQueue(done, queuedMs))
    },
    later
  }
}

/** One transition in its own write transaction on `conn` (see `transactionStep`). */
export const transitionTransaction = (
  conn: Connection,
  driver: Pick<DriverShape, "begin" | "beginThen" | "store">,
  write: TransitionWrite
): Effect.Effect<TransactionTiming, OccConflict | StoreError> => onConnection(conn, transactionStep(driver, write))
