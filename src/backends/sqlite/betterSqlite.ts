/**
 * The better-sqlite3 driver: every statement runs synchronously on the calling
 * thread. Each connection is a better-sqlite3 Database under the same thin
 * `@effect/sql` client as the other drivers (`client.ts`), with its prepared
 * statements cached per connection (`statementCache.ts`), not under
 * `@effect/sql-sqlite-node`'s client, which builds an Effect cache, a
 * compiler and a client for every connection: harness cost in every per-file
 * connect_ms and write_ms (docs/measurements.md, "What Effect's stock client
 * costs"; that client is the `effect-sqlite` driver).
 */
import type { SqlError } from "@effect/sql/SqlError"
import Database from "better-sqlite3"
import * as Layer from "effect/Layer"
import type { Store } from "../../store/service.ts"
import { makeDriver } from "../../store/client.ts"
import { Driver, synchronousConnect, type SynchronousStatements, synchronousRaw } from "../../store/driver.ts"
import { statementCache } from "./statementCache.ts"

const busyCodes = new Set(["SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT", "SQLITE_BUSY_RECOVERY", "SQLITE_BUSY_TIMEOUT"])

const hasCode = (cause: unknown): cause is { readonly code: unknown } =>
  typeof cause === "object" && cause !== null && "code" in cause

export const isBusy = (error: SqlError): boolean =>
  hasCode(error.cause) && typeof error.cause.code === "string" && busyCodes.has(error.cause.code)

type Statement = Database.Statement<Array<unknown>, Record<string, unknown>>

const statementsOn = (db: Database.Database): SynchronousStatements => {
  const prepared = statementCache((sql): Statement => db.prepare<Array<unknown>, Record<string, unknown>>(sql))
  return {
    rows: (sql, params) => {
      const statement = prepared(sql)
      return statement.reader ? statement.all(...params) : (statement.run(...params), [])
    },
    raw: (sql, params) => {
      const statement = prepared(sql)
      return statement.reader ? statement.all(...params) : statement.run(...params)
    }
  }
}

const open = (filename: string) => new Database(filename)

/**
 * Why better-sqlite3 cannot run here, or null: its native addon loads on the
 * first database opened, and Deno refuses it (not a Node-API addon).
 */
export const addonProblem = (): string | null => {
  try {
    new Database(":memory:").close()
    return null
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}

/** better-sqlite3's connections with no Effect in between (the effect-sqlite driver's too: the same library). */
export const rawConnect = synchronousRaw(open, statementsOn)

export const layer: Layer.Layer<Driver, never, Store> = Layer.effect(
  Driver,
  makeDriver("better-sqlite3", synchronousConnect("better-sqlite3", open, statementsOn, isBusy), isBusy, rawConnect)
)
