/**
 * The driver seam: how one connection to the run's store is opened. Every
 * driver gives `@effect/sql` Connections (and SqlClients over them,
 * `client.ts`) to one store (`store/service.ts`). A SQLite driver's are set
 * up the way production set up its own (WAL, synchronous=NORMAL) and with
 * SQLite's busy handler off, so that waiting for the write lock happens in
 * our code, where it is measured (see `store/transaction.ts`), and never
 * blocks the event loop. The helpers below are the SQLite drivers' common
 * parts.
 */
import type { SqlClient } from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Scope from "effect/Scope"
import type { StoreShape } from "./service.ts"

/**
 * SQLite answered SQLITE_BUSY: another connection holds the write lock.
 * `gaveUp`: the driver has already waited for it (in the connection's
 * thread) until its busy timeout, and what it saw: not to be retried.
 */
export class SqliteBusy extends Data.TaggedError("SqliteBusy")<{
  readonly cause: SqlError
  readonly gaveUp?: BeginWait & { readonly timeoutMs: number }
}> {}

/** The statement sent with a BEGIN (`beginThen`) failed after the lock was taken; its transaction is rolled back. */
export class FirstStatementFailed extends Data.TaggedError("FirstStatementFailed")<{ readonly cause: SqlError }> {}

/**
 * `begin`, then the transaction's first statement (`sql`, `params`) as soon
 * as the lock is taken, answered together: a driver whose connections answer
 * from another thread sends them in one round trip, as the seed's driver did
 * (Python's sqlite3 opens the transaction itself with the first write), so
 * the lock is not held across one more. Its `result` is the statement's run
 * result; `afterMs`, the time after the lock was taken, is the transaction's,
 * not lock wait. If the statement fails, the transaction is already rolled
 * back.
 */
export type BeginThen = (
  sql: string,
  params: ReadonlyArray<unknown>
) => Effect.Effect<BeginWait & { readonly result: unknown; readonly afterMs: number }, SqliteBusy | FirstStatementFailed | SqlError>

/** What a driver that waits for the write lock itself (in the connection's thread) saw before it had it. */
export interface BeginWait {
  /** SQLITE_BUSY answers before the lock was taken. */
  readonly busyEvents: number
  /** Time from the first of them until the lock was taken (0 when none). */
  readonly busyWaitMs: number
}

export interface DriverShape {
  /** Recorded in results (`config.driver`). */
  readonly name: string
  /** The store its connections reach, whose statements they are sent. */
  readonly store: StoreShape
  /**
   * One connection to `filename`, closed when the scope closes. It has no
   * queue of its own: its holder decides who uses it when (a file's actor
   * alone, or the shared connection's semaphore).
   */
  readonly connect: (filename: string) => Effect.Effect<Connection, SqlError, Scope.Scope>
  /**
   * An `@effect/sql` client over one new connection to `filename`, closed
   * when the scope closes: its users take the connection in turn (`reserve`).
   */
  readonly open: (filename: string) => Effect.Effect<SqlClient, SqlError, Scope.Scope>
  /**
   * The store's `begin` on `conn` (SQLite: BEGIN IMMEDIATE): the write lock
   * taken, or a typed SqliteBusy when another connection holds it. An inline
   * driver does not wait (the busy handler is off: the caller retries); a
   * driver whose connections have threads of their own waits there, as
   * SQLite's busy handler would, and says what it waited (`BeginWait`).
   */
  readonly begin: (conn: Connection) => Effect.Effect<BeginWait | void, SqliteBusy | SqlError>
  /**
   * `conn`'s `BeginThen`, when it has one (a connection this driver opened
   * on a thread of its own); undefined for any other connection, which takes
   * `begin` and its statements in turn. Absent on drivers that answer at once.
   */
  readonly beginThen?: (conn: Connection) => BeginThen | undefined
  /**
   * One connection to `filename` with no Effect in between, set up as
   * `connect`'s: what the storage floor (`floor/floor.ts`) runs its statements
   * on. Close it with its `close`.
   */
  readonly rawConnect: (filename: string) => RawConnection | Promise<RawConnection>
}

