/**
 * How a write transaction is run, and where its time goes:
 * - `queue_wait_ms`: waiting for the in-process connection, before this
 *   (`actor/connections.ts`); a shared connection is held by one transaction
 *   from BEGIN to COMMIT, so sharing never changes transaction boundaries.
 * - `lock_wait_ms`: `BEGIN IMMEDIATE` until it returns, busy retries included:
 *   exactly the time spent acquiring SQLite's write lock.
 * - the body and COMMIT: the caller's work (`write_ms`).
 * On an inline driver SQLite's own busy handler is off (busy_timeout=0): a
 * blocking wait inside a synchronous driver would freeze the event loop, and
 * with it the lock holder; this loop retries instead. A driver whose
 * connections have threads of their own (threaded) waits in the thread, as
 * the seed's connections did, and answers once it has the lock; it sends a
 * transition's UPDATE with the BEGIN (`writeTransactionThen`).
 */
import type { Connection } from "@effect/sql/SqlConnection"
import type { SqlError } from "@effect/sql/SqlError"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import type { BeginThen, DriverShape, SqliteBusy } from "./driver.ts"
import { nanosToMs, timed } from "../metrics/timing.ts"
import { StoreError } from "./errors.ts"

export const storeError = (operation: string) => (error: SqlError): StoreError =>
  new StoreError({ operation, detail: String(error.cause instanceof Error ? error.cause.message : error.message) })

/** Give up on the write lock after this long, as SQLite's default busy_timeout would. */
export const LOCK_TIMEOUT_MS = 5_000

export interface LockAcquisition {
  readonly lockWaitMs: number
  /** SQLITE_BUSY answers received before the lock was acquired. */
  readonly busyEvents: number
  /** Time from the first SQLITE_BUSY until the lock was acquired (0 when none). */
  readonly busyWaitMs: number
}

// A busy answer first yields (the holder is usually one fiber step from COMMIT),
// then backs off with short sleeps so a long holder is not spun against.
const backoff = (attempt: number): Effect.Effect<void> =>
  attempt <= 3 ? Effect.yieldNow() : Effect.sleep(Duration.millis(Math.min(attempt - 3, 5)))

/** A lock wait begun elsewhere (the inline lane, `lanes.ts`): when it started, its first busy answer, the busy answers so far. */
export interface BusySoFar {
  readonly start: bigint
  readonly firstBusy: bigint
  readonly busyEvents: number
}

export const beginImmediate = (
  conn: Connection,
  driver: Pick<DriverShape, "begin">,
  /** Carry on a wait begun elsewhere: backed off from its busy answers first, measured from its start. */
  resumed?: BusySoFar
): Effect.Effect<LockAcquisition, StoreError> =>
  Effect.gen(function*() {
    const start = resumed?.start ?? (yield* Clock.currentTimeNanos)
    let firstBusy: bigint | undefined = resumed?.firstBusy
    let busyEvents = resumed?.busyEvents ?? 0
    if (busyEvents > 0) yield* backoff(busyEvents)
    for (;;) {
      const exit = yield* Effect.exit(driver.begin(conn))
      const now = yield* Clock.currentTimeNanos
      if (Exit.isSuccess(exit)) {
        // A driver that waited in the connection's thread says what it saw there.
        const waited = exit.value
        return waited === undefined
          ? { lockWaitMs: nanosToMs(now - start), busyEvents, busyWaitMs: firstBusy === undefined ? 0 : nanosToMs(now - firstBusy) }
          : { lockWaitMs: nanosToMs(now - start), busyEvents: busyEvents + waited.busyEvents, busyWaitMs: waited.busyWaitMs }
      }
      const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
      if (failure?._tag !== "SqliteBusy") {
        return yield* Effect.failCause(exit.cause).pipe(
          Effect.mapError((e) => storeError("BEGIN IMMEDIATE")(e._tag === "SqliteBusy" ? e.cause : e))
        )
      }
      if (failure.gaveUp !== undefined) return yield* gaveUpError(failure.gaveUp, busyEvents)
      busyEvents += 1
      firstBusy ??= now
      if (nanosToMs(now - start) > LOCK_TIMEOUT_MS) {
        return yield* new StoreError({
          operation: "BEGIN IMMEDIATE",
          detail: `write lock not acquired after ${LOCK_TIMEOUT_MS} ms (${busyEvents} SQLITE_BUSY answers)`,
          lockTimeout: true
        })
      }
      yield* backoff(busyEvents)
    }
  })

