/**
 * Connection strategy: which connection an actor's database work goes through.
 * The baseline is production's pattern, a connection per file opened and
 * closed in the actor's scope: it is the file's alone, so the file holds it
 * from open to close and never waits for it. (Sharing one connection is a
 * mitigation: `mitigations/sharedConnection.ts`.)
 *
 * What an actor holds for its file's life is a lease on its connection. The
 * `Lease` service finds the calling actor's: the guard and the writer ask for
 * it when they use the actor's connection, and a writer with its own
 * connection (batched writes) never does. It is provided once per run with
 * the Connections layer, and knows each actor's lease by the fiber that
 * acquired it (an actor is one fiber): providing a service per file instead
 * copied the fiber's whole context for every file, which cost more harness
 * time per file than all its Lease lookups together (measured in the notes of
 * issue 9).
 */
import type { Connection } from "@effect/sql/SqlConnection"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
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
  /**
   * The lease for one file, held by the calling fiber (and found by `Lease`)
   * until the scope closes; then released (its connection closed, for a
   * per-file one).
   */
  readonly acquire: Effect.Effect<LeaseShape, StoreError, Scope.Scope>
}

export class Connections extends Context.Tag("upload-fsm-bench/Connections")<Connections, ConnectionsShape>() {}

/** The running actor's lease: `use` runs on the connection that the calling fiber acquired and still holds. */
export class Lease extends Context.Tag("upload-fsm-bench/Lease")<Lease, LeaseShape>() {}

/**
 * Leases by the fiber that holds them: `hold` records one for the calling
 * fiber, `current` finds the caller's. A fiber's entry is replaced when it
 * acquires its next lease (a runner fiber may run several files, one after
 * the other), and all of them go with the layer at the end of the run: a
 * finalizer per file to remove its entry cost every file a measurable part
 * of its connect_ms.
 */
const makeLeases = () => {
  const held = new Map<number, LeaseShape>()
  const hold = (lease: LeaseShape): Effect.Effect<LeaseShape> =>
    Effect.fiberIdWith((fiber) =>
      Effect.sync(() => {
        held.set(fiber.id, lease)
        return lease
      })
    )
  const current: LeaseShape = {
    use: (use) =>
      Effect.fiberIdWith((fiber) => {
        const lease = held.get(fiber.id)
        return lease === undefined ? Effect.dieMessage("the calling fiber holds no connection lease") : lease.use(use)
      })
  }
  return { hold, current }
}

/**
 * A Connections layer and the Lease that finds its acquirers' leases, from
 * `lease`: how one file's lease is made (in the actor's scope, released with it).
 */
export const connectionsLayer = <E, R>(
  name: string,
  lease: Effect.Effect<Effect.Effect<LeaseShape, StoreError, Scope.Scope>, E, R>
): Layer.Layer<Connections | Lease, E, Exclude<R, Scope.Scope>> =>
  Layer.scopedContext(
    Effect.map(lease, (make) => {
      const leases = makeLeases()
      return Context.make(Connections, { name, acquire: Effect.flatMap(make, leases.hold) }).pipe(
        Context.add(Lease, leases.current)
      )
    })
  )

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

/**
 * The lease on a pool of shared connections, the free ones in `free`: each
 * use takes one (the time it waits is measured), runs, and puts it back,
 * also on failure and interruption.
 */
export const pooledLease = (free: Queue.Queue<Connection>): LeaseShape => ({
  use: (use) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(timed(restore(Queue.take(free))), ([queueWaitMs, conn]) =>
        restore(use(conn)).pipe(
          Effect.ensuring(Queue.offer(free, conn)),
          Effect.map((value) => ({ queueWaitMs, value }))
        ))
    )
})

/** A fresh connection for every file, held by it until the actor's scope closes, on failure and interruption too. */
export const perFile = (dbPath: string): Layer.Layer<Connections | Lease, never, SqliteDriver> =>
  connectionsLayer(
    "per-file",
    Effect.map(SqliteDriver, (driver) =>
      driver.connect(dbPath).pipe(Effect.mapError(storeError("open connection")), Effect.map(exclusiveLease)))
  )
