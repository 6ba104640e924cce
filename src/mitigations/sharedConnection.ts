/**
 * Mitigation 2, `shared-connection`: replaces the Connections. One
 * connection, opened once per run, shared by all actors: each transaction
 * (and each read) takes it from BEGIN to COMMIT behind a one-permit
 * semaphore, so sharing never changes transaction boundaries, and the time
 * an actor waits for it is queue_wait_ms.
 */
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import { type Connections, connectionsLayer, type Lease, sharedLease } from "../actor/connections.ts"
import { SqliteDriver } from "../sqlite/driver.ts"
import type { StoreError } from "../store/errors.ts"
import { storeError } from "../store/transaction.ts"

export const shared = (dbPath: string): Layer.Layer<Connections | Lease, StoreError, SqliteDriver> =>
  connectionsLayer(
    "shared",
    Effect.gen(function*() {
      const driver = yield* SqliteDriver
      const conn = yield* driver.connect(dbPath).pipe(Effect.mapError(storeError("open shared connection")))
      return Effect.succeed(sharedLease(conn, yield* Effect.makeSemaphore(1)))
    })
  )
