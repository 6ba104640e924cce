/**
 * The better-sqlite3 driver: every statement runs synchronously on the calling
 * thread. Each connection is a better-sqlite3 Database under the same thin
 * `@effect/sql` client as the other drivers (`client.ts`), with its prepared
 * statements cached per connection (`statementCache.ts`). It used to run
 * under `@effect/sql-sqlite-node`'s client, which builds an Effect cache, a
 * compiler and a client for every connection: harness cost in every per-file
 * connect_ms and write_ms (measured in the README, "Drivers").
 */
import type { Connection } from "@effect/sql/SqlConnection"
import type { SqlError } from "@effect/sql/SqlError"
import Database from "better-sqlite3"
import { Effect, Layer } from "effect"
import { makeDriver } from "./client.ts"
import { attempt, openSynchronous, SqliteDriver } from "./driver.ts"
import { statementCache } from "./statementCache.ts"

const busyCodes = new Set(["SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT", "SQLITE_BUSY_RECOVERY", "SQLITE_BUSY_TIMEOUT"])

const hasCode = (cause: unknown): cause is { readonly code: unknown } =>
  typeof cause === "object" && cause !== null && "code" in cause

export const isBusy = (error: SqlError): boolean =>
  hasCode(error.cause) && typeof error.cause.code === "string" && busyCodes.has(error.cause.code)

type Statement = Database.Statement<Array<unknown>, Record<string, unknown>>

const connectionOn = (db: Database.Database): Connection => {
  const prepared = statementCache((sql): Statement => db.prepare<Array<unknown>, Record<string, unknown>>(sql))
  // A statement without rows (a write, BEGIN, COMMIT) answers [] for rows.
  const rows = (statement: Statement, params: ReadonlyArray<unknown>): ReadonlyArray<Record<string, unknown>> =>
    statement.reader ? statement.all(...params) : (statement.run(...params), [])
  const execute = (sql: string, params: ReadonlyArray<unknown>) =>
    attempt("Failed to execute statement", () => rows(prepared(sql), params))
  return {
    execute: (sql, params, transformRows) => Effect.map(execute(sql, params), (r) => (transformRows ? transformRows(r) : r)),
    executeRaw: (sql, params) =>
      attempt("Failed to execute statement", () => {
        const statement = prepared(sql)
        return statement.reader ? statement.all(...params) : statement.run(...params)
      }),
    executeValues: (sql, params) => Effect.map(execute(sql, params), (r) => r.map((row) => Object.values(row))),
    // Transaction control (BEGIN IMMEDIATE, COMMIT) comes through here: cached
    // too, as Python's sqlite3 caches every statement it executes.
    executeUnprepared: (sql, params, transformRows) =>
      Effect.map(execute(sql, params ?? []), (r) => (transformRows ? transformRows(r) : r)),
    executeStream: () => Effect.dieMessage("executeStream is not supported by the better-sqlite3 driver")
    // The cast: Connection's methods are generic in the row type, which rows read from a database cannot prove.
  } as Connection
}

const connect = (filename: string) => Effect.map(openSynchronous(filename, (f) => new Database(f)), connectionOn)

export const layer: Layer.Layer<SqliteDriver> = Layer.effect(SqliteDriver, makeDriver("better-sqlite3", connect, isBusy))
