/**
 * The state store's SQL: migrations, seeding, hydration, the OCC transition
 * write and the read-back used by the integrity check. Every function takes
 * the connection to use; which connection that is (one per file, one shared)
 * is the actor's connection strategy, not the store's business.
 */
import type { SqlClient } from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { seededRandom } from "../metrics/random.ts"
import { type Event, isState, type Machine, type State, States, Transitions } from "../lifecycle/fsm.ts"
import { ForeignDatabase, OccConflict, StoreError } from "./errors.ts"
import { storeError } from "./transaction.ts"
import { changesOf, Driver } from "./driver.ts"
import type { LogReading, Statements, TransitionColumn, TransitionWrite } from "./service.ts"
import { transitionStatement } from "./service.ts"

export { ForeignDatabase }
export type { TransitionColumn, TransitionWrite }

/** A reading statement's rows on `conn`, its failure a StoreError naming `operation`. */
export const rows = (conn: Connection, operation: string, text: string, params: ReadonlyArray<unknown> = []) =>
  conn.execute(text, params, undefined).pipe(
    Effect.map((r): ReadonlyArray<Record<string, unknown>> => r),
    Effect.mapError(storeError(operation))
  )

/** A statement run for its effect on `conn`: the rows it changed, its failure a StoreError naming `operation`. */
export const exec = (conn: Connection, operation: string, text: string, params: ReadonlyArray<unknown> = []) =>
  conn.executeRaw(text, params).pipe(Effect.map(changesOf), Effect.mapError(storeError(operation)))

/**
 * A number read back from either store: SQLite gives numbers (or bigints),
 * Postgres gives its 64-bit integers (COUNT, SUM) as strings and its truth
 * values as booleans.
 */
export const int = (value: unknown): number =>
  typeof value === "number"
    ? value
    : typeof value === "bigint"
    ? Number(value)
    : typeof value === "boolean"
    ? (value ? 1 : 0)
    : typeof value === "string" && /^-?\d+$/.test(value)
    ? Number(value)
    : NaN

/** `use` on one of `sql`'s connections, reserved for it alone. */
export const withConnection = <A, E>(sql: SqlClient, use: (conn: Connection) => Effect.Effect<A, E>) =>
  Effect.scoped(Effect.flatMap(sql.reserve.pipe(Effect.mapError(storeError("reserve connection"))), use))

/** Create or upgrade the schema, as the run's store does it (`StoreShape.migrate`). */
export const migrate = (sql: SqlClient): Effect.Effect<void, StoreError | ForeignDatabase, Driver> =>
  Effect.flatMap(Driver, (driver) => driver.store.migrate(sql))

/** The store's log read now (`StoreShape.readLog`). */
export const readLog = (path: string): Effect.Effect<LogReading, never, Driver> =>
  Effect.flatMap(Driver, (driver) => driver.store.readLog(path))

/** Bring the store's log to the same state before a trial (`StoreShape.resetLog`). */
export const resetLog = (sql: SqlClient): Effect.Effect<void, StoreError, Driver> =>
  Effect.flatMap(Driver, (driver) => driver.store.resetLog(sql))

/** The store's own check of the database (`StoreShape.corruption`): null when it finds nothing wrong. */
export const corruption = (sql: SqlClient): Effect.Effect<string | null, never, Driver> =>
  Effect.flatMap(Driver, (driver) => driver.store.corruption(sql))

/** The store's name and version (`StoreShape.version`). */
export const storeVersion = (sql: SqlClient): Effect.Effect<string, StoreError, Driver> =>
  Effect.flatMap(Driver, (driver) => driver.store.version(sql))

/** Whether the database has the files table yet, read only (`StoreShape.hasFilesTable`). */
export const hasFilesTable = (sql: SqlClient): Effect.Effect<boolean, StoreError, Driver> =>
  Effect.flatMap(Driver, (driver) => driver.store.hasFilesTable(sql))

/** `use` on a client over `dbPath`, opened with the run's driver and closed after. */
export const withDatabase = <A, E, R>(dbPath: string, use: (sql: SqlClient) => Effect.Effect<A, E, R>) =>
  Effect.scoped(
    Effect.flatMap(Driver, (driver) =>
      Effect.flatMap(driver.open(dbPath).pipe(Effect.mapError(storeError("open database"))), use))
  )

