/**
 * The Postgres driver: the state store on a PostgreSQL server, through
 * `@effect/sql-pg` (node-postgres underneath). Its target is a connection
 * URL where a SQLite driver's is a file path; everything above the driver
 * (actors, strategies, mitigations, the floor) is the same code.
 *
 * - A connection is one server connection: a per-file connection is a new
 *   one for every file (connect, authenticate, close), as production opened
 *   a SQLite connection per file; the shared connection is one, or a pool of
 *   `--pool-size`.
 * - It runs the Postgres store (`postgres/store.ts`): statements in
 *   Postgres's own SQL, `$n` placeholders, `BEGIN` for a write transaction.
 * - `lock_wait_ms` on Postgres is the BEGIN's round trip: there is no
 *   database-wide write lock to wait for. The row lock the OCC UPDATE takes
 *   is inside `write_ms`, and no two files' transactions touch the same row,
 *   so it is never waited for (a row-lock wait would show there).
 * - Statements are sent unnamed (parsed on every call), as @effect/sql-pg
 *   sends them; SQLite's side caches its prepared statements.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as PgClient from "@effect/sql-pg/PgClient"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { Store } from "../../store/service.ts"
import pg from "pg"
import { makeDriver } from "../../store/client.ts"
import { type RawConnection, Driver } from "../../store/driver.ts"
import { connectedClient } from "./client.ts"

/** The rows a statement changed, from node-postgres's result (`rowCount`). */
const rowCountOf = (result: unknown): number =>
  typeof result === "object" && result !== null && "rowCount" in result && typeof result.rowCount === "number"
    ? result.rowCount
    : -1

/** A @effect/sql-pg connection whose writes answer `{ changes }`, as the SQLite drivers' do. */
const counting = (conn: Connection): Connection =>
  ({
    execute: (sql, params, transformRows) => conn.execute(sql, params, transformRows),
    executeRaw: (sql, params) => Effect.map(conn.executeRaw(sql, params), (result) => ({ changes: rowCountOf(result) })),
    executeValues: (sql, params) => conn.executeValues(sql, params),
    executeUnprepared: (sql, params, transformRows) => conn.executeUnprepared(sql, params, transformRows),
    executeStream: (sql, params, transformRows) => conn.executeStream(sql, params, transformRows)
    // The cast: Connection's methods are generic in the row type, which rows read from a database cannot prove.
  }) as Connection

/**
 * A pool for one connection: node-postgres connects when it is first
 * reserved. Its second slot is for @effect/sql-pg's cancel of a statement
 * interrupted mid-flight (`pg_cancel_backend`), which needs a connection of
 * its own: with one slot, an interrupt would wait 5 s for it.
 */
const onePool = (url: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const pool = new pg.Pool({ connectionString: url, max: 2, application_name: "upload-fsm-bench", connectionTimeoutMillis: CONNECT_MS })
      // A connection the server closes (the run's end, a shutdown) must not crash the process.
      pool.on("error", () => undefined)
      return pool
    }),
    // As @effect/sql-pg's own pools end: a pool still lending a connection would never finish ending.
    (pool) => Effect.promise(() => pool.end()).pipe(Effect.interruptible, Effect.timeoutOption(1_000))
  )

/** How long a connection may take to open before it fails. */
const CONNECT_MS = 10_000

const rawConnect = async (url: string): Promise<RawConnection> => {
  const client = await connectedClient({ connectionString: url, application_name: "upload-fsm-bench floor" })
  return {
    rows: async (sql, params) => (await client.query(sql, [...params])).rows,
    changes: async (sql, params) => rowCountOf(await client.query(sql, [...params])),
    close: () => client.end()
  }
}

export const layer: Layer.Layer<Driver, never, Store> = Layer.effect(
  Driver,
  Effect.flatMap(Reactivity.make, (reactivity) =>
    makeDriver(
      "postgres",
      (url) =>
        Effect.gen(function*() {
          const client = yield* PgClient.fromPool({ acquire: onePool(url), applicationName: "upload-fsm-bench" })
          // Uninterruptible (at most CONNECT_MS): @effect/sql-pg's reserve, interrupted while connecting, would lend
          // the connection to no one and never give it back.
          return counting(yield* Effect.uninterruptible(client.reserve))
        }).pipe(
          Effect.provideService(Reactivity.Reactivity, reactivity),
          Effect.mapError((error) => new SqlError({ cause: error.cause, message: `cannot connect: ${error.message}` }))
        ),
      // Postgres never answers BEGIN with "busy": there is no database-wide write lock.
      () => false,
      rawConnect
    ))
)
