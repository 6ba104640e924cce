/**
 * Where a run's database comes from, whatever the store: a database of the
 * user's (`--db`, `--pg-url`), checked and held for the run before anything
 * is written, or one the run makes for itself (a temporary file, a
 * throwaway server) once every other check has passed. Each store's target
 * is its own (`sqlite/target.ts`, `postgres/target.ts`).
 */
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { Driver } from "../drivers/driver.ts"

/** The database the run measures: where it is, and what the results record as the database. */
export interface Database {
  readonly path: string
  readonly label: string
}

export interface Target<E> {
  /**
   * The database of the user's that the run was given, checked and held; null
   * for one the run makes. `empty`: it holds nothing yet (a new or empty
   * SQLite file), so it is not opened to look for a batch.
   */
  readonly given: (Database & { readonly flag: string; readonly empty: boolean }) | null
  /** How the flag names this database in a message (`--db PATH`, `--pg-url URL` with its password redacted). */
  readonly named: string
  /** The run's database, for the scope: the given one, or one made now. */
  readonly open: Effect.Effect<Database, E, Scope.Scope | Driver>
}