export const filePath = (index: number): string => `library/${String(index).padStart(5, "0")}.txt`

/**
 * Replace the table's rows with `files` fresh ones (untracked, version 0),
 * descriptive columns filled from `seed`, in one transaction.
 */
export const seedFiles = (
  sql: SqlClient,
  options: { readonly files: number; readonly seed: number }
): Effect.Effect<ReadonlyArray<string>, StoreError, Driver> =>
  Effect.scoped(
    Effect.gen(function*() {
      const { statements } = (yield* Driver).store
      const conn = yield* sql.reserve.pipe(Effect.mapError(storeError("reserve connection")))
      const random = seededRandom(options.seed)
      const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo))
      const paths: Array<string> = []
      yield* exec(conn, "seed", statements.begin)
      yield* exec(conn, "seed", statements.clearFiles)
      const insert = statements.insertFile
      for (let i = 1; i <= options.files; i++) {
        const path = filePath(i)
        const size = between(2_000, 400_000)
        const hash = between(0, 2 ** 31 - 1).toString(16).padStart(8, "0").repeat(8)
        const category = ["course", "book", "lecture", "essay"][i % 4] ?? "course"
        yield* exec(conn, "seed", insert, [
          path,
          hash,
          path.slice("library/".length),
          size,
          Math.round(size / 6),
          `Document ${i}`,
          `Author ${i % 37}`,
          category,
          `Course ${i % 11}`,
          JSON.stringify({ title: `Document ${i}`, category, year: 1950 + (i % 60) }),
          "2026-01-01T00:00:00.000Z",
          "2026-01-01T00:00:00.000Z",
          "2026-01-01T00:00:00.000Z"
        ]).pipe(Effect.tapError(() => Effect.ignore(conn.executeUnprepared(statements.rollback, [], undefined))))
        paths.push(path)
      }
      yield* exec(conn, "seed", statements.commit)
      return paths
    })
  )

export interface StoredState {
  readonly state: State
  readonly version: number
  /** The remote file id recorded by complete_upload (null before it): what a resumed import needs. */
  readonly fileId: string | null
  /** Upload attempts started so far (start_upload transitions persisted). */
  readonly attempts: number
  /** The round of uploads the file is in: 1, or 2 after the reupload scenario reset it. */
  readonly round: number
}

/** A row read by `Statements.readState`, checked: its stored state, or why it is not one. */
export const storedStateOf = (path: string, row: Record<string, unknown> | undefined): StoredState | string => {
  if (row === undefined) return `no row for ${path}`
  const state = row["gemini_state"]
  const version = int(row["version"])
  const fileId = row["gemini_file_id"]
  const attempts = int(row["upload_attempt_count"])
  const round = int(row["upload_round"])
  return isState(state) && Number.isInteger(version) && Number.isInteger(attempts) && Number.isInteger(round) &&
      (fileId === null || typeof fileId === "string")
    ? { state, version, fileId, attempts, round }
    : `corrupt row for ${path}`
}

/** The file's stored state and version (what an FSM is hydrated from, and what a reading guard checks). */
export const readState = (conn: Connection, statements: Statements, path: string): Effect.Effect<StoredState, StoreError> =>
  Effect.flatMap(rows(conn, "read state", statements.readState, [path]), ([row]) => readStateOutcome(path, row))

/** The row read by `Statements.readState` as a stored state, or the StoreError saying why it is not one. */
export const readStateOutcome = (path: string, row: Record<string, unknown> | undefined): Either.Either<StoredState, StoreError> => {
  const stored = storedStateOf(path, row)
  return typeof stored === "string" ? Either.left(new StoreError({ operation: "read state", detail: stored })) : Either.right(stored)
}

/**
 * The optimistic-concurrency write of one transition, inside the caller's
 * transaction. Zero rows changed means the row was not at (from, version):
 * an OccConflict, never ignored.
 */
export const applyTransition = (
  conn: Connection,
  statements: Statements,
  write: TransitionWrite
): Effect.Effect<void, OccConflict | StoreError> => {
  const { text, params } = transitionStatement(statements, write)
  return Effect.flatMap(exec(conn, `UPDATE (${write.event})`, text, params), (changed) => transitionOutcome(write, changed))
}

