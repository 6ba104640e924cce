/**
 * `shared-connection`: replaces the Connections. One
 * connection, opened once per run, shared by all actors: each transaction
 * (and each read) takes it from BEGIN to COMMIT behind a one-permit
 * semaphore, so sharing never changes transaction boundaries, and the time
 * an actor waits for it is queue_wait_ms. With `--pool-size N`, N such
 * connections, each use taking whichever is free: on Postgres, a connection
 * pool; on SQLite, N connections that contend for its write lock.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import { Connections, type LeaseShape, pooledLease, sharedLease } from "../actor/connections.ts"
import { Driver } from "../store/driver.ts"
import type { StoreError } from "../store/errors.ts"
import { storeError } from "../store/transaction.ts"
import { defineMitigation } from "./define.ts"

export const shared = (dbPath: string, poolSize: number = 1): Layer.Layer<Connections, StoreError, Driver> =>
  Layer.scoped(
    Connections,
    Effect.gen(function*() {
      const driver = yield* Driver
      const open = driver.connect(dbPath).pipe(Effect.mapError(storeError("open shared connection")))
      let lease: LeaseShape
      if (poolSize === 1) lease = sharedLease(yield* open)
      else {
        const free = yield* Queue.bounded<Effect.Effect.Success<typeof open>>(poolSize)
        for (let i = 0; i < poolSize; i++) yield* Queue.offer(free, yield* open)
        lease = pooledLease(free)
      }
      // Every file's lease is the same one: nothing to open or close per file.
      return { name: poolSize === 1 ? "shared" : `shared-${poolSize}`, withLease: (use) => use(lease) }
    })
  )

export const sharedConnection = defineMitigation({
  name: "shared-connection",
  short: "shared",
  replaces: "Connections",
  summary: "one connection for all actors, taken per transaction from BEGIN to COMMIT",
  risk: null,
  layer: ({ dbPath, poolSize }) => shared(dbPath, poolSize),
  // The floor runs one file at a time: a pool of N shared connections does the same statements as one.
  floor: () => ({ connection: "shared" })
})