/**
 * A connection's statements called directly: a synchronous driver answers at
 * once, the threaded one with promises. Statements are prepared and cached
 * per connection as the Effect side's are.
 */
export interface RawConnection {
  /** A reading statement's rows. */
  readonly rows: (sql: string, params: ReadonlyArray<unknown>) => ReadonlyArray<Record<string, unknown>> | Promise<ReadonlyArray<Record<string, unknown>>>
  /** A statement run for its effect: the rows it changed. */
  readonly changes: (sql: string, params: ReadonlyArray<unknown>) => number | Promise<number>
  readonly close: () => void | Promise<void>
}

/** The rows a statement changed, from a driver's run result (`{ changes }`, a number or a bigint); -1 if it has none. */
export const changesOf = (result: unknown): number =>
  typeof result === "object" && result !== null && "changes" in result && typeof result.changes === "number"
    ? result.changes
    : typeof result === "object" && result !== null && "changes" in result && typeof result.changes === "bigint"
    ? Number(result.changes)
    : -1

/** `begin` for a driver of `store` that tells a busy answer by its error (`isBusy`). */
export const beginWith = (store: StoreShape, isBusy: (error: SqlError) => boolean) => (conn: Connection): Effect.Effect<void, SqliteBusy | SqlError> =>
  conn.executeUnprepared(store.statements.begin, [], undefined).pipe(
    Effect.asVoid,
    Effect.mapError((error) => (isBusy(error) ? new SqliteBusy({ cause: error }) : error))
  )

/** The chosen driver cannot run in this runtime (node:sqlite before Node 22.5; a native addon Deno cannot load). */
export class DriverUnavailable extends Data.TaggedError("DriverUnavailable")<{ readonly detail: string }> {
  override get message(): string {
    return this.detail
  }
}

/** The run's driver: how its layers open connections to the store. */
export class Driver extends Context.Tag("upload-fsm-bench/Driver")<Driver, DriverShape>() {}

/** PRAGMAs every connection gets after opening (journal_mode=WAL is set by the client itself). */
export const connectionPragmas = ["PRAGMA synchronous = NORMAL", "PRAGMA busy_timeout = 0"] as const

/** A synchronous driver call, its throw a typed SqlError saying `what` failed. */
export const attempt = <A>(what: string, f: () => A): Effect.Effect<A, SqlError> =>
  Effect.try({ try: f, catch: (cause) => new SqlError({ cause, message: what }) })

/**
 * `Effect.acquireRelease` for a connection: acquired uninterruptibly, released
 * when the scope closes. Effect's own restores the acquirer's fiber refs
 * around every release (two FiberRefs diffs and two patches per finalizer,
 * context included), which closing a connection never reads: with a
 * connection per file, that was harness time in every file's connect_ms
 * (a CPU profile showed it).
 */
export const acquireConnection = <A, E, R>(
  acquire: Effect.Effect<A, E, R>,
  release: (a: A) => Effect.Effect<void>
): Effect.Effect<A, E, R | Scope.Scope> =>
  Effect.uninterruptible(
    Effect.flatMap(acquire, (a) => Effect.as(Effect.flatMap(Effect.scope, (scope) => Scope.addFinalizer(scope, release(a))), a))
  )

/**
 * A database of a synchronous driver (better-sqlite3, node:sqlite), opened,
 * closed with the scope, and set up as every connection is: WAL, then the
 * PRAGMAs above. The constructor throws for a bad path or a file that is not
 * a database: that is a typed SqlError here.
 */
const openSynchronous = <D extends SynchronousDatabase>(
  filename: string,
  open: (filename: string) => D
): Effect.Effect<D, SqlError, Scope.Scope> =>
  Effect.tap(
    acquireConnection(attempt(`cannot open ${filename}`, () => open(filename)), (db) => Effect.sync(() => db.close())),
    (db) => attempt(`cannot set up ${filename}`, () => setUp(db))
  )

interface SynchronousDatabase {
  exec(sql: string): unknown
  close(): unknown
}

