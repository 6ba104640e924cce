/**
 * Every backend, one `defineBackend` value each (its folder holds its store,
 * its drivers and its target), and the drivers they bring: what `--store`
 * and `--driver` accept. A new store is its folder and its value in the list
 * below; a config file may add drivers of its own (`defineDriver`).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { Backend } from "../store/backend.ts"
import type { DriverDefinition } from "../store/defineDriver.ts"
import { type Driver, DriverUnavailable } from "../store/driver.ts"
import { type Store, storeLayer } from "../store/service.ts"
import { postgres } from "./postgres/backend.ts"
import { sqlite } from "./sqlite/backend.ts"

export { postgresDriver } from "./postgres/backend.ts"
export { betterSqlite3, effectSqlite, nodeSqlite, threaded } from "./sqlite/backend.ts"

/** Every backend, SQLite's first (the default store). */
export const Backends = [sqlite, postgres] as const

export type StoreName = (typeof Backends)[number]["name"]
/** What `--store` takes. */
export const Stores = Backends.map((b) => b.name) as unknown as readonly [StoreName, ...Array<StoreName>]

/** Every built-in driver, SQLite's first (the order of `--driver`'s choices). */
export const AllDrivers: ReadonlyArray<DriverDefinition> = Backends.flatMap((b): ReadonlyArray<DriverDefinition> => b.drivers)

/** The built-in SQLite drivers: what `--driver` and `--contrast` list. */
export const Drivers = sqlite.drivers.map((d) => d.name) as unknown as readonly [
  (typeof sqlite.drivers)[number]["name"],
  ...Array<(typeof sqlite.drivers)[number]["name"]>
]

/** The backend called `name` among the built-ins and `extra` (a config's), if there is one. */
export const backendNamed = (name: string, extra: ReadonlyArray<Backend> = []): Backend | undefined =>
  [...Backends, ...extra].find((b) => b.name === name)

/** The drivers a config adds: its own, and those of its own backends. */
export const ownDrivers = (registry: { readonly drivers: ReadonlyArray<DriverDefinition>; readonly backends: ReadonlyArray<Backend> }) => [
  ...registry.drivers,
  ...registry.backends.flatMap((b): ReadonlyArray<DriverDefinition> => b.drivers)
]

/** The driver called `name` among the built-ins and `extra` (a config's), if there is one. */
export const driverNamed = (name: string, extra: ReadonlyArray<DriverDefinition> = []): DriverDefinition | undefined =>
  [...AllDrivers, ...extra].find((d) => d.name === name)

/** Whether a driver's connections in one process never wait for the write lock (they run inline on SQLite). */
const isInline = (d: DriverDefinition): boolean => d.store === "sqlite" && !d.contends

/** The drivers among `names`, as the result document describes them (`answer.drivers`). */
export const describeDrivers = (names: ReadonlyArray<string>, extra: ReadonlyArray<DriverDefinition> = []) =>
  [...AllDrivers, ...extra].filter((d) => names.includes(d.name)).map((d) => ({ name: d.name, summary: d.summary, inline: isInline(d) }))

/** The flag that chose the driver, named when it cannot load. */
type DriverFlag = "--driver" | "--contrast"

/**
 * A driver (a definition, or a built-in's name) over its store: refused up
 * front (DriverUnavailable, a bad choice: exit 2) where it cannot load, not
 * an error in the first trial.
 */
export const driverLayer = (
  driver: DriverDefinition | string,
  flag: DriverFlag = "--driver",
  /** A config's own backends, for a driver of theirs. */
  backends: ReadonlyArray<Backend> = []
): Layer.Layer<Driver | Store, DriverUnavailable> =>
  Layer.unwrapEffect(Effect.promise(async () => {
    const definition = typeof driver === "string" ? driverNamed(driver) : driver
    const backend = definition === undefined ? undefined : backendNamed(definition.store, backends)
    if (definition === undefined || backend === undefined) {
      return Layer.fail(new DriverUnavailable({ detail: `${flag} ${String(typeof driver === "string" ? driver : driver.name)}: no such driver` }))
    }
    const problem = await definition.unavailable()
    if (problem !== null) {
      return Layer.fail(
        new DriverUnavailable({
          detail: `${flag} ${definition.name}: ${problem}; ` + (flag === "--contrast" ? "use --contrast off" : `it needs ${definition.needs}`)
        })
      )
    }
    const [layer, store] = await Promise.all([definition.load(), backend.store()])
    return Layer.provideMerge(layer, storeLayer(store))
  }))
