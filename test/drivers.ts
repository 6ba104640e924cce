/**
 * The drivers the tests run against: every driver of `src/sqlite/drivers.ts`
 * that this runtime can load (node-sqlite needs Deno or Node 22.5+; vitest
 * runs on Node 20, so CI's Deno gate covers it). Tests that exercise SQLite
 * take the driver as a parameter (describe.each), so each passes the same tests.
 */
import { Layer } from "effect"
import type { SqliteDriver } from "../src/sqlite/driver.ts"
import { driverLayer, Drivers } from "../src/sqlite/drivers.ts"

const specifier = "node:sqlite"
const hasNodeSqlite = await import(specifier).then(() => true, () => false)

export const drivers: ReadonlyArray<readonly [string, Layer.Layer<SqliteDriver>]> = Drivers
  .filter((name) => name !== "node-sqlite" || hasNodeSqlite)
  .map((name) => [name, Layer.orDie(driverLayer(name))])
