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
import * as Either from "effect/Either"
import type * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import type { StoreError } from "../store/errors.ts"
import { timed } from "../metrics/timing.ts"
import { storeError } from "../store/transaction.ts"
import { inlineStatements, SqliteDriver } from "../sqlite/driver.ts"
import { type LaneStep, onConnection } from "../store/lanes.ts"
import { type Lock, makeLock, withLock } from "./lock.ts"

/** What an actor holds for its file's life: a way to its connection. */
export interface LeaseShape {
  /** Run `use` on the connection once it is this actor's; with the time spent waiting for it. */
  readonly use: <A, E, R>(
    use: (conn: Connection) => Effect.Effect<A, E, R>
  ) => Effect.Effect<{ readonly queueWaitMs: number; readonly value: A }, E | StoreError, R>
  /**
   * Run a step of statement work (`store/lanes.ts`) on the connection once it
   * is this actor's, in one synchronous step where its driver answers at once;
   * with the time spent waiting for it.
   */
  readonly step: <A, E>(step: LaneStep<A, E>) => Effect.Effect<{ readonly queueWaitMs: number; readonly value: A }, E | StoreError>
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
  const mine = (fiber: FiberId.Runtime): LeaseShape => {
    const lease = held.get(fiber.id)
    if (lease === undefined) throw new Error("the calling fiber holds no connection lease")
    return lease
  }
  // The caller's lease, found from its fiber: a fiber without one is a bug (a defect).
  const current: LeaseShape = {
    use: (use) => Effect.fiberIdWith((fiber) => Effect.suspend(() => mine(fiber).use(use))),
    step: (step) => Effect.fiberIdWith((fiber) => Effect.suspend(() => mine(fiber).step(step)))
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

/** Run `step` on the running actor's connection, with the time spent waiting for it. */
export const onLeaseStep = <A, E>(step: LaneStep<A, E>) => Effect.flatMap(Lease, (lease) => lease.step(step))

/** The lease on a connection its holder has alone: nothing to wait for. */
const exclusiveLease = (conn: Connection): LeaseShape => ({
  use: (use) => Effect.map(use(conn), (value) => ({ queueWaitMs: 0, value })),
  step: (step) => Effect.map(onConnection(conn, step), (value) => ({ queueWaitMs: 0, value }))
})

/**
 * The lease on a connection shared through `lock`: each use takes the lock
 * (the time it waits is measured), runs, and gives it back, also on failure
 * and interruption. A step on a connection whose driver answers at once
 * takes the lock, runs and gives it back in one synchronous step when nobody
 * holds it (nobody can then be waiting for it): no wait, and no Effect
 * between its statements. When a holder carries on across Effect steps (a
 * driver that answers later, a use, a busy BEGIN's retries), a step waits its
 * turn behind it as any use does.
 */
export const sharedLease = (conn: Connection, lock: Lock = makeLock()): LeaseShape => {
  const inline = inlineStatements(conn)
  const use: LeaseShape["use"] = (use) => withLock(lock, () => use(conn))
  return {
    use,
    step: (step) =>
      inline === undefined ? use((c) => step.later(c)) : Effect.clockWith((clock) => {
        if (!lock.tryAcquire()) return withLock(lock, () => onConnection(conn, step))
        let answer: ReturnType<typeof step.now>
        try {
          answer = step.now(inline, clock)
        } finally {
          lock.release()
        }
        // Not finished (a busy BEGIN): it waits for the lock again, as a use, and carries on.
        return Either.isEither(answer)
          ? Either.map(answer, (value) => ({ queueWaitMs: 0, value }))
          : withLock(lock, (queuedMs) => answer(conn, queuedMs))
      })
  }
}

/**
 * The lease on a pool of shared connections, the free ones in `free`: each
 * use takes one (the time it waits is measured), runs, and puts it back,
 * also on failure and interruption.
 */
export const pooledLease = (free: Queue.Queue<Connection>): LeaseShape => {
  const use: LeaseShape["use"] = (use) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(timed(restore(Queue.take(free))), ([queueWaitMs, conn]) =>
        restore(use(conn)).pipe(
          Effect.ensuring(Queue.offer(free, conn)),
          Effect.map((value) => ({ queueWaitMs, value }))
        ))
    )
  return { use, step: (step) => use((conn) => onConnection(conn, step)) }
}

/** A fresh connection for every file, held by it until the actor's scope closes, on failure and interruption too. */
export const perFile = (dbPath: string): Layer.Layer<Connections | Lease, never, SqliteDriver> =>
  connectionsLayer(
    "per-file",
    Effect.map(SqliteDriver, (driver) =>
      driver.connect(dbPath).pipe(Effect.mapError(storeError("open connection")), Effect.map(exclusiveLease)))
  )
