/**
 * The run's SQLite database: `--db`'s file (checked, locked for this run,
 * and its structure checked by SQLite itself), or a temporary file made for
 * the run and removed with it.
 */
import * as fs from "node:fs"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { Driver } from "../../store/driver.ts"
import { SCHEMA_VERSION } from "../../store/schema.ts"
import { corruption } from "../../store/store.ts"
import type { Target } from "../../store/target.ts"
import { checkDatabasePath, DatabasePathError, lockDatabase, temporaryDatabase } from "./dbFile.ts"

const sizeOf = (file: string): number => fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0

/**
 * An existing `--db` database of ours, checked by SQLite itself before any
 * run writes to it: a corrupt one is refused (exit 2), not run into an error
 * halfway (exit 3). Opening it changes nothing: ours is in WAL mode already.
 */
const checkStructure = (file: string) =>
  Effect.gen(function*() {
    if (sizeOf(file) === 0) return
    const driver = yield* Driver
    const problem = yield* Effect.scoped(
      Effect.flatMap(driver.open(file), corruption).pipe(
        Effect.catchAll((error) => Effect.succeed(String(error.cause instanceof Error ? error.cause.message : error.message)))
      )
    )
    if (problem !== null) return yield* new DatabasePathError({ detail: `--db ${file}: is corrupt (${problem}); refusing to use it` })
  })

/** `db` (checked and locked for the scope), or a temporary database when it is null. */
export const sqliteTarget = (db: string | null): Effect.Effect<Target, DatabasePathError, Scope.Scope | Driver> =>
  db === null
    ? Effect.succeed({ given: null, named: "--db", open: Effect.map(temporaryDatabase, (path) => ({ path, label: "temporary" })) })
    : Effect.gen(function*() {
      yield* checkDatabasePath(db, SCHEMA_VERSION)
      yield* lockDatabase(db)
      yield* checkStructure(db)
      const database = { path: db, label: db }
      return { given: { ...database, flag: "--db", empty: sizeOf(db) === 0 }, named: `--db ${db}`, open: Effect.succeed(database) }
    })
