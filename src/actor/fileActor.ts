/**
 * One file's actor: hydrate its FSM from the store, then for each of the three
 * happy-path steps dispatch the event, pass the guard and persist the
 * transition, calling the API between steps. Every moment of its life is
 * charged to one segment (see `metrics/segments.ts`).
 */
import type { SqlClient } from "@effect/sql/SqlClient"
import { Clock, Effect, Either, Exit, Scope } from "effect"
import { dispatch, type Event, hydrate, type IllegalTransition, type Machine, Transitions } from "../lifecycle/fsm.ts"
import { UploadApi } from "../api/uploadApi.ts"
import type { OccConflict, StoreError } from "../store/errors.ts"
import { readState, type TransitionColumn } from "../store/store.ts"
import { withConnection } from "../store/transaction.ts"
import { completeSample, emptyMeasured, type FileSample, type Measured } from "../metrics/segments.ts"
import { nanosToMs, timed } from "../metrics/timing.ts"
import { Connections } from "./connections.ts"
import { Guard } from "./guard.ts"
import { Writer } from "./writer.ts"

export interface FileOutcome {
  readonly path: string
  readonly machine: Machine
  /** Transitions this actor saw committed: must equal the row's version. */
  readonly committed: number
  readonly busyEvents: number
  readonly busyWaitMs: number
  readonly sample: FileSample
}

export type ActorError = IllegalTransition | OccConflict | StoreError

const isoNow = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

export const runFile = (path: string): Effect.Effect<FileOutcome, ActorError, Connections | Guard | Writer | UploadApi> =>
  Effect.gen(function*() {
    const connections = yield* Connections
    const guard = yield* Guard
    const writer = yield* Writer
    const api = yield* UploadApi
    const m: Measured = emptyMeasured()
    let committed = 0
    let busyEvents = 0
    let busyWaitMs = 0

    const step = (
      sql: SqlClient,
      machine: Machine,
      event: Event,
      set: ReadonlyArray<readonly [TransitionColumn, string | number | null]>
    ) =>
      Effect.gen(function*() {
        const [dispatchMs, result] = yield* timed(Effect.sync(() => dispatch(machine, event)))
        m.fsm_dispatch_ms += dispatchMs
        const next = yield* Either.match(result, { onLeft: Effect.fail, onRight: Effect.succeed })
        const checked = yield* guard.check(sql, path, machine, event)
        m.queue_wait_ms += checked.queueWaitMs
        m.guard_ms += checked.guardMs
        const written = yield* writer.persist(sql, {
          path,
          event,
          from: Transitions[event].from,
          to: Transitions[event].to,
          expectedVersion: machine.version,
          at: yield* isoNow,
          set,
          countsAttempt: event === "start_upload"
        })
        m.queue_wait_ms += written.queueWaitMs
        m.lock_wait_ms += written.lockWaitMs
        m.write_ms += written.writeMs
        busyEvents += written.busyEvents
        busyWaitMs += written.busyWaitMs
        committed += 1
        return next
      })

    const api$ = <A>(call: Effect.Effect<A>) =>
      Effect.map(timed(call), ([ms, a]) => {
        m.mock_api_ms += ms
        return a
      })

    const lifecycle = (sql: SqlClient) =>
      Effect.gen(function*() {
        const read = yield* withConnection(sql, (conn) => timed(readState(conn, path)))
        m.queue_wait_ms += read.queueWaitMs
        m.hydrate_ms += read.value[0]
        const stored = read.value[1]
        const [hydrateMs, hydrated] = yield* timed(Effect.sync(() => hydrate(stored.state, stored.version)))
        m.fsm_dispatch_ms += hydrateMs

        let machine = yield* step(sql, hydrated, "start_upload", [
          ["intent_type", "upload"],
          ["intent_started_at", yield* isoNow],
          ["intent_api_calls_completed", 0],
          ["error_message", null]
        ])
        const uploaded = yield* api$(api.upload(path))
        machine = yield* step(sql, machine, "complete_upload", [
          ["gemini_file_id", uploaded.fileId],
          ["gemini_file_uri", uploaded.uri],
          ["upload_timestamp", yield* isoNow],
          ["intent_api_calls_completed", 1]
        ])
        const imported = yield* api$(api.importFile(uploaded.fileId))
        return yield* step(sql, machine, "complete_processing", [
          ["gemini_store_doc_id", imported.documentId],
          ["intent_type", null],
          ["intent_api_calls_completed", 2]
        ])
      })

    const start = yield* Clock.currentTimeNanos
    const machine = yield* Effect.acquireUseRelease(
      Scope.make(),
      (scope) =>
        Effect.flatMap(timed(Scope.extend(connections.acquire, scope)), ([connectMs, sql]) => {
          m.connect_ms += connectMs
          return lifecycle(sql)
        }),
      (scope, exit) =>
        Effect.map(timed(Scope.close(scope, Exit.isSuccess(exit) ? Exit.void : exit)), ([closeMs]) => {
          m.connect_ms += closeMs
        })
    )
    m.total_wall_ms = nanosToMs((yield* Clock.currentTimeNanos) - start)
    return { path, machine, committed, busyEvents, busyWaitMs, sample: completeSample(m) }
  })
