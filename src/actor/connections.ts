/**
 * Connection strategy: which connection an actor's database work goes through.
 * The baseline is production's pattern, a connection per file opened and
 * closed in the actor's scope: it is the file's alone, so the file holds it
 * from open to close and never waits for it. Mitigation 2 shares one
 * connection, opened once per run, among all actors: each transaction (and
 * each read) reserves it from BEGIN to COMMIT, so sharing never changes
 * transaction boundaries, and the time an actor waits for it is
 * queue_wait_ms.
 */
import type { Connection } from "@effect/sql/SqlConnection"
import { Context, Effect, Layer, type Scope } from "effect"
import type { StoreError } from "../store/errors.ts"
import { timed } from "../metrics/timing.ts"
import { storeError } from "../store/transaction.ts"
import { SqliteDriver } from "../sqlite/driver.ts"

/** What an actor holds for its file's life: a way to its connection. */
export interface Lease {
  /** Run `use` on the connection once it is this actor's; with the time spent waiting for it. */
  readonly use: <A, E, R>(
    use: (conn: Connection) => Effect.Effect<A, E, R>
  ) => Effect.Effect<{ readonly queueWaitMs: number; readonly value: A }, E | StoreError, R>
}

export interface ConnectionsShape {
  readonly name: string
  /** The lease for one file; released (its connection closed, for a per-file one) when the scope closes. */
  readonly acquire: Effect.Effect<Lease, StoreError, Scope.Scope>
}

export class Connections extends Context.Tag("upload-fsm-bench/Connections")<Connections, ConnectionsShape>() {}

/** The lease on a connection its holder has alone: nothing to wait for. */
const exclusiveLease = (conn: Connection): Lease => ({
  use: (use) => Effect.map(use(conn), (value) => ({ queueWaitMs: 0, value }))
})

/**
 * The lease on a connection shared through `permit`: each use takes the
 * permit (the time it waits is measured), runs, and gives it back, also on
 * failure and interruption.
 */
export const sharedLease = (conn: Connection, permit: Effect.Semaphore): Lease => ({
  use: (use) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(timed(restore(permit.take(1))), ([queueWaitMs]) =>
        restore(use(conn)).pipe(
          Effect.ensuring(permit.release(1)),
          Effect.map((value) => ({ queueWaitMs, value }))
        ))
    )
})

/** A fresh connection for every file, held by it until the actor's scope closes, on failure and interruption too. */
export const perFile = (dbPath: string): Layer.Layer<Connections, never, SqliteDriver> =>
  Layer.effect(
    Connections,
    Effect.map(SqliteDriver, (driver) => ({
      name: "per-file",
      acquire: driver.connect(dbPath).pipe(Effect.mapError(storeError("open connection")), Effect.map(exclusiveLease))
    }))
  )

export const shared = (dbPath: string): Layer.Layer<Connections, StoreError, SqliteDriver> =>
  Layer.scoped(
    Connections,
    Effect.gen(function*() {
      const driver = yield* SqliteDriver
      const conn = yield* driver.connect(dbPath).pipe(Effect.mapError(storeError("open shared connection")))
      const lease = sharedLease(conn, yield* Effect.makeSemaphore(1))
      return { name: "shared", acquire: Effect.succeed(lease) }
    })
  )
