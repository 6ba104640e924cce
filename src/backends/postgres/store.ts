/**
 * The Postgres store (`Store`, `store/service.ts`): its statements in
 * Postgres's SQL (`$n` placeholders; `BEGIN`, there being no database-wide
 * write lock to take), the same `files` table and migrations as SQLite's
 * (their DDL is valid on both), and its ways: a database says it is ours
 * with a one-row table `upload_fsm_bench` holding the application id and the
 * schema version, where SQLite has its header's application_id and
 * user_version; a trial starts after a CHECKPOINT; TRUNCATE empties the table.
 */
import { makeCompiler } from "@effect/sql-pg/PgClient"
import type { SqlClient } from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import * as Effect from "effect/Effect"
import { APPLICATION_ID } from "../../process/identity.ts"
import type { StoreError } from "../../store/errors.ts"
import { migrations, SCHEMA_VERSION } from "../../store/schema.ts"
import {
  READ_ALL_COLUMNS,
  READ_STATE_COLUMNS,
  SEEDED_COLUMNS,
  type Statements,
  type StoreShape,
  transitionTexts
} from "../../store/service.ts"
import { ForeignDatabase, int, rows, withConnection } from "../../store/store.ts"
import { storeError } from "../../store/transaction.ts"

export const postgresStatements: Statements = {
  begin: "BEGIN",
  commit: "COMMIT",
  rollback: "ROLLBACK",
  readState: `SELECT ${READ_STATE_COLUMNS} FROM files WHERE file_path = $1`,
  insertFile: `INSERT INTO files (${SEEDED_COLUMNS})
    VALUES ($1, $2, $3, 'txt', $4, 'text/plain', 'utf-8', 'en', $5, $6, $7, $8, $9, 'library', $10, 'complete', '[]', $11, $12, $13)`,
  // A fresh table for every trial, where DELETE would leave dead rows for the next one to step over.
  clearFiles: "TRUNCATE files",
  readAll: `SELECT ${READ_ALL_COLUMNS} FROM files ORDER BY file_path`,
  batch: "SELECT gemini_state AS state, COUNT(*) AS n, COUNT(intent_type) AS intents FROM files GROUP BY gemini_state",
  transition: transitionTexts((n) => `$${n}`)
}

/** The table that marks a database as this tool's. */
export const MARKER_TABLE = "upload_fsm_bench"

/** What a database holds, read only: whether it has our marker, its version and application id, how many tables. */
const identity = (conn: Connection) =>
  Effect.gen(function*() {
    const [head] = yield* rows(
      conn,
      "read the database's identity",
      `SELECT to_regclass('${MARKER_TABLE}') IS NOT NULL AS ours,
        (SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()) AS tables`
    )
    if (head?.["ours"] !== true) return { ours: false, tables: int(head?.["tables"]), app: 0, version: 0 } as const
    const [mark] = yield* rows(conn, "read the schema version", `SELECT application_id, schema_version FROM ${MARKER_TABLE}`)
    return { ours: true, tables: int(head["tables"]), app: int(mark?.["application_id"]), version: int(mark?.["schema_version"]) } as const
  })

const migrate = (sql: SqlClient): Effect.Effect<void, StoreError | ForeignDatabase> =>
  Effect.zipRight(
    refuseForeign(sql),
    withConnection(sql, (conn) =>
      Effect.gen(function*() {
        const found = yield* identity(conn)
        const exec = (operation: string, text: string) =>
          conn.executeUnprepared(text, [], undefined).pipe(
            Effect.mapError(storeError(operation)),
            Effect.tapError(() => Effect.ignore(conn.executeUnprepared("ROLLBACK", [], undefined)))
          )
        // One transaction per version, as SQLite's migrations: Postgres's DDL is transactional too.
        for (let v = found.version; v < SCHEMA_VERSION; v++) {
          yield* exec("migrate", "BEGIN")
          if (v === 0) {
            yield* exec("migrate", `CREATE TABLE ${MARKER_TABLE} (application_id INTEGER NOT NULL, schema_version INTEGER NOT NULL)`)
            yield* exec("migrate", `INSERT INTO ${MARKER_TABLE} VALUES (${APPLICATION_ID}, 0)`)
          }
          for (const statement of migrations[v] ?? []) yield* exec(`migration ${v + 1}`, statement)
          yield* exec("migrate", `UPDATE ${MARKER_TABLE} SET schema_version = ${v + 1}`)
          yield* exec("migrate", "COMMIT")
        }
      }))
  )

/**
 * A checkpoint before every trial, so that each starts with its WAL flushed
 * (as SQLite's trials start with an empty WAL). It needs a superuser or the
 * pg_checkpoint role: on a server of the user's (`--pg-url`) without them, it
 * is left out (the seeding's TRUNCATE already gives every trial a fresh
 * table).
 */
const resetLog = (sql: SqlClient): Effect.Effect<void, StoreError> =>
  withConnection(sql, (conn) =>
    conn.executeUnprepared("CHECKPOINT", [], undefined).pipe(
      Effect.asVoid,
      Effect.catchAll((error) =>
        hasCode(error.cause, "42501") ? Effect.void : Effect.fail(storeError("checkpoint")(error))
      )
    ))

const hasCode = (cause: unknown, code: string): boolean =>
  typeof cause === "object" && cause !== null && "code" in cause && cause.code === code

const version = (sql: SqlClient): Effect.Effect<string, StoreError> =>
  withConnection(sql, (conn) =>
    Effect.map(rows(conn, "server version", "SHOW server_version"), ([row]) => `PostgreSQL ${String(row?.["server_version"])}`))

const hasFilesTable = (sql: SqlClient): Effect.Effect<boolean, StoreError> =>
  withConnection(sql, (conn) =>
    Effect.map(rows(conn, "read the schema", "SELECT to_regclass('files') IS NOT NULL AS has"), ([row]) => row?.["has"] === true))

export const postgresStore: StoreShape = {
  name: "postgres",
  statements: postgresStatements,
  compiler: makeCompiler(),
  migrate,
  resetLog,
  // Its write-ahead log is the server's, not a file of the run's.
  readLog: () => Effect.succeed({ bytes: 0, salt: null }),
  // The server keeps its own structure; a damaged one fails the statements that reach it.
  corruption: () => Effect.succeed(null),
  version,
  hasFilesTable
}

/**
 * Refuse a database that is not ours before anything reads or writes it:
 * read only. An empty database, or one this tool created with a schema it
 * knows, passes.
 */
export const refuseForeign = (sql: SqlClient): Effect.Effect<void, StoreError | ForeignDatabase> =>
  withConnection(sql, (conn) =>
    Effect.flatMap(identity(conn), (found) =>
      !found.ours && found.tables > 0
        ? Effect.fail(
          new ForeignDatabase({ detail: `the database is not an upload-fsm-bench database (${found.tables} tables, no ${MARKER_TABLE} table)` })
        )
        : found.ours && found.app !== APPLICATION_ID
        ? Effect.fail(new ForeignDatabase({ detail: `the database's ${MARKER_TABLE} table holds application id ${found.app}, not ours` }))
        : found.version > SCHEMA_VERSION
        ? Effect.fail(
          new ForeignDatabase({ detail: `the database has schema version ${found.version}, newer than this tool's ${SCHEMA_VERSION}` })
        )
        : Effect.void))
