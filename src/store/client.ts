/**
 * An `@effect/sql` client over one connection of ours (a better-sqlite3 or
 * node:sqlite database, or a thread's): statements take the connection in
 * turn, and a reserved connection (a transaction) holds it until released.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as Client from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import type { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { Store, type StoreShape } from "./service.ts"
import { beginWith, type DriverShape } from "./driver.ts"

/**
 * A client needs a Reactivity service: a driver makes one and gives it to
 * every client it opens (it only holds invalidation handlers, none of which
 * this project registers) instead of building a Reactivity layer per
 * connection.
 */
const clientOver = (
  connection: Connection,
  service: Reactivity.Reactivity["Type"],
  store: StoreShape
): Effect.Effect<Client.SqlClient> =>
  Effect.gen(function*() {
    const semaphore = yield* Effect.makeSemaphore(1)
    return yield* Client.make({
      acquirer: semaphore.withPermits(1)(Effect.succeed(connection)),
      transactionAcquirer: Effect.as(Effect.acquireRelease(semaphore.take(1), () => semaphore.release(1)), connection),
      compiler: store.compiler,
      spanAttributes: [["db.system.name", store.name]]
    })
  }).pipe(Effect.provideService(Reactivity.Reactivity, service))

/** A driver of the run's store from how it connects: `open` puts a client over a fresh connection. */
export const makeDriver = (
  name: string,
  connect: (filename: string) => Effect.Effect<Connection, SqlError, Scope.Scope>,
  isBusy: (error: SqlError) => boolean,
  rawConnect: DriverShape["rawConnect"]
): Effect.Effect<DriverShape, never, Store> =>
  Effect.flatMap(Store, (store) =>
    Effect.map(Reactivity.make, (service) => ({
      name,
      store,
      connect,
      open: (filename) => Effect.flatMap(connect(filename), (connection) => clientOver(connection, service, store)),
      begin: beginWith(store, isBusy),
      rawConnect
    })))