/** What `changed` rows mean for a transition's OCC UPDATE: one is success, none a conflict, more a broken table. */
export const transitionOutcome = (write: TransitionWrite, changed: number): Either.Either<void, OccConflict | StoreError> =>
  changed === 1
    ? Either.void
    : changed === 0
    ? Either.left(
      new OccConflict({ path: write.path, event: write.event, expectedState: write.from, expectedVersion: write.expectedVersion })
    )
    : Either.left(new StoreError({ operation: `UPDATE (${write.event})`, detail: `${changed} rows changed` }))

/** What a transition brings besides its state, version and time: the API's answers, an error. */
export interface TransitionValues {
  readonly now: string
  readonly fileId?: string
  readonly uri?: string
  readonly documentId?: string
  readonly error?: string
}

/** The columns each event sets (production's transition helpers), from the values it brings. */
export const transitionSet = (
  event: Event,
  values: TransitionValues
): ReadonlyArray<readonly [TransitionColumn, string | number | null]> => {
  switch (event) {
    case "start_upload":
      return [["intent_type", "upload"], ["intent_started_at", values.now], ["intent_api_calls_completed", 0], [
        "error_message",
        null
      ]]
    case "complete_upload":
      return [
        ["gemini_file_id", values.fileId ?? null],
        ["gemini_file_uri", values.uri ?? null],
        ["upload_timestamp", values.now],
        ["intent_api_calls_completed", 1]
      ]
    case "complete_processing":
      return [["gemini_store_doc_id", values.documentId ?? null], ["intent_type", null], ["intent_api_calls_completed", 2]]
    case "fail_upload":
    case "fail_processing":
      return [["error_message", values.error ?? null], ["intent_type", null]]
    case "retry":
      return []
    // A new round is a new upload: its attempts count from zero again.
    case "reset":
      return [["upload_attempt_count", 0], ["upload_round", 2]]
    case "fail_reset":
      return [["upload_attempt_count", 0], ["upload_round", 2], ["error_message", "found broken after indexing"]]
  }
}

/** The write of `event` from `machine`'s state and version, at `values.now`. */
export const transitionWrite = (path: string, machine: Machine, event: Event, values: TransitionValues): TransitionWrite => ({
  path,
  event,
  from: Transitions[event].from,
  to: Transitions[event].to,
  expectedVersion: machine.version,
  at: values.now,
  set: transitionSet(event, values),
  countsAttempt: event === "start_upload"
})

export interface StoredFile {
  readonly path: string
  readonly state: State | "invalid"
  readonly version: number
  readonly hasFileId: boolean
  readonly hasDocId: boolean
  readonly hasError: boolean
  readonly attempts: number
  readonly round: number
}

/** Every row's lifecycle columns, for the integrity check. */
export const readAll = (sql: SqlClient): Effect.Effect<ReadonlyArray<StoredFile>, StoreError, Driver> =>
  Effect.flatMap(Driver, (driver) =>
    withConnection(sql, (conn) =>
      Effect.map(
        rows(conn, "read files", driver.store.statements.readAll),
        (all) =>
          all.map((row) => {
            const state = row["gemini_state"]
            return {
              path: String(row["file_path"]),
              state: isState(state) ? state : "invalid",
              version: int(row["version"]),
              hasFileId: int(row["has_file_id"]) === 1,
              hasDocId: int(row["has_doc_id"]) === 1,
              hasError: int(row["has_error"]) === 1,
              attempts: int(row["upload_attempt_count"]),
              round: int(row["upload_round"])
            } satisfies StoredFile
          })
      ))
  )

/** The batch a database holds: its files per state, and how many have an open write-ahead intent (mid-upload). */
export interface BatchSummary {
  readonly files: number
  readonly byState: Readonly<Record<State, number>>
  readonly openIntents: number
}

export const batchOf = (sql: SqlClient): Effect.Effect<BatchSummary, StoreError, Driver> =>
  Effect.flatMap(Driver, (driver) =>
    withConnection(sql, (conn) =>
      Effect.map(
        rows(conn, "read the batch", driver.store.statements.batch),
        (all) => {
          const byState = Object.fromEntries(States.map((s) => [s, 0])) as Record<State, number>
          let files = 0
          let openIntents = 0
          for (const row of all) {
            const n = int(row["n"])
            files += n
            openIntents += int(row["intents"])
            const state = row["state"]
            if (isState(state)) byState[state] += n
          }
          return { files, byState, openIntents }
        }
      ))
  )

