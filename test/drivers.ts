/**
 * The drivers the tests run against: every driver of `src/drivers/all.ts`
 * that this runtime can load (node-sqlite needs Deno or Node 22.5+; vitest
 * runs on Node 20, so CI's Deno gate covers it), and Postgres. Tests that
 * exercise the store take the driver as a parameter (describe.each), so each
 * passes the same tests: `drivers` are the SQLite ones (for what only SQLite
 * has: its write lock, its file), `stores` add Postgres.
 *
 * On Postgres a test's database is its own: the path `tempDb()` gives (a
 * SQLite file's) names a database, created on the test run's server
 * (`test/globalPostgres.ts`) when first connected to.
 */
import { createHash } from "node:crypto"
import { Effect, Layer } from "effect"
import { inject } from "vitest"
import pg from "pg"
import { Driver } from "../src/store/driver.ts"
import { driverLayer, Drivers } from "../src/backends/all.ts"
import * as BetterSqliteDriver from "../src/backends/sqlite/betterSqlite.ts"
import * as ThreadedDriver from "../src/backends/sqlite/threaded.ts"
import { sqliteStore } from "../src/backends/sqlite/store.ts"
import { Store, storeLayer } from "../src/store/service.ts"

/** A SQLite driver's layer over the SQLite store, as `driverLayer` gives it (without its lazy import). */
const onSqlite = (layer: Layer.Layer<Driver, never, Store>): Layer.Layer<Driver | Store> =>
  Layer.provideMerge(layer, storeLayer(sqliteStore))

export const BetterSqlite = { layer: onSqlite(BetterSqliteDriver.layer) }
export const Threaded = { layer: onSqlite(ThreadedDriver.layer) }

const specifier = "node:sqlite"
const hasNodeSqlite = await import(specifier).then(() => true, () => false)

export const drivers: ReadonlyArray<readonly [string, Layer.Layer<Driver>]> = Drivers
  .filter((name) => name !== "node-sqlite" || hasNodeSqlite)
  .map((name) => [name, Layer.orDie(driverLayer(name))])

const databases = new Map<string, Promise<string>>()

/** The test server's database for `target` (a path from tempDb()), created on first use; its URL. */
export const databaseFor = (target: string): Promise<string> => {
  const known = databases.get(target)
  if (known !== undefined) return known
  const name = `t_${createHash("sha1").update(target).digest("hex").slice(0, 20)}`
  const server = new URL(inject("pgUrl"))
  const made = (async () => {
    const client = new pg.Client({ connectionString: server.toString() })
    await client.connect()
    try {
      await client.query(`CREATE DATABASE ${name}`)
    } finally {
      await client.end()
    }
    server.pathname = `/${name}`
    return server.toString()
  })()
  databases.set(target, made)
  return made
}

/** The Postgres driver, each target path standing for a database of its own on the test server. */
export const postgres: Layer.Layer<Driver> = Layer.effect(
  Driver,
  Effect.map(Driver, (driver) => {
    const url = (target: string) => Effect.promise(() => databaseFor(target))
    return {
      ...driver,
      connect: (target: string) => Effect.flatMap(url(target), driver.connect),
      open: (target: string) => Effect.flatMap(url(target), driver.open),
      rawConnect: async (target: string) => driver.rawConnect(await databaseFor(target))
    }
  })
).pipe(Layer.provide(Layer.orDie(driverLayer("postgres"))))

export const stores: ReadonlyArray<readonly [string, Layer.Layer<Driver>]> = [...drivers, ["postgres", postgres]]
