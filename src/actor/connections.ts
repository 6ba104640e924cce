/**
 * Connection strategy: which connection an actor's database work goes through.
 * The baseline is production's pattern, a connection per file opened and
 * closed in the actor's scope. Mitigation 2 shares one connection, opened once
 * per run, among all actors: each transaction reserves it from BEGIN to
 * COMMIT, so sharing never changes transaction boundaries, and the time an
 * actor waits for it is queue_wait_ms.
 */
import type { SqlClient } from "@effect/sql/SqlClient"
import { Context, Effect, Layer, type Scope } from "effect"
import type { StoreError } from "../store/errors.ts"
import { storeError } from "../store/transaction.ts"
import { SqliteDriver } from "../sqlite/driver.ts"

export interface ConnectionsShape {
  readonly name: string
  /** The connection for one file; released (closed, for a per-file one) when the scope closes. */
  readonly acquire: Effect.Effect<SqlClient, StoreError, Scope.Scope>
}

export class Connections extends Context.Tag("upload-fsm-bench/Connections")<Connections, ConnectionsShape>() {}

/** A fresh connection for every file, closed with the actor's scope, on failure and interruption too. */
export const perFile = (dbPath: string): Layer.Layer<Connections, never, SqliteDriver> =>
  Layer.effect(
    Connections,
    Effect.map(SqliteDriver, (driver) => ({
      name: "per-file",
      acquire: driver.open(dbPath).pipe(Effect.mapError(storeError("open connection")))
    }))
  )


export const shared = (dbPath: string): Layer.Layer<Connections, StoreError, SqliteDriver> =>
  Layer.scoped(
    Connections,
    Effect.flatMap(SqliteDriver, (driver) =>
      Effect.map(driver.open(dbPath).pipe(Effect.mapError(storeError("open shared connection"))), (sql) => ({
        name: "shared",
        acquire: Effect.succeed(sql)
      })))
  )