/** WAL, then the PRAGMAs above: how every connection of a synchronous driver starts. */
const setUp = (db: SynchronousDatabase): void => {
  db.exec("PRAGMA journal_mode = WAL")
  for (const pragma of connectionPragmas) db.exec(pragma)
}

/** `rawConnect` for a synchronous driver: its database opened and set up as `openSynchronous` does, its statements called directly. */
export const synchronousRaw = <D extends SynchronousDatabase>(
  open: (filename: string) => D,
  statementsOn: (db: D) => SynchronousStatements
) =>
(filename: string): RawConnection => {
  const db = open(filename)
  try {
    setUp(db)
  } catch (error) {
    db.close()
    throw error
  }
  const statements = statementsOn(db)
  return {
    rows: statements.rows,
    changes: (sql, params) => changesOf(statements.raw(sql, params)),
    close: () => {
      db.close()
    }
  }
}

/** `connect` for a synchronous driver: its database opened and set up (`openSynchronous`), under a Connection on the inline lane. */
export const synchronousConnect = <D extends SynchronousDatabase>(
  driver: string,
  open: (filename: string) => D,
  statementsOn: (db: D) => SynchronousStatements,
  isBusy: (error: SqlError) => boolean
) =>
(filename: string): Effect.Effect<Connection, SqlError, Scope.Scope> =>
  Effect.map(openSynchronous(filename, open), (db) => synchronousConnection(driver, statementsOn(db), isBusy))

/** The two things a synchronous driver does with a statement; the rest of a Connection follows from them. */
export interface SynchronousStatements {
  /** The statement's rows: [] for one without rows (a write, BEGIN, COMMIT). */
  readonly rows: (sql: string, params: ReadonlyArray<unknown>) => ReadonlyArray<Record<string, unknown>>
  /** The statement run for its effect: what `executeRaw` answers (changes, last row id). */
  readonly raw: (sql: string, params: ReadonlyArray<unknown>) => unknown
}

/**
 * A connection whose driver answers at once, seen from the store's inline
 * lane: its statements, and how its driver tells a busy answer from a thrown
 * error. The store runs a whole read, or a whole transaction, on them in one
 * synchronous step (`store/lanes.ts`) instead of an Effect per statement.
 */
export interface InlineStatements extends SynchronousStatements {
  readonly isBusy: (error: SqlError) => boolean
}

const inlineLane = new WeakMap<Connection, InlineStatements>()

/** The connection's inline statements, if its driver answers at once; undefined for one that answers later (threaded, the stock client). */
export const inlineStatements = (conn: Connection): InlineStatements | undefined => inlineLane.get(conn)

/** An `@effect/sql` Connection over a synchronous driver's statements; a throw is a typed SqlError. */
const synchronousConnection = (
  driver: string,
  statements: SynchronousStatements,
  isBusy: (error: SqlError) => boolean
): Connection => {
  const rows = (sql: string, params: ReadonlyArray<unknown>) =>
    attempt("Failed to execute statement", () => statements.rows(sql, params))
  const connection = {
    execute: (sql, params, transformRows) => Effect.map(rows(sql, params), (r) => (transformRows ? transformRows(r) : r)),
    executeRaw: (sql, params) => attempt("Failed to execute statement", () => statements.raw(sql, params)),
    executeValues: (sql, params) => Effect.map(rows(sql, params), (r) => r.map((row) => Object.values(row))),
    // Transaction control (BEGIN IMMEDIATE, COMMIT) comes through here, from
    // the same statement cache: Python's sqlite3 caches every statement it executes.
    executeUnprepared: (sql, params, transformRows) =>
      Effect.map(rows(sql, params ?? []), (r) => (transformRows ? transformRows(r) : r)),
    executeStream: () => Effect.dieMessage(`executeStream is not supported by the ${driver} driver`)
    // The cast: Connection's methods are generic in the row type, which rows read from a database cannot prove.
  } as Connection
  inlineLane.set(connection, { ...statements, isBusy })
  return connection
}
