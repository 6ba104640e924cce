/**
 * The store as one service: the statements it speaks and the ways it keeps
 * its database (migrations, identity, log, self-check, version). SQLite and
 * Postgres are two implementations (`sqlite/store.ts`, `postgres/store.ts`),
 * each written in its own SQL; a driver is built over one of them
 * (`drivers/define.ts`), and everything above the driver (actors, writers,
 * the floor) takes its statements from here, never spells its own.
 */
import type { SqlClient } from "@effect/sql/SqlClient"
import type { Compiler } from "@effect/sql/Statement"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { Event, State } from "../lifecycle/fsm.ts"
import type { StoreError } from "./errors.ts"
import type { ForeignDatabase } from "./errors.ts"

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
 * Every statement the run sends, in the store's own SQL. The parameters are
 * the same, in the same order, on every store: only their spelling differs.
 */
export interface Statements {
  /**
   * Open a write transaction with the store's write lock taken at once
   * (SQLite: `BEGIN IMMEDIATE`; Postgres has no database-wide write lock: `BEGIN`).
   */
  readonly begin: string
  readonly commit: string
  readonly rollback: string
  /** A file's lifecycle columns: state, version, file id, attempts, round. One parameter: the path. */
  readonly readState: string
  /** One seeded row: 13 parameters (path, hash, filename, size, words, title, author, category, course, metadata, created, modified, scanned). */
  readonly insertFile: string
  /** Empty the table before seeding. */
  readonly clearFiles: string
  /** Every row's lifecycle columns, for the integrity check, by path. */
  readonly readAll: string
  /** Files per state and open intents (`state`, `n`, `intents`). */
  readonly batch: string
  /**
   * The OCC UPDATE of one transition, from the columns it sets (and whether
   * it counts an attempt); parameters: to, version + 1, at, the
   * columns' values, path, from, expected version.
   */
  readonly transition: (write: Pick<TransitionWrite, "event" | "set" | "countsAttempt">) => string
}

export interface StoreShape {
  /** Its backend's name, recorded in results (`config.store`). */
  readonly name: string
  readonly statements: Statements
  /** How an `@effect/sql` client over this store compiles a statement (its placeholders). */
  readonly compiler: Compiler
  /** Create or upgrade the schema; a database that is not ours (or newer) is refused untouched. */
  readonly migrate: (sql: SqlClient) => Effect.Effect<void, StoreError | ForeignDatabase>
  /** Bring the store's log to the same state before every trial (SQLite: truncate the WAL; Postgres: a checkpoint). */
  readonly resetLog: (sql: SqlClient) => Effect.Effect<void, StoreError>
  /**
   * Its log as the run's process sees it now, for the results' WAL record
   * (SQLite: the WAL file's size and its header's salt, which counts the
   * checkpoints that restarted it); a store whose log is not a file of the
   * run's reads 0 bytes and no salt.
   */
  readonly readLog: (path: string) => Effect.Effect<LogReading>
  /** The store's own check of the database's structure: null when it finds nothing wrong, else what it found. */
  readonly corruption: (sql: SqlClient) => Effect.Effect<string | null>
  /** The store's name and version, for the results' environment (`SQLite 3.53.2`, `PostgreSQL 15.18`). */
  readonly version: (sql: SqlClient) => Effect.Effect<string, StoreError>
  /** Whether the database has the files table yet (read only). */
  readonly hasFilesTable: (sql: SqlClient) => Effect.Effect<boolean, StoreError>
}

/** A store's log, read: its size, and a counter of its restarts (null when there is none to read). */
export interface LogReading {
  readonly bytes: number
  readonly salt: number | null
}

export class Store extends Context.Tag("upload-fsm-bench/Store")<Store, StoreShape>() {}

/** A store's one layer. */
export const storeLayer = (store: StoreShape): Layer.Layer<Store> => Layer.succeed(Store, store)

/** The columns every seeded row is inserted with, in `insertFile`'s order (the rest are literals or defaults). */
export const SEEDED_COLUMNS = `file_path, content_hash, filename, file_extension, file_size, mime_type,
  encoding, language, word_count, title, author, category, course, source_dir, metadata_json,
  metadata_quality, tags_json, created_at, modified_at, last_scanned_at`

/** The lifecycle columns the integrity check reads (`readAll`). */
export const READ_ALL_COLUMNS = `file_path, gemini_state, version, gemini_file_id IS NOT NULL AS has_file_id,
  gemini_store_doc_id IS NOT NULL AS has_doc_id, error_message IS NOT NULL AS has_error,
  upload_attempt_count, upload_round`

/** The lifecycle columns a file's state is read from (`readState`). */
export const READ_STATE_COLUMNS = "gemini_state, version, gemini_file_id, upload_attempt_count, upload_round"

/**
 * The OCC UPDATE's text built with a store's placeholder (`param(n)`, n from
 * 1). The text depends only on the columns set, the same for every write of
 * one event, and every transition of every file asks for it: kept per event,
 * and rebuilt for a write whose columns differ from the kept ones.
 */
export const transitionTexts = (param: (n: number) => string): Statements["transition"] => {
  const byEvent = new Map<Event, { readonly columns: ReadonlyArray<TransitionColumn>; readonly counts: boolean; readonly text: string }>()
  return (write) => {
    const kept = byEvent.get(write.event)
    if (
      kept !== undefined && kept.counts === write.countsAttempt && kept.columns.length === write.set.length &&
      kept.columns.every((column, i) => write.set[i]?.[0] === column)
    ) return kept.text
    let n = 0
    const next = () => param(++n)
    const assignments = [
      `gemini_state = ${next()}`,
      `version = ${next()}`,
      `gemini_state_updated_at = ${next()}`,
      ...write.set.map(([column]) => `${column} = ${next()}`),
      ...(write.countsAttempt ? ["upload_attempt_count = upload_attempt_count + 1"] : [])
    ]
    const text = `UPDATE files SET ${assignments.join(", ")} WHERE file_path = ${next()} AND gemini_state = ${next()} AND version = ${next()}`
    byEvent.set(write.event, { columns: write.set.map(([column]) => column), counts: write.countsAttempt, text })
    return text
  }
}

/** A write's OCC UPDATE on `statements`: its text and parameters. Exactly one row changed is success. */
export const transitionStatement = (
  statements: Statements,
  write: TransitionWrite
): { readonly text: string; readonly params: ReadonlyArray<unknown> } => ({
  text: statements.transition(write),
  params: [
    write.to,
    write.expectedVersion + 1,
    write.at,
    ...write.set.map(([, value]) => value),
    write.path,
    write.from,
    write.expectedVersion
  ]
})
