/**
 * The `node-sqlite` driver, on the runtime's built-in `node:sqlite` (Deno, and
 * Node ≥ 22.5): the default under Deno, which cannot load better-sqlite3.
 * Like better-sqlite3, every statement runs synchronously on the calling
 * thread.
 */
import type { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { Store } from "../../store/service.ts"
import { createRequire } from "node:module"
import { makeDriver } from "../../store/client.ts"
import { DriverUnavailable, Driver, synchronousConnect, type SynchronousStatements, synchronousRaw } from "../../store/driver.ts"
import { statementCache } from "./statementCache.ts"

/** The part of node:sqlite this driver uses. */
interface StatementSync {
  all(...params: ReadonlyArray<unknown>): ReadonlyArray<Record<string, unknown>>
  run(...params: ReadonlyArray<unknown>): { readonly changes: number | bigint; readonly lastInsertRowid: number | bigint }
}
interface DatabaseSync {
  prepare(sql: string): StatementSync
  exec(sql: string): void
  close(): void
}
type DatabaseSyncConstructor = new(filename: string) => DatabaseSync

const isConstructor = (value: unknown): value is DatabaseSyncConstructor => typeof value === "function"

/** SQLite's primary result code 5 is SQLITE_BUSY (extended codes keep it in the low byte). */
const SQLITE_BUSY = 5

export const isBusy = (error: SqlError): boolean => {
  const cause: unknown = error.cause
  return typeof cause === "object" && cause !== null && "errcode" in cause && typeof cause.errcode === "number" &&
    (cause.errcode & 0xff) === SQLITE_BUSY
}

const statementsOn = (db: DatabaseSync): SynchronousStatements => {
  const prepared = statementCache((sql) => db.prepare(sql))
  return {
    // Statements without rows (writes, BEGIN, COMMIT) answer [] to all().
    rows: (sql, params) => prepared(sql).all(...params),
    raw: (sql, params) => {
      const r = prepared(sql).run(...params)
      return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) }
    }
  }
}

// With require, not a dynamic import (which in the bundle would make tsx's loader rewrite all of it, see
// launch.ts); untyped: Node 20's type definitions have no node:sqlite.
const require = createRequire(import.meta.url)

/** node:sqlite's DatabaseSync, or why this runtime has none. */
const databaseSync = (): DatabaseSyncConstructor | string => {
  let module: unknown
  try {
    module = require("node:sqlite")
  } catch {
    return "this runtime has no node:sqlite"
  }
  const DatabaseSync = typeof module === "object" && module !== null && "DatabaseSync" in module ? module.DatabaseSync : undefined
  return isConstructor(DatabaseSync) ? DatabaseSync : "node:sqlite has no DatabaseSync here"
}

/** Why node:sqlite cannot be used here, or null. */
export const problem = (): string | null => {
  const found = databaseSync()
  return typeof found === "string" ? found : null
}

export const layer: Layer.Layer<Driver, DriverUnavailable, Store> = Layer.effect(
  Driver,
  Effect.gen(function*() {
    const DatabaseSync = databaseSync()
    if (typeof DatabaseSync === "string") {
      return yield* new DriverUnavailable({ detail: `--driver node-sqlite: ${DatabaseSync} (it needs Deno, or Node 22.5 and later)` })
    }
    const open = (filename: string) => new DatabaseSync(filename)
    return yield* makeDriver("node-sqlite", synchronousConnect("node-sqlite", open, statementsOn, isBusy), isBusy, synchronousRaw(open, statementsOn))
  })
)
