/**
 * Connection strategy: which connection an actor's database work goes through.
 * The baseline is production's pattern, a connection per file opened and
 * closed in the actor's scope: it is the file's alone, so the file holds it
 * from open to close and never waits for it. (Sharing one connection is a
 * mitigation: `mitigations/sharedConnection.ts`.)
 *
 * What an actor holds for its file's life is a `Lease`, a service the actor
 * provides to its own steps: the guard and the writer take it from their
 * context when they use the actor's connection, and a writer with its own
 * connection (batched writes) never asks for it.
 */
import type { Connection } from "@effect/sql/SqlConnection"
import { Context, Effect, Layer, type Scope } from "effect"
import type { StoreError } from "../store/errors.ts"
import { timed } from "../metrics/timing.ts"
import { storeError } from "../store/transaction.ts"
import { SqliteDriver } from "../sqlite/driver.ts"

/** What an actor holds for its file's life: a way to its connection. */
export interface LeaseShape {
  /** Run `use` on the connection once it is this actor's; with the time spent waiting for it. */
  readonly use: <A, E, R>(
    use: (conn: Connection) => Effect.Effect<A, E, R>
  ) => Effect.Effect<{ readonly queueWaitMs: number; readonly value: A }, E | StoreError, R>
}

export interface ConnectionsShape {
  readonly name: string
  /** The lease for one file; released (its connection closed, for a per-file one) when the scope closes. */
  readonly acquire: Effect.Effect<LeaseShape, StoreError, Scope.Scope>
}

export class Connections extends Context.Tag("upload-fsm-bench/Connections")<Connections, ConnectionsShape>() {}

/** The running actor's lease, provided by the actor to its steps for the file's life. */
export class Lease extends Context.Tag("upload-fsm-bench/Lease")<Lease, LeaseShape>() {}

/** Run `use` on the running actor's connection, with the time spent waiting for it. */
export const onLease = <A, E, R>(use: (conn: Connection) => Effect.Effect<A, E, R>) =>
  Effect.flatMap(Lease, (lease) => lease.use(use))

/** The lease on a connection its holder has alone: nothing to wait for. */
const exclusiveLease = (conn: Connection): LeaseShape => ({
  use: (use) => Effect.map(use(conn), (value) => ({ queueWaitMs: 0, value }))
})

/**
 * The lease on a connection shared through `permit`: each use takes the
 * permit (the time it waits is measured), runs, and gives it back, also on
 * failure and interruption.
 */
export const sharedLease = (conn: Connection, permit: Effect.Semaphore): LeaseShape => ({
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
