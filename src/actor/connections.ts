/**
 * Connection strategy: which connection an actor's database work goes through.
 * The baseline is production's pattern, a connection per file opened and
 * closed around the file's actor: it is the file's alone, so the file holds
 * it from open to close and never waits for it. (Sharing one connection is a
 * mitigation: `mitigations/sharedConnection.ts`.)
 *
 * What an actor holds for its file's life is a lease on its connection,
 * handed to it by `withLease` and passed by the actor to whatever uses its
 * connection (the guard, the writer); a writer with its own connection
 * (batched writes) ignores it. (A run-wide Lease service that found each
 * actor's lease by its fiber came before: every use cost a service lookup and
 * a fiber-keyed map lookup, and every file a scope, a shared connection's
 * too.)
 */
import type { Connection } from "@effect/sql/SqlConnection"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import type { StoreError } from "../store/errors.ts"
import { timed } from "../metrics/timing.ts"
import { storeError } from "../store/transaction.ts"
import { inlineStatements, Driver } from "../store/driver.ts"
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
   * Run `use` with the lease of one file: for a per-file connection, opened
   * first and closed when `use` ends, however it ends (on interruption too).
   */
  readonly withLease: <A, E, R>(use: (lease: LeaseShape) => Effect.Effect<A, E, R>) => Effect.Effect<A, E | StoreError, R>
}

export class Connections extends Context.Tag("upload-fsm-bench/Connections")<Connections, ConnectionsShape>() {}

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

/** A fresh connection for every file, held by it until its actor ends, on failure and interruption too. */
export const perFile = (dbPath: string): Layer.Layer<Connections, never, Driver> =>
  Layer.effect(
    Connections,
    Effect.map(Driver, (driver) => {
      const open = driver.connect(dbPath).pipe(Effect.mapError(storeError("open connection")))
      return {
        name: "per-file",
        withLease: (use) => Effect.scoped(Effect.flatMap(open, (conn) => use(exclusiveLease(conn))))
      }
    })
  )
