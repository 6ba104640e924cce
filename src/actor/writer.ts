/**
 * Writer: how a transition reaches the database.
 * - `commit-each` (baseline, production's way): each transition in its own
 *   write transaction (BEGIN IMMEDIATE, OCC UPDATE, COMMIT), committed before
 *   `persist` returns; nothing is held across an API call.
 * (Batched, write-behind commits are mitigation 3: `mitigations/batchedWrites.ts`.)
 * Every writer keeps a ledger of the transitions actually committed per file, which
 * the integrity check holds against each row's version.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { Event } from "../lifecycle/fsm.ts"
import { Driver } from "../store/driver.ts"
import type { OccConflict, StoreError } from "../store/errors.ts"
import { transactionStep } from "../store/lanes.ts"
import type { TransitionWrite } from "../store/store.ts"
import type { LockAcquisition } from "../store/transaction.ts"
import type { LeaseShape } from "./connections.ts"

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
  /** Persist one transition; the actor's lease is there for a writer that uses the actor's connection. */
  readonly persist: (lease: LeaseShape, write: TransitionWrite) => Effect.Effect<WriteTiming, OccConflict | StoreError>
  /** Commit whatever is pending (a no-op for a writer that commits as it goes). */
  readonly flush: Effect.Effect<void, StoreError>
  readonly stats: Effect.Effect<WriterStats>
}

export class Writer extends Context.Tag("upload-fsm-bench/Writer")<Writer, WriterShape>() {}

export const writeTiming = (queueWaitMs: number, lock: LockAcquisition, writeMs: number): WriteTiming => ({
  queueWaitMs,
  lockWaitMs: lock.lockWaitMs,
  busyEvents: lock.busyEvents,
  busyWaitMs: lock.busyWaitMs,
  writeMs
})

/** The transitions a writer saw commit, per file and per event. */
export const makeLedger = () => {
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

export const commitEach: Layer.Layer<Writer, never, Driver> = Layer.effect(
  Writer,
  Effect.map(Driver, (driver) => {
    const { add, snapshot } = makeLedger()
    let commits = 0
    return {
      name: "commit-each",
      persist: (lease, write) =>
        Effect.map(
          lease.step(transactionStep(driver, write)),
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
