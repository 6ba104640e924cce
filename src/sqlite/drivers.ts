/**
 * The drivers by name: what `--driver` accepts, and each one's layer, its
 * module loaded only when chosen (a run loads one driver, not four). A new
 * driver is a module in this folder and a line in each list below.
 */
import { Effect, Layer } from "effect"
import { DriverUnavailable, type SqliteDriver } from "./driver.ts"

export const Drivers = ["better-sqlite3", "threaded", "node-sqlite", "effect-sqlite"] as const
export type DriverName = (typeof Drivers)[number]

/**
 * A driver built on better-sqlite3, refused up front where its addon cannot
 * load (Deno): a bad choice of driver, exit 2, not an error in the first trial.
 */
const onAddon = async (name: DriverName, layer: Layer.Layer<SqliteDriver>): Promise<Layer.Layer<SqliteDriver, DriverUnavailable>> => {
  const problem = (await import("./betterSqlite.ts")).addonProblem()
  return problem === null ? layer : Layer.fail(
    new DriverUnavailable({ detail: `--driver ${name}: better-sqlite3 cannot load in this runtime (${problem.split("\n")[0]}); use --driver node-sqlite` })
  )
}

const load: { readonly [D in DriverName]: () => Promise<Layer.Layer<SqliteDriver, DriverUnavailable>> } = {
  "better-sqlite3": async () => onAddon("better-sqlite3", (await import("./betterSqlite.ts")).layer),
  threaded: async () => onAddon("threaded", (await import("./threaded.ts")).layer),
  "node-sqlite": async () => (await import("./nodeSqlite.ts")).layer,
  "effect-sqlite": async () => onAddon("effect-sqlite", (await import("./effectSqlite.ts")).layer)
}

export const driverLayer = (name: DriverName): Layer.Layer<SqliteDriver, DriverUnavailable> =>
  Layer.unwrapEffect(Effect.promise(load[name]))
