/**
 * Writer: how a transition reaches the database.
 * - `commit-each` (baseline, production's way): each transition in its own
 *   write transaction (BEGIN IMMEDIATE, OCC UPDATE, COMMIT), committed before
 *   `persist` returns; nothing is held across an API call.
 * - `batched` (mitigation 3): write-behind. A dedicated writer connection
 *   keeps one transaction open; each transition's OCC UPDATE runs in it at
 *   once (a conflict is reported to that actor at once, and changes nothing),
 *   and `persist` returns before the COMMIT, which happens every N applied
 *   transitions and at `flush`. If a COMMIT fails, up to N transitions of up
 *   to N files are lost while their actors believe them persisted: the run's
 *   recovery pass finds and redoes those files.
 * Both keep a ledger of the transitions actually committed per file, which
 * the integrity check holds against each row's version.
 */
import type { Connection } from "@effect/sql/SqlConnection"
import { Context, Effect, Layer } from "effect"
import type { Event } from "../lifecycle/fsm.ts"
import { timed } from "../metrics/timing.ts"
import { SqliteDriver } from "../sqlite/driver.ts"
import { type OccConflict, StoreError } from "../store/errors.ts"
import { applyTransition, type TransitionWrite } from "../store/store.ts"
import { beginImmediate, type LockAcquisition, storeError, writeTransaction } from "../store/transaction.ts"
import type { Lease } from "./connections.ts"

export interface WriteTiming {
  readonly queueWaitMs: number
  readonly lockWaitMs: number
  readonly busyEvents: number
  readonly busyWaitMs: number
  readonly writeMs: number
}

export interface WriterStats {
  readonly commits: number
  readonly failedCommits: number
  /** Transitions applied, reported persisted to their actors, then rolled back with a failed commit. */
  readonly lostTransitions: number
  /** Transitions committed per file path. */
  readonly ledger: ReadonlyMap<string, number>
  /** Transitions committed per event. */
  readonly byEvent: ReadonlyMap<Event, number>
}

export interface WriterShape {
  readonly name: string
  readonly persist: (lease: Lease, write: TransitionWrite) => Effect.Effect<WriteTiming, OccConflict | StoreError>
  /** Commit whatever is pending (a no-op for a writer that commits as it goes). */
  readonly flush: Effect.Effect<void, StoreError>
  readonly stats: Effect.Effect<WriterStats>
}

export class Writer extends Context.Tag("upload-fsm-bench/Writer")<Writer, WriterShape>() {}

const writeTiming = (queueWaitMs: number, lock: LockAcquisition, writeMs: number): WriteTiming => ({
  queueWaitMs,
  lockWaitMs: lock.lockWaitMs,
  busyEvents: lock.busyEvents,
  busyWaitMs: lock.busyWaitMs,
  writeMs
})

const makeLedger = () => {
  const ledger = new Map<string, number>()
  const byEvent = new Map<Event, number>()
  return {
    add: (write: Pick<TransitionWrite, "path" | "event">) => {
      ledger.set(write.path, (ledger.get(write.path) ?? 0) + 1)
      byEvent.set(write.event, (byEvent.get(write.event) ?? 0) + 1)
    },
    snapshot: () => ({ ledger: new Map(ledger), byEvent: new Map(byEvent) })
  }
}

export const commitEach: Layer.Layer<Writer, never, SqliteDriver> = Layer.effect(
  Writer,
  Effect.map(SqliteDriver, (driver) => {
    const { add, snapshot } = makeLedger()
    let commits = 0
    return {
      name: "commit-each",
      persist: (lease, write) =>
        Effect.map(
          lease.use((conn) => writeTransaction(conn, driver, applyTransition(conn, write))),
          ({ queueWaitMs, value: { lock, writeMs } }) => {
            commits += 1
            add(write)
            return writeTiming(queueWaitMs, lock, writeMs)
          }
        ),
      flush: Effect.void,
      stats: Effect.sync(() => ({ commits, failedCommits: 0, lostTransitions: 0, ...snapshot() }))
    }
  })
)

