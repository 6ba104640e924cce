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
 * was most of the harness's cost per file (issue 11's profile); a driver that
 * answers later (threaded, the stock @effect/sql client) takes the Effect lane
 * (`store.ts`, `transaction.ts`) as before.
 *
 * A busy answer to an inline BEGIN IMMEDIATE (another process holds the write
 * lock) hands over to the Effect lane's retry loop, carrying the time and
 * busy answers so far, so that lock wait is measured once, from the first
 * attempt.
 */
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { changesOf, inlineStatements, type InlineStatements, type SqliteDriverShape } from "../sqlite/driver.ts"
import { nanosToMs, timed } from "../metrics/timing.ts"
import type { OccConflict, StoreError } from "./errors.ts"
import {
  applyTransition,
  READ_STATE_SQL,
  readState,
  readStateOutcome,
  type StoredState,
  transitionOutcome,
  transitionStatement,
  type TransitionWrite
} from "./store.ts"
import { type BusySoFar, type LockAcquisition, storeError, writeTransaction } from "./transaction.ts"

/** A driver's throw, as the Effect lane's `attempt` would have typed it. */
const failed = (cause: unknown) => new SqlError({ cause, message: "Failed to execute statement" })

/** `f`'s answer, or its throw typed as `operation` failing. */
const attempt = <A>(operation: string, f: () => A): Either.Either<A, StoreError> => {
  try {
    return Either.right(f())
  } catch (cause) {
    return Either.left(storeError(operation)(failed(cause)))
  }
}

const readInline = (s: InlineStatements, path: string): Either.Either<StoredState, StoreError> =>
  Either.flatMap(attempt("read state", () => s.rows(READ_STATE_SQL, [path])), ([row]) => readStateOutcome(path, row))

/** The file's stored state, read on `conn`, and how long the read took (ms). */
export const timedReadState = (conn: Connection, path: string): Effect.Effect<readonly [number, StoredState], StoreError> => {
  const inline = inlineStatements(conn)
  if (inline === undefined) return timed(readState(conn, path))
  return Effect.clockWith((clock) => {
    const start = clock.unsafeCurrentTimeNanos()
    const read = readInline(inline, path)
    const ms = nanosToMs(clock.unsafeCurrentTimeNanos() - start)
    return Either.map(read, (stored) => [ms, stored] as const)
  })
}

const applyInline = (s: InlineStatements, write: TransitionWrite): Either.Either<void, OccConflict | StoreError> => {
  const { text, params } = transitionStatement(write)
  return Either.flatMap(attempt(`UPDATE (${write.event})`, () => changesOf(s.raw(text, params))), (changed) => transitionOutcome(write, changed))
}

/** The OCC UPDATE of one transition inside the caller's open transaction on `conn`. */
export const applyTransitionOn = (conn: Connection, write: TransitionWrite): Effect.Effect<void, OccConflict | StoreError> => {
  const inline = inlineStatements(conn)
  return inline === undefined ? applyTransition(conn, write) : Effect.suspend(() => applyInline(inline, write))
}

export interface TransactionTiming {
  readonly lock: LockAcquisition
  readonly writeMs: number
}

const rollback = (s: InlineStatements): void => {
  try {
    s.raw("ROLLBACK", [])
  } catch {
    // As the Effect lane's `Effect.ignore`: a failed COMMIT may already have rolled back.
  }
}

const transactionInline = (
  s: InlineStatements,
  clock: Clock.Clock,
  write: TransitionWrite
): Either.Either<TransactionTiming, OccConflict | StoreError> | BusySoFar => {
  const start = clock.unsafeCurrentTimeNanos()
  try {
    s.raw("BEGIN IMMEDIATE", [])
  } catch (cause) {
    const error = failed(cause)
    // Busy: where the Effect lane's retry loop takes over, with this first answer counted.
    return s.isBusy(error)
      ? { start, firstBusy: clock.unsafeCurrentTimeNanos(), busyEvents: 1 }
      : Either.left(storeError("BEGIN IMMEDIATE")(error))
  }
  const locked = clock.unsafeCurrentTimeNanos()
  const written = Either.flatMap(applyInline(s, write), () => attempt("COMMIT", () => s.raw("COMMIT", [])))
  if (Either.isLeft(written)) {
    rollback(s)
    return Either.left(written.left)
  }
  return Either.right({
    lock: { lockWaitMs: nanosToMs(locked - start), busyEvents: 0, busyWaitMs: 0 },
    writeMs: nanosToMs(clock.unsafeCurrentTimeNanos() - locked)
  })
}

/**
 * One transition in its own write transaction on `conn` (the commit-each
 * writer's unit): BEGIN IMMEDIATE, the OCC UPDATE, COMMIT, ROLLBACK on failure.
 */
export const transitionTransaction = (
  conn: Connection,
  driver: Pick<SqliteDriverShape, "begin">,
  write: TransitionWrite
): Effect.Effect<TransactionTiming, OccConflict | StoreError> => {
  const inline = inlineStatements(conn)
  if (inline === undefined) return writeTransaction(conn, driver, applyTransition(conn, write))
  return Effect.clockWith((clock) => {
    const done = transactionInline(inline, clock, write)
    return Either.isEither(done)
      ? done
      : writeTransaction(conn, driver, applyTransition(conn, write), done)
  })
}
