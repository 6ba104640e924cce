/**
 * Every driver, one `defineDriver` value each: what `--driver` accepts, and
 * how each is loaded over its store. A new driver is a module in this folder
 * and its value in the list below.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { Store } from "../store/service.ts"
import { storeLayer } from "../store/stores.ts"
import { defineDriver, type DriverDefinition } from "./define.ts"
import { type Driver, DriverUnavailable } from "./driver.ts"

/** Why better-sqlite3's native addon cannot load here (Deno refuses it: not a Node-API addon), or null. */
const addon = async (): Promise<string | null> => {
  const problem = (await import("./betterSqlite.ts")).addonProblem()
  return problem === null ? null : `better-sqlite3 cannot load in this runtime (${problem.split("\n")[0]})`
}

const INLINE = "inline: connections never wait for the write lock"

/** What the two drivers over better-sqlite3's addon, inline on the calling thread, have in common. */
const inlineOnAddon = {
  store: "sqlite",
  contends: false,
  summary: INLINE,
  needs: "better-sqlite3's native addon (Node; not Deno)",
  maxConcurrency: null,
  unavailable: addon
} as const

export const betterSqlite3 = defineDriver({
  name: "better-sqlite3",
  ...inlineOnAddon,
  load: async () => (await import("./betterSqlite.ts")).layer
})

export const threaded = defineDriver({
  name: "threaded",
  store: "sqlite",
  contends: true,
  summary: "threads contending for the write lock, as in production",
  needs: "worker threads, and better-sqlite3's native addon (Node) or the runtime's node:sqlite (Deno, Node 22.5 and later)",
  // Beyond it, on a 2-core machine, the longest waits for the write lock near its 5 s timeout and a run
  // measures timeouts more than contention (docs/measurements.md, "The threaded driver's pool and cap").
  maxConcurrency: {
    limit: 100,
    who: "the threaded driver takes",
    why: "beyond it, the longest waits for SQLite's write lock near its 5 s timeout on a 2-core machine; see docs/methodology.md, \"Drivers\""
  },
  // Its threads run better-sqlite3 where it loads, else node:sqlite.
  unavailable: async () =>
    (await addon()) === null || (await import("./nodeSqlite.ts")).problem() === null
      ? null
      : "neither better-sqlite3's addon nor node:sqlite can load in this runtime",
  load: async () => (await import("./threaded.ts")).layer
})

export const nodeSqlite = defineDriver({
  name: "node-sqlite",
  store: "sqlite",
  contends: false,
  summary: INLINE,
  needs: "the runtime's node:sqlite (Deno, or Node 22.5 and later)",
  maxConcurrency: null,
  unavailable: async () => (await import("./nodeSqlite.ts")).problem(),
  load: async () => (await import("./nodeSqlite.ts")).layer
})

export const effectSqlite = defineDriver({
  name: "effect-sqlite",
  ...inlineOnAddon,
  load: async () => (await import("./effectSqlite.ts")).layer
})

export const postgres = defineDriver({
  name: "postgres",
  store: "postgres",
  contends: true,
  summary: "row locks, a round trip per statement",
  needs: "a PostgreSQL server (a throwaway one of the run's own, or --pg-url)",
  // Each per-file actor holds a server connection, and each connection is a server process (a few MB each);
  // 200 is four times the reference runs' largest concurrency.
  maxConcurrency: { limit: 200, who: "on Postgres", why: "each actor holds a server connection; see docs/stores.md, \"Postgres\"" },
  unavailable: async () => null,
  load: async () => (await import("./postgres.ts")).layer
})

/** Every driver, SQLite's first (the order of `--driver`'s choices). */
export const AllDrivers = [betterSqlite3, threaded, nodeSqlite, effectSqlite, postgres] as const

/** Every driver a run can have: the SQLite ones (`--driver`), and Postgres's (`--store postgres`). */
export const StoreDrivers = AllDrivers.map((d) => d.name) as unknown as readonly [StoreDriverName, ...Array<StoreDriverName>]
export type StoreDriverName = (typeof AllDrivers)[number]["name"]

/** The SQLite drivers: what `--driver` and `--contrast` take. */
export type DriverName = Exclude<StoreDriverName, "postgres">
export const Drivers = AllDrivers.filter((d) => d.store === "sqlite").map((d) => d.name) as unknown as readonly [
  DriverName,
  ...Array<DriverName>
]

/** The drivers among `names`, as the result document describes them (`answer.drivers`). */
export const describeDrivers = (names: ReadonlyArray<string>) =>
  AllDrivers.filter((d) => names.includes(d.name)).map((d) => ({ name: d.name, summary: d.summary, inline: d.store === "sqlite" && !d.contends }))

/** The driver called `name`. */
export const driverNamed = (name: StoreDriverName): DriverDefinition<StoreDriverName> => {
  const found = AllDrivers.find((d) => d.name === name)
  if (found === undefined) throw new Error(`no driver ${name}`)
  return found
}

/** The flag that chose the driver, named when it cannot load. */
type DriverFlag = "--driver" | "--contrast"

/**
 * The driver called `name` over its store: refused up front (DriverUnavailable,
 * a bad choice: exit 2) where it cannot load, not an error in the first trial.
 */
export const driverLayer = (name: StoreDriverName, flag: DriverFlag = "--driver"): Layer.Layer<Driver | Store, DriverUnavailable> =>
  Layer.unwrapEffect(Effect.promise(async () => {
    const definition = driverNamed(name)
    const problem = await definition.unavailable()
    if (problem !== null) {
      return Layer.fail(
        new DriverUnavailable({
          detail: `${flag} ${name}: ${problem}; ` + (flag === "--contrast" ? "use --contrast off" : `it needs ${definition.needs}`)
        })
      )
    }
    const [driver, store] = await Promise.all([definition.load(), storeLayer(definition.store)])
    return Layer.provideMerge(driver, store)
  }))