export interface BatchOptions {
  /** Commit after this many applied transitions. */
  readonly batchSize: number
  /** Fault injection: make the k-th batch commit (1-based) fail and roll back. */
  readonly failBatch: number | null
}

const noLock: LockAcquisition = { lockWaitMs: 0, busyEvents: 0, busyWaitMs: 0 }

export const batched = (dbPath: string, options: BatchOptions): Layer.Layer<Writer, StoreError, SqliteDriver> =>
  Layer.scoped(
    Writer,
    Effect.gen(function*() {
      const driver = yield* SqliteDriver
      const client = yield* driver.open(dbPath).pipe(Effect.mapError(storeError("open writer connection")))
      // The writer's connection is its own for the whole run.
      const conn: Connection = yield* client.reserve.pipe(Effect.mapError(storeError("reserve writer connection")))
      const permit = yield* Effect.makeSemaphore(1)
      const { add, snapshot } = makeLedger()
      let pending: Array<TransitionWrite> = []
      let open = false
      let commitNumber = 0
      let commits = 0
      let failedCommits = 0
      let lostTransitions = 0

      const lose = (reason: string) =>
        Effect.gen(function*() {
          const lost = pending
          pending = []
          open = false
          failedCommits += 1
          lostTransitions += lost.length
          // A failed COMMIT may already have rolled back; a second ROLLBACK then has nothing to do.
          yield* Effect.ignore(conn.executeUnprepared("ROLLBACK", [], undefined))
          return yield* new StoreError({ operation: "COMMIT batch", detail: `${reason}; ${lost.length} transitions lost` })
        })

      const commit = Effect.gen(function*() {
        commitNumber += 1
        if (commitNumber === options.failBatch) {
          return yield* lose(`injected failure of batch commit #${commitNumber}`)
        }
        const committed = yield* Effect.either(conn.executeUnprepared("COMMIT", [], undefined))
        if (committed._tag === "Left") return yield* lose(storeError("COMMIT batch")(committed.left).detail)
        for (const write of pending) add(write)
        pending = []
        open = false
        commits += 1
      })

      // Interrupting the run must not leave a half-open batch behind: roll it back.
      yield* Effect.addFinalizer(() => (open ? Effect.ignore(conn.executeUnprepared("ROLLBACK", [], undefined)) : Effect.void))

      const persist = (_lease: Lease, write: TransitionWrite) =>
        Effect.gen(function*() {
          const [queueWaitMs] = yield* timed(permit.take(1))
          return yield* Effect.gen(function*() {
            const lock = open ? noLock : yield* beginImmediate(conn, driver)
            open = true
            const [writeMs] = yield* timed(
              applyTransition(conn, write).pipe(
                Effect.catchTag("StoreError", (e) => lose(e.message)),
                Effect.tap(() => {
                  pending.push(write)
                  return pending.length >= options.batchSize ? commit : Effect.void
                })
              )
            )
            return writeTiming(queueWaitMs, lock, writeMs)
          }).pipe(Effect.uninterruptible, Effect.ensuring(permit.release(1)))
        })

      return {
        name: `batched-${options.batchSize}`,
        persist,
        flush: permit.withPermits(1)(
          Effect.suspend(() =>
            pending.length > 0
              ? commit
              : open
              // Only conflicts since the last commit: nothing to write, but release the write lock.
              ? Effect.zipRight(
                conn.executeUnprepared("COMMIT", [], undefined).pipe(Effect.mapError(storeError("COMMIT batch"))),
                Effect.sync(() => {
                  open = false
                })
              )
              : Effect.void
          )
        ),
        stats: Effect.sync(() => ({ commits, failedCommits, lostTransitions, ...snapshot() }))
      }
    })
  )