/** A BEGIN given up at the driver's busy timeout, as the run's typed lock timeout. */
const gaveUpError = (gaveUp: NonNullable<SqliteBusy["gaveUp"]>, busyBefore: number) =>
  new StoreError({
    operation: "BEGIN IMMEDIATE",
    detail: `write lock not acquired after ${gaveUp.timeoutMs} ms (${busyBefore + gaveUp.busyEvents} SQLITE_BUSY ` +
      "answers, waited in the connection's thread)",
    lockTimeout: true
  })

/**
 * One write transaction whose first statement goes with its BEGIN
 * (`DriverShape.beginThen`): BEGIN IMMEDIATE and `first` in one round trip,
 * `check` of `first`'s run result, COMMIT; ROLLBACK if `check` fails or
 * COMMIT does. `lock_wait_ms` is still BEGIN IMMEDIATE until it returned:
 * the round trip less the time the thread spent after taking the lock, which
 * is the transaction's (`write_ms`), as the statement's would have been.
 */
export const writeTransactionThen = <E>(
  conn: Connection,
  driver: Pick<DriverShape, "store">,
  beginThen: BeginThen,
  first: { readonly operation: string; readonly sql: string; readonly params: ReadonlyArray<unknown> },
  check: (result: unknown) => Either.Either<void, E>
): Effect.Effect<{ readonly lock: LockAcquisition; readonly writeMs: number }, E | StoreError> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const { statements } = driver.store
      const start = yield* Clock.currentTimeNanos
      const begun = yield* restore(beginThen(first.sql, first.params)).pipe(
        Effect.catchTags({
          SqliteBusy: (busy) =>
            busy.gaveUp !== undefined ? Effect.fail(gaveUpError(busy.gaveUp, 0)) : Effect.fail(storeError("BEGIN IMMEDIATE")(busy.cause)),
          FirstStatementFailed: (failed) => Effect.fail(storeError(first.operation)(failed.cause)),
          SqlError: (error) => Effect.fail(storeError("BEGIN IMMEDIATE")(error))
        })
      )
      const answered = yield* Clock.currentTimeNanos
      const lock = {
        lockWaitMs: Math.max(0, nanosToMs(answered - start) - begun.afterMs),
        busyEvents: begun.busyEvents,
        busyWaitMs: begun.busyWaitMs
      }
      const checked = check(begun.result)
      if (Either.isLeft(checked)) {
        yield* Effect.ignore(conn.executeUnprepared(statements.rollback, [], undefined))
        return yield* Effect.fail(checked.left)
      }
      yield* conn.executeUnprepared(statements.commit, [], undefined).pipe(
        Effect.mapError(storeError("COMMIT")),
        Effect.tapError(() => Effect.ignore(conn.executeUnprepared(statements.rollback, [], undefined)))
      )
      const committed = yield* Clock.currentTimeNanos
      return { lock, writeMs: begun.afterMs + nanosToMs(committed - answered) }
    })
  )

/**
 * One write transaction on a reserved connection: BEGIN IMMEDIATE, `body`,
 * COMMIT; ROLLBACK if the body fails or is interrupted, so a failed transition
 * never leaves a transaction open on a shared connection.
 */
export const writeTransaction = <A, E, R>(
  conn: Connection,
  driver: Pick<DriverShape, "begin" | "store">,
  body: Effect.Effect<A, E, R>,
  resumed?: BusySoFar
): Effect.Effect<{ readonly lock: LockAcquisition; readonly writeMs: number; readonly value: A }, E | StoreError, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const lock = yield* restore(beginImmediate(conn, driver, resumed))
      const [writeMs, value] = yield* timed(
        restore(body).pipe(
          Effect.tap(() => conn.executeUnprepared(driver.store.statements.commit, [], undefined).pipe(Effect.mapError(storeError("COMMIT")))),
          Effect.onExit((exit) =>
            Exit.isSuccess(exit) ? Effect.void : Effect.ignore(conn.executeUnprepared(driver.store.statements.rollback, [], undefined))
          )
        )
      )
      return { lock, writeMs, value }
    })
  )
