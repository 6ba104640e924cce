/**
 * The state store's SQL: migrations, seeding, hydration, the OCC transition
 * write and the read-back used by the integrity check. Every function takes
 * the connection to use; which connection that is (one per file, one shared)
 * is the actor's connection strategy, not the store's business.
 */
import type { SqlClient } from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { seededRandom } from "../random.ts"
import { type Event, isState, type Machine, type State, States, Transitions } from "../lifecycle/fsm.ts"
import { OccConflict, StoreError } from "./errors.ts"
import { APPLICATION_ID } from "../identity.ts"
import { migrations, SCHEMA_VERSION } from "./schema.ts"
import { storeError } from "./transaction.ts"
import { changesOf, type Dialect, SqliteDriver } from "../sqlite/driver.ts"

/** The database holds something that is not this tool's (or a newer schema): never written to. */
export class ForeignDatabase extends Data.TaggedError("ForeignDatabase")<{ readonly detail: string }> {
  override get message(): string {
    return this.detail
  }
}

/** A reading statement's rows on `conn`, its failure a StoreError naming `operation`. */
export const rows = (conn: Connection, operation: string, text: string, params: ReadonlyArray<unknown> = []) =>
  conn.execute(text, params, undefined).pipe(
    Effect.map((r): ReadonlyArray<Record<string, unknown>> => r),
    Effect.mapError(storeError(operation))
  )

const exec = (conn: Connection, operation: string, text: string, params: ReadonlyArray<unknown> = []) =>
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

/** Create or upgrade the schema, as the run's store does it (`Dialect.migrate`). */
export const migrate = (sql: SqlClient): Effect.Effect<void, StoreError | ForeignDatabase, SqliteDriver> =>
  Effect.flatMap(SqliteDriver, (driver) => driver.dialect.migrate(sql))

/** Bring the store's log to the same state before a trial (`Dialect.resetLog`). */
export const resetLog = (sql: SqlClient): Effect.Effect<void, StoreError, SqliteDriver> =>
  Effect.flatMap(SqliteDriver, (driver) => driver.dialect.resetLog(sql))

/** The store's own check of the database (`Dialect.corruption`): null when it finds nothing wrong. */
export const corruption = (sql: SqlClient): Effect.Effect<string | null, never, SqliteDriver> =>
  Effect.flatMap(SqliteDriver, (driver) => driver.dialect.corruption(sql))

/** The store's name and version (`Dialect.version`). */
export const storeVersion = (sql: SqlClient): Effect.Effect<string, StoreError, SqliteDriver> =>
  Effect.flatMap(SqliteDriver, (driver) => driver.dialect.version(sql))

/** Whether the database has the files table yet, read only (`Dialect.hasFilesTable`). */
export const hasFilesTable = (sql: SqlClient): Effect.Effect<boolean, StoreError, SqliteDriver> =>
  Effect.flatMap(SqliteDriver, (driver) => driver.dialect.hasFilesTable(sql))

/**
 * Create or upgrade the schema. A database with tables but without our
 * application id, or with a schema newer than this code, is refused untouched.
 */
const migrateSqlite = (sql: SqlClient): Effect.Effect<void, StoreError | ForeignDatabase> =>
  Effect.scoped(
    Effect.gen(function*() {
      const conn = yield* sql.reserve.pipe(Effect.mapError(storeError("reserve connection")))
      const [header] = yield* rows(
        conn,
        "read schema header",
        "SELECT (SELECT application_id FROM pragma_application_id) AS app, (SELECT user_version FROM pragma_user_version) AS ver, (SELECT COUNT(*) FROM sqlite_schema) AS objects"
      )
      const app = int(header?.["app"])
      const ver = int(header?.["ver"])
      const objects = int(header?.["objects"])
      if (app !== APPLICATION_ID && (app !== 0 || objects > 0)) {
        return yield* new ForeignDatabase({
          detail: `the database is not an upload-fsm-bench database (application_id ${app}, ${objects} schema objects)`
        })
      }
      if (ver > SCHEMA_VERSION) {
        return yield* new ForeignDatabase({
          detail: `the database has schema version ${ver}, newer than this tool's ${SCHEMA_VERSION}`
        })
      }
      for (let v = ver; v < SCHEMA_VERSION; v++) {
        yield* exec(conn, "migrate", "BEGIN IMMEDIATE")
        for (const statement of migrations[v] ?? []) {
          yield* exec(conn, `migration ${v + 1}`, statement).pipe(
            Effect.tapError(() => Effect.ignore(conn.executeUnprepared("ROLLBACK", [], undefined)))
          )
        }
        yield* exec(conn, "migrate", `PRAGMA application_id = ${APPLICATION_ID}`)
        yield* exec(conn, "migrate", `PRAGMA user_version = ${v + 1}`)
        yield* exec(conn, "migrate", "COMMIT")
      }
    })
  )

