/**
 * The drivers by name: what `--driver` accepts, and each one's layer, its
 * module loaded only when chosen (a run loads one driver, not four). A new
 * driver is a module in this folder and a line in each list below.
 */
import { Effect, Layer } from "effect"
import type { SqliteDriver } from "./driver.ts"
import type { DriverUnavailable } from "./nodeSqlite.ts"

export const Drivers = ["better-sqlite3", "threaded", "node-sqlite", "effect-sqlite"] as const
export type DriverName = (typeof Drivers)[number]

const load: { readonly [D in DriverName]: () => Promise<Layer.Layer<SqliteDriver, DriverUnavailable>> } = {
  "better-sqlite3": async () => (await import("./betterSqlite.ts")).layer,
  threaded: async () => (await import("./threaded.ts")).layer,
  "node-sqlite": async () => (await import("./nodeSqlite.ts")).layer,
  "effect-sqlite": async () => (await import("./effectSqlite.ts")).layer
}

export const driverLayer = (name: DriverName): Layer.Layer<SqliteDriver, DriverUnavailable> =>
  Layer.unwrapEffect(Effect.promise(load[name]))
