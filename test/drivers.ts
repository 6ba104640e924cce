/**
 * The drivers the tests run against: every one available on this runtime.
 * Tests that exercise SQLite take the driver as a parameter (describe.each),
 * so each driver passes the same tests.
 */
import type { Layer } from "effect"
import * as BetterSqlite from "../src/sqlite/betterSqlite.ts"
import type { SqliteDriver } from "../src/sqlite/driver.ts"
import * as EffectSqlite from "../src/sqlite/effectSqlite.ts"
import * as Threaded from "../src/sqlite/threaded.ts"

export const drivers: ReadonlyArray<readonly [string, Layer.Layer<SqliteDriver>]> = [
  ["better-sqlite3", BetterSqlite.layer],
  ["threaded", Threaded.layer],
  ["effect-sqlite", EffectSqlite.layer]
]
