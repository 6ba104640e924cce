import * as fs from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import type { Scope } from "effect"
import { Driver } from "../../src/store/driver.ts"
import { drivers, stores } from "../drivers.ts"
import { Effect, Either } from "effect"
import { checkDatabasePath } from "../../src/backends/sqlite/dbFile.ts"
import { APPLICATION_ID } from "../../src/process/identity.ts"
import { SCHEMA_VERSION } from "../../src/store/schema.ts"
import { applyTransition, migrate, readAll, readState, type TransitionWrite } from "../../src/store/store.ts"
import { transitionStatement } from "../../src/store/service.ts"
import { postgresStatements } from "../../src/backends/postgres/store.ts"
import { sqliteStatements } from "../../src/backends/sqlite/store.ts"
import { writeTransaction } from "../../src/store/transaction.ts"
import { open, seeded, startUpload, tempDb, withConnection } from "../helpers.ts"

const persist = (sql: Parameters<typeof withConnection>[0], write: TransitionWrite) =>
  Effect.flatMap(Driver, (driver) =>
    withConnection(sql, (conn) => writeTransaction(conn, driver, applyTransition(conn, driver.store.statements, write))))

/** Per store: the tables and indexes a database has, and how its schema version is set behind our back. */
const catalog = (name: string) =>
  name === "postgres"
    ? {
      tables: "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename",
      indexes: "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'files'",
      setVersion: (v: number) => `UPDATE upload_fsm_bench SET schema_version = ${v}`
    }
    : {
      tables: "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name",
      indexes: "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'files'",
      setVersion: (v: number) => `PRAGMA user_version = ${v}`
    }

/** The file's stored state, read with the run's store's statements. */
const readStateOn = (conn: Parameters<typeof readState>[0], path: string) =>
  Effect.flatMap(Driver, (driver) => readState(conn, driver.store.statements, path))

describe.each(stores)("state store on %s", (name, driver) => {
  const inDriver = <A, E>(body: Effect.Effect<A, E, Scope.Scope | Driver>) =>
    Effect.scoped(body).pipe(Effect.provide(driver))

  it.live("seeds N untracked rows at version 0 with the schema's CHECK and index", () =>
    inDriver(Effect.gen(function*() {
      const { sql, paths } = yield* seeded(tempDb(), 25)
      expect(paths).toHaveLength(25)
      const all = yield* readAll(sql)
      expect(all.every((f) => f.state === "untracked" && f.version === 0)).toBe(true)
      const bad = yield* Effect.either(sql.unsafe("UPDATE files SET gemini_state = 'bogus'").raw)
      expect(Either.isLeft(bad)).toBe(true)
      const index = yield* sql.unsafe<{ name: string }>(catalog(name).indexes)
      expect(index.map((r) => r.name)).toContain("idx_files_gemini_state")
    })))

  it.live("an OCC write moves state and version together", () =>
    inDriver(Effect.gen(function*() {
      const { sql, paths } = yield* seeded(tempDb(), 3)
      const path = paths[0] ?? ""
      yield* persist(sql, startUpload(path, 0))
      const after = yield* withConnection(sql, (conn) => readStateOn(conn, path))
      expect(after.value).toMatchObject({ state: "uploading", version: 1 })
      const [row] = yield* readAll(sql)
      expect(row?.attempts).toBe(1)
    })))

  it.live("a stale version is rejected with OccConflict and changes nothing", () =>
    inDriver(Effect.gen(function*() {
      const { sql, paths } = yield* seeded(tempDb(), 3)
      const path = paths[1] ?? ""
      yield* persist(sql, startUpload(path, 0))
      const stale = yield* Effect.flip(persist(sql, startUpload(path, 0)))
      expect(stale._tag).toBe("OccConflict")
      if (stale._tag === "OccConflict") {
        expect(stale.path).toBe(path)
        expect(stale.expectedState).toBe("untracked")
        expect(stale.expectedVersion).toBe(0)
      }
      const after = yield* withConnection(sql, (conn) => readStateOn(conn, path))
      expect(after.value).toMatchObject({ state: "uploading", version: 1 })
      const rows = yield* readAll(sql)
      expect(rows.find((r) => r.path === path)?.attempts).toBe(1)
    })))

  it.live("two actors racing on one file: exactly one wins, the other gets OccConflict, the version rises once", () =>
    inDriver(Effect.gen(function*() {
      const db = tempDb()
      const { paths } = yield* seeded(db, 2)
      const path = paths[0] ?? ""
      const a = yield* open(db)
      const b = yield* open(db)
      // Both hydrate first and see the same (state, version): the lost-update race.
      const seen = yield* Effect.all([a, b].map((sql) => withConnection(sql, (conn) => readStateOn(conn, path))), {
        concurrency: "unbounded"
      })
      expect(seen.map((s) => s.value.version)).toEqual([0, 0])
      const results = yield* Effect.all([a, b].map((sql) => Effect.either(persist(sql, startUpload(path, 0)))), {
        concurrency: "unbounded"
      })
      const wins = results.filter(Either.isRight)
      const losses = results.filter(Either.isLeft)
      expect(wins).toHaveLength(1)
      expect(losses).toHaveLength(1)
      expect(losses[0]?.left._tag).toBe("OccConflict")
      const after = yield* withConnection(a, (conn) => readStateOn(conn, path))
      expect(after.value).toMatchObject({ state: "uploading", version: 1 })
    })))

  it.live("a foreign database is refused by the migration and left unchanged", () =>
    inDriver(Effect.gen(function*() {
      const db = tempDb()
      const other = yield* open(db)
      yield* other.unsafe("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)").raw
      const result = yield* Effect.flip(migrate(other))
      expect(result._tag).toBe("ForeignDatabase")
      const tables = yield* other.unsafe<{ name: string }>(catalog(name).tables)
      expect(tables.map((t) => t.name)).toEqual(["notes"])
    })))

  it.live("a database with a newer schema than ours is refused", () =>
    inDriver(Effect.gen(function*() {
      const db = tempDb()
      const { sql } = yield* seeded(db, 1)
      yield* sql.unsafe(catalog(name).setVersion(99)).raw
      const refused = yield* Effect.flip(migrate(sql))
      expect(refused._tag).toBe("ForeignDatabase")
      expect(refused.message).toContain("schema version 99")
    })))
})

