/**
 * The drivers by name: what `--driver` accepts, and each one's layer, its
 * module loaded only when chosen (a run loads one driver, not four). A new
 * driver is a module in this folder and a line in each list below.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { DriverUnavailable, type SqliteDriver } from "./driver.ts"

export const Drivers = ["better-sqlite3", "threaded", "node-sqlite", "effect-sqlite"] as const
export type DriverName = (typeof Drivers)[number]

/** Every driver a run can have: the SQLite ones (`--driver`), and Postgres's (`--store postgres`, `postgres/driver.ts`). */
export const StoreDrivers = [...Drivers, "postgres"] as const
export type StoreDriverName = (typeof StoreDrivers)[number]

/**
 * A driver built on better-sqlite3, refused up front where its addon cannot
 * load (Deno): a bad choice of driver, exit 2, not an error in the first trial.
 */
const onAddon = async (
  name: DriverName,
  flag: DriverFlag,
  layer: Layer.Layer<SqliteDriver>
): Promise<Layer.Layer<SqliteDriver, DriverUnavailable>> => {
  const problem = (await import("./betterSqlite.ts")).addonProblem()
  return problem === null ? layer : Layer.fail(
    new DriverUnavailable({
      detail: `${flag} ${name}: better-sqlite3 cannot load in this runtime (${problem.split("\n")[0]}); ` +
        (flag === "--driver" ? "use --driver node-sqlite" : "use --contrast off")
    })
  )
}

/** The flag that chose the driver, named when it cannot load. */
type DriverFlag = "--driver" | "--contrast"

const load: { readonly [D in StoreDriverName]: (flag: DriverFlag) => Promise<Layer.Layer<SqliteDriver, DriverUnavailable>> } = {
  "better-sqlite3": async (flag) => onAddon("better-sqlite3", flag, (await import("./betterSqlite.ts")).layer),
  threaded: async (flag) => onAddon("threaded", flag, (await import("./threaded.ts")).layer),
  "node-sqlite": async () => (await import("./nodeSqlite.ts")).layer,
  "effect-sqlite": async (flag) => onAddon("effect-sqlite", flag, (await import("./effectSqlite.ts")).layer),
  postgres: async () => (await import("../postgres/driver.ts")).layer
}

export const driverLayer = (name: StoreDriverName, flag: DriverFlag = "--driver"): Layer.Layer<SqliteDriver, DriverUnavailable> =>
  Layer.unwrapEffect(Effect.promise(() => load[name](flag)))
