/**
 * The `effect-sqlite` driver: better-sqlite3 under the stock
 * `@effect/sql-sqlite-node` client, as a user of Effect would deploy it. The
 * client builds a statement cache, a compiler and a semaphore for every
 * connection and runs every statement through them; the `better-sqlite3`
 * driver runs the same database under this project's thin client instead.
 * Their difference is that client's cost (docs/measurements.md, "What
 * Effect's stock client costs").
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Store } from "../../store/service.ts"
import { isBusy, rawConnect } from "./betterSqlite.ts"
import { beginWith, connectionPragmas, Driver } from "../../store/driver.ts"

/** A stock client over one new connection (WAL is the client's default), set up as every connection is. */
const client = (reactivity: Reactivity.Reactivity["Type"]) => (filename: string) =>
  Effect.gen(function*() {
    const sql = yield* SqliteClient.make({ filename })
    yield* Effect.scoped(
      Effect.flatMap(sql.reserve, (conn) =>
        Effect.forEach(connectionPragmas, (pragma) => conn.executeUnprepared(pragma, [], undefined), { discard: true }))
    )
    return sql
  }).pipe(
    Effect.provideService(Reactivity.Reactivity, reactivity),
    // better-sqlite3 throws from its constructor (bad path, not a database): a typed SqlError here.
    Effect.catchAllDefect((cause) => Effect.fail(new SqlError({ cause, message: `cannot open ${filename}` })))
  )

export const layer: Layer.Layer<Driver, never, Store> = Layer.effect(
  Driver,
  Effect.all([Store, Reactivity.make]).pipe(Effect.map(([store, reactivity]) => {
    const open = client(reactivity)
    return {
      name: "effect-sqlite",
      store,
      open,
      // A lone connection is the client's one connection, reserved for the scope.
      connect: (filename) => Effect.flatMap(open(filename), (sql) => sql.reserve),
      begin: beginWith(store, isBusy),
      // The stock client runs better-sqlite3: with no Effect in between, that is the same library's connection.
      rawConnect
    }
  }))
)