describe.each(drivers)("the SQLite file on %s", (_name, driver) => {
  const inDriver = <A, E>(body: Effect.Effect<A, E, Scope.Scope | Driver>) =>
    Effect.scoped(body).pipe(Effect.provide(driver))

  it.live("the file check refuses a non-SQLite file and a foreign SQLite file, and accepts ours", () =>
    inDriver(Effect.gen(function*() {
      const text = tempDb()
      fs.writeFileSync(text, "precious notes\n".repeat(20))
      const refusedText = yield* Effect.flip(checkDatabasePath(text, SCHEMA_VERSION))
      expect(refusedText.message).toContain("not an SQLite database")
      expect(fs.readFileSync(text, "utf8")).toBe("precious notes\n".repeat(20))

      const foreign = tempDb()
      yield* Effect.scoped(Effect.flatMap(open(foreign), (sql) => sql.unsafe("CREATE TABLE t (x)").raw))
      const refusedForeign = yield* Effect.flip(checkDatabasePath(foreign, SCHEMA_VERSION))
      expect(refusedForeign.message).toContain("not created by upload-fsm-bench")

      const ours = tempDb()
      yield* Effect.scoped(seeded(ours, 2))
      expect(fs.readFileSync(ours).readUInt32BE(68)).toBe(APPLICATION_ID)
      yield* checkDatabasePath(ours, SCHEMA_VERSION)
    })))
})

describe("the transition's UPDATE text", () => {
  const write = (set: TransitionWrite["set"]): TransitionWrite => ({
    path: "library/00001.txt",
    event: "complete_upload",
    from: "uploading",
    to: "processing",
    expectedVersion: 1,
    at: "2026-01-01T00:00:00.000Z",
    set,
    countsAttempt: false
  })
  it("sets exactly the write's columns, also when a write of the same event sets others than the last one", () => {
    const first = transitionStatement(sqliteStatements, write([["gemini_file_id", "f"], ["gemini_file_uri", "u"]]))
    expect(first.text).toBe(
      "UPDATE files SET gemini_state = ?, version = ?, gemini_state_updated_at = ?, gemini_file_id = ?, gemini_file_uri = ? " +
        "WHERE file_path = ? AND gemini_state = ? AND version = ?"
    )
    expect(first.params).toEqual(["processing", 2, "2026-01-01T00:00:00.000Z", "f", "u", "library/00001.txt", "uploading", 1])
    const other = transitionStatement(sqliteStatements, write([["error_message", "x"]]))
    expect(other.text).toContain("error_message = ?")
    expect(other.text).not.toContain("gemini_file_id")
    expect(transitionStatement(sqliteStatements, write([["gemini_file_id", "g"], ["gemini_file_uri", "v"]])).text).toBe(first.text)
  })

  it("is written in each store's own SQL: Postgres numbers its parameters, in the same order", () => {
    const sqlite = transitionStatement(sqliteStatements, write([["gemini_file_id", "f"]]))
    const postgres = transitionStatement(postgresStatements, write([["gemini_file_id", "f"]]))
    expect(postgres.text).toBe(
      "UPDATE files SET gemini_state = $1, version = $2, gemini_state_updated_at = $3, gemini_file_id = $4 " +
        "WHERE file_path = $5 AND gemini_state = $6 AND version = $7"
    )
    expect(postgres.params).toEqual(sqlite.params)
    expect(postgres.text).not.toContain("?")
    expect(sqliteStatements.begin).toBe("BEGIN IMMEDIATE")
    expect(postgresStatements.begin).toBe("BEGIN")
  })
})