/** `use` on a client over `dbPath`, opened with the run's driver and closed after. */
export const withDatabase = <A, E, R>(dbPath: string, use: (sql: SqlClient) => Effect.Effect<A, E, R>) =>
  Effect.scoped(
    Effect.flatMap(SqliteDriver, (driver) =>
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
): Effect.Effect<ReadonlyArray<string>, StoreError, SqliteDriver> =>
  Effect.scoped(
    Effect.gen(function*() {
      const { dialect } = yield* SqliteDriver
      const conn = yield* sql.reserve.pipe(Effect.mapError(storeError("reserve connection")))
      const random = seededRandom(options.seed)
      const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo))
      const paths: Array<string> = []
      yield* exec(conn, "seed", "BEGIN IMMEDIATE")
      yield* exec(conn, "seed", dialect.clearFiles)
      const insert = `INSERT INTO files (file_path, content_hash, filename, file_extension, file_size, mime_type,
        encoding, language, word_count, title, author, category, course, source_dir, metadata_json,
        metadata_quality, tags_json, created_at, modified_at, last_scanned_at)
        VALUES (?, ?, ?, 'txt', ?, 'text/plain', 'utf-8', 'en', ?, ?, ?, ?, ?, 'library', ?, 'complete', '[]', ?, ?, ?)`
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
        ]).pipe(Effect.tapError(() => Effect.ignore(conn.executeUnprepared("ROLLBACK", [], undefined))))
        paths.push(path)
      }
      yield* exec(conn, "seed", "COMMIT")
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

/**
 * Checkpoint everything and truncate the WAL, so that every run starts from
 * the same on-disk state; then write one frame (the schema version, rewritten
 * unchanged) so that the fresh log has a header to count restarts from.
 */
const truncateWal = (sql: SqlClient): Effect.Effect<void, StoreError> =>
  Effect.scoped(
    Effect.flatMap(sql.reserve.pipe(Effect.mapError(storeError("reserve connection"))), (conn) =>
      Effect.zipRight(
        rows(conn, "checkpoint", "PRAGMA wal_checkpoint(TRUNCATE)"),
        exec(conn, "start the log", `PRAGMA user_version = ${SCHEMA_VERSION}`)
      ))
  )

/** The statement that reads a file's lifecycle columns (hydration, the reading guard): its one parameter is the path. */
export const READ_STATE_SQL =
  "SELECT gemini_state, version, gemini_file_id, upload_attempt_count, upload_round FROM files WHERE file_path = ?"

/** A row read by READ_STATE_SQL, checked: its stored state, or why it is not one. */
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
export const readState = (conn: Connection, path: string): Effect.Effect<StoredState, StoreError> =>
  Effect.flatMap(rows(conn, "read state", READ_STATE_SQL, [path]), ([row]) => readStateOutcome(path, row))

/** The row read by READ_STATE_SQL as a stored state, or the StoreError saying why it is not one. */
export const readStateOutcome = (path: string, row: Record<string, unknown> | undefined): Either.Either<StoredState, StoreError> => {
  const stored = storedStateOf(path, row)
  return typeof stored === "string" ? Either.left(new StoreError({ operation: "read state", detail: stored })) : Either.right(stored)
}

/** Columns a transition may set besides state, version and the state timestamp. */
export type TransitionColumn =
  | "gemini_file_id"
  | "gemini_file_uri"
  | "upload_timestamp"
  | "gemini_store_doc_id"
  | "intent_type"
  | "intent_started_at"
  | "intent_api_calls_completed"
  | "error_message"
  | "upload_attempt_count"
  | "upload_round"

export interface TransitionWrite {
  readonly path: string
  readonly event: Event
  readonly from: State
  readonly to: State
  /** The version the writer believes the row has; the row ends at expectedVersion + 1. */
  readonly expectedVersion: number
  readonly at: string
  readonly set: ReadonlyArray<readonly [TransitionColumn, string | number | null]>
  /** Count an upload attempt (start_upload does). */
  readonly countsAttempt: boolean
}

/**
 * The optimistic-concurrency write of one transition, inside the caller's
 * transaction. Zero rows changed means the row was not at (from, version):
 * an OccConflict, never ignored.
 */
