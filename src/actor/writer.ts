/**
 * Writer: how a transition reaches the database. The baseline commits each
 * transition in its own write transaction (BEGIN IMMEDIATE, OCC UPDATE,
 * COMMIT) the moment it happens, as production did: nothing is held across an
 * API call.
 */
import type { SqlClient } from "@effect/sql/SqlClient"
import { Context, Effect, Layer } from "effect"
import type { OccConflict, StoreError } from "../store/errors.ts"
import { applyTransition, type TransitionWrite } from "../store/store.ts"
import { withConnection, writeTransaction } from "../store/transaction.ts"
import { SqliteDriver } from "../sqlite/driver.ts"

export interface WriteTiming {
  readonly queueWaitMs: number
  readonly lockWaitMs: number
  readonly busyEvents: number
  readonly busyWaitMs: number
  readonly writeMs: number
}

export interface WriterShape {
  readonly name: string
  readonly persist: (sql: SqlClient, write: TransitionWrite) => Effect.Effect<WriteTiming, OccConflict | StoreError>
}

export class Writer extends Context.Tag("upload-fsm-bench/Writer")<Writer, WriterShape>() {}

export const commitEach: Layer.Layer<Writer, never, SqliteDriver> = Layer.effect(
  Writer,
  Effect.map(SqliteDriver, (driver) => ({
    name: "commit-each",
    persist: (sql, write) =>
      Effect.map(
        withConnection(sql, (conn) => writeTransaction(conn, driver, applyTransition(conn, write))),
        ({ queueWaitMs, value: { lock, writeMs } }) => ({
          queueWaitMs,
          lockWaitMs: lock.lockWaitMs,
          busyEvents: lock.busyEvents,
          busyWaitMs: lock.busyWaitMs,
          writeMs
        })
      )
  }))
)
