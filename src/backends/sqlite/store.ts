/**
 * The SQLite store (`Store`, `store/service.ts`): its statements in SQLite's
 * SQL (`?` placeholders, `BEGIN IMMEDIATE` to take the write lock at once),
 * and its ways: a database says it is ours with its header's application_id
 * and user_version, a trial starts with the WAL truncated, and `PRAGMA
 * quick_check` is its self-check. Every SQLite driver runs this store.
 */
import type { SqlClient } from "@effect/sql/SqlClient"
import { makeCompilerSqlite } from "@effect/sql/Statement"
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
import { walBytes, walSalt } from "./dbFile.ts"
import { exec, ForeignDatabase, int, rows, withConnection } from "../../store/store.ts"

export const sqliteStatements: Statements = {
  begin: "BEGIN IMMEDIATE",
  commit: "COMMIT",
  rollback: "ROLLBACK",
  readState: `SELECT ${READ_STATE_COLUMNS} FROM files WHERE file_path = ?`,
  insertFile: `INSERT INTO files (${SEEDED_COLUMNS})
    VALUES (?, ?, ?, 'txt', ?, 'text/plain', 'utf-8', 'en', ?, ?, ?, ?, ?, 'library', ?, 'complete', '[]', ?, ?, ?)`,
  clearFiles: "DELETE FROM files",
  readAll: `SELECT ${READ_ALL_COLUMNS} FROM files ORDER BY file_path`,
  batch: "SELECT gemini_state AS state, COUNT(*) AS n, COUNT(intent_type) AS intents FROM files GROUP BY gemini_state",
  transition: transitionTexts(() => "?")
}

/**
 * Create or upgrade the schema. A database with tables but without our
 * application id, or with a schema newer than this code, is refused untouched.
 */
const migrate = (sql: SqlClient): Effect.Effect<void, StoreError | ForeignDatabase> =>
  withConnection(sql, (conn) =>
    Effect.gen(function*() {
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
    }))

/**
 * Checkpoint everything and truncate the WAL, so that every run starts from
 * the same on-disk state; then write one frame (the schema version, rewritten
 * unchanged) so that the fresh log has a header to count restarts from.
 */
const truncateWal = (sql: SqlClient): Effect.Effect<void, StoreError> =>
  withConnection(sql, (conn) =>
    Effect.zipRight(
      rows(conn, "checkpoint", "PRAGMA wal_checkpoint(TRUNCATE)"),
      exec(conn, "start the log", `PRAGMA user_version = ${SCHEMA_VERSION}`)
    ))

/**
 * SQLite's own check of the database's structure (`PRAGMA quick_check`,
 * read only): null when it finds nothing wrong, else what it found first. A
 * database too broken to be read at all answers the same, from its error.
 */
const corruption = (sql: SqlClient): Effect.Effect<string | null> =>
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
    Effect.catchAll((error) => Effect.succeed(String(error.cause instanceof Error ? error.cause.message : error.message)))
  )

/** The SQLite library version the connection runs. */
const version = (sql: SqlClient): Effect.Effect<string, StoreError> =>
  withConnection(sql, (conn) =>
    Effect.map(rows(conn, "sqlite version", "SELECT sqlite_version() AS v"), ([row]) => `SQLite ${String(row?.["v"])}`))

const hasFilesTable = (sql: SqlClient): Effect.Effect<boolean, StoreError> =>
  withConnection(sql, (conn) =>
    Effect.map(
      rows(conn, "read the schema", "SELECT COUNT(*) AS n FROM sqlite_schema WHERE type = 'table' AND name = 'files'"),
      ([row]) => int(row?.["n"]) > 0
    ))

export const sqliteStore: StoreShape = {
  name: "sqlite",
  statements: sqliteStatements,
  compiler: makeCompilerSqlite(),
  migrate,
  resetLog: truncateWal,
  readLog: (path) => Effect.zipWith(walBytes(path), walSalt(path), (bytes, salt) => ({ bytes, salt })),
  corruption,
  version,
  hasFilesTable
}