export const applyTransition = (conn: Connection, write: TransitionWrite): Effect.Effect<void, OccConflict | StoreError> => {
  const { text, params } = transitionStatement(write)
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

/** The OCC UPDATE of one transition: its text and parameters. Exactly one row changed is success. */
export const transitionStatement = (write: TransitionWrite): { readonly text: string; readonly params: ReadonlyArray<unknown> } => {
  return {
    text: transitionText(write),
    params: [
      write.to,
      write.expectedVersion + 1,
      write.at,
      ...write.set.map(([, value]) => value),
      write.path,
      write.from,
      write.expectedVersion
    ]
  }
}

const buildTransitionText = (write: Pick<TransitionWrite, "set" | "countsAttempt">): string => {
  const assignments = [
    "gemini_state = ?",
    "version = ?",
    "gemini_state_updated_at = ?",
    ...write.set.map(([column]) => `${column} = ?`),
    ...(write.countsAttempt ? ["upload_attempt_count = upload_attempt_count + 1"] : [])
  ]
  return `UPDATE files SET ${assignments.join(", ")} WHERE file_path = ? AND gemini_state = ? AND version = ?`
}

// The text depends only on the columns set (the same for every write of one
// event), and every transition of every file builds it: kept per event, and
// rebuilt for a write whose columns differ from the kept ones.
const textByEvent = new Map<Event, { readonly columns: ReadonlyArray<TransitionColumn>; readonly counts: boolean; readonly text: string }>()

const transitionText = (write: TransitionWrite): string => {
  const kept = textByEvent.get(write.event)
  if (
    kept !== undefined && kept.counts === write.countsAttempt && kept.columns.length === write.set.length &&
    kept.columns.every((column, i) => write.set[i]?.[0] === column)
  ) return kept.text
  const text = buildTransitionText(write)
  textByEvent.set(write.event, { columns: write.set.map(([column]) => column), counts: write.countsAttempt, text })
  return text
}

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
export const readAll = (sql: SqlClient): Effect.Effect<ReadonlyArray<StoredFile>, StoreError> =>
  Effect.scoped(
    Effect.flatMap(sql.reserve.pipe(Effect.mapError(storeError("reserve connection"))), (conn) =>
      Effect.map(
        rows(
          conn,
          "read files",
          `SELECT file_path, gemini_state, version, gemini_file_id IS NOT NULL AS has_file_id,
             gemini_store_doc_id IS NOT NULL AS has_doc_id, error_message IS NOT NULL AS has_error,
             upload_attempt_count, upload_round FROM files ORDER BY file_path`
        ),
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

/**
 * SQLite's own check of the database's structure (`PRAGMA quick_check`,
 * read only): null when it finds nothing wrong, else what it found first. A
 * database too broken to be read at all answers the same, from its error.
 */
const corruptionSqlite = (sql: SqlClient): Effect.Effect<string | null> =>
  Effect.scoped(
    Effect.flatMap(sql.reserve, (conn) => conn.executeUnprepared("PRAGMA quick_check", [], undefined))
  ).pipe(
    Effect.map((all) => {
      const found = all.flatMap((row) => Object.values(row).map(String))
      if (found.length === 1 && found[0] === "ok") return null
      // One line for the user: SQLite's findings run over several rows and lines.
      const text = found.join("\n").split("\n").map((line) => line.replace(/\*\*\*.*\*\*\*/, "").trim()).filter((l) => l !== "").join("; ")
      return text.length > 160 ? `${text.slice(0, 159)}…` : text
    }),
    Effect.catchAll((error) =>
      Effect.succeed(String(error.cause instanceof Error ? error.cause.message : error.message))
    )
  )

/** The SQLite library version the connection runs. */
const sqliteVersion = (sql: SqlClient): Effect.Effect<string, StoreError> =>
  Effect.scoped(
    Effect.flatMap(sql.reserve.pipe(Effect.mapError(storeError("reserve connection"))), (conn) =>
      Effect.map(rows(conn, "sqlite version", "SELECT sqlite_version() AS v"), ([row]) => `SQLite ${String(row?.["v"])}`))
  )

/** The batch a database holds: its files per state, and how many have an open write-ahead intent (mid-upload). */
export interface BatchSummary {
  readonly files: number
  readonly byState: Readonly<Record<State, number>>
  readonly openIntents: number
}

export const batchOf = (sql: SqlClient): Effect.Effect<BatchSummary, StoreError> =>
  Effect.scoped(
    Effect.flatMap(sql.reserve.pipe(Effect.mapError(storeError("reserve connection"))), (conn) =>
      Effect.map(
        rows(
          conn,
          "read the batch",
          "SELECT gemini_state AS state, COUNT(*) AS n, COUNT(intent_type) AS intents FROM files GROUP BY gemini_state"
        ),
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

const hasFilesTableSqlite = (sql: SqlClient): Effect.Effect<boolean, StoreError> =>
  Effect.scoped(
    Effect.flatMap(sql.reserve.pipe(Effect.mapError(storeError("reserve connection"))), (conn) =>
      Effect.map(
        rows(conn, "read the schema", "SELECT COUNT(*) AS n FROM sqlite_schema WHERE type = 'table' AND name = 'files'"),
        ([row]) => int(row?.["n"]) > 0
      ))
  )

/** SQLite's ways (every SQLite driver's). */
export const sqliteDialect: Dialect = {
  store: "sqlite",
  migrate: migrateSqlite,
  resetLog: truncateWal,
  corruption: corruptionSqlite,
  version: sqliteVersion,
  hasFilesTable: hasFilesTableSqlite,
  clearFiles: "DELETE FROM files"
}
