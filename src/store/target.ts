/**
 * Where a run's database comes from, whatever the store: a database of the
 * user's (`--db`, `--pg-url`), checked and held for the run before anything
 * is written, or one the run makes for itself (a temporary file, a
 * throwaway server) once every other check has passed. Each store's target
 * is its own (`sqlite/target.ts`, `postgres/target.ts`).
 */
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { Driver } from "./driver.ts"
import type { ForeignDatabase, StoreError } from "./errors.ts"

/** The database the run was given (or one it would make) cannot be used: said in one line, nothing touched. */
export class DatabasePathError extends Data.TaggedError("DatabasePathError")<{ readonly detail: string }> {
  override get message(): string {
    return this.detail
  }
}

/** The database the run would make cannot be had here (no server binaries, a server that would not start): one line. */
export class DatabaseUnavailable extends Data.TaggedError("DatabaseUnavailable")<{ readonly detail: string }> {
  override get message(): string {
    return this.detail
  }
}

/** The database the run measures: where it is, and what the results record as the database. */
export interface Database {
  readonly path: string
  readonly label: string
}

/** The connections each process holds besides its actors' and its pool's: its observer and its batched writer. */
export const PROCESS_CONNECTIONS = 2

/**
 * The connections a run may hold at once: every actor's (a per-file
 * connection each), each process's shared pool, observer and batched writer,
 * and a few of the run's own (its setup, its lock, the floor's).
 */
export const connectionsNeeded = (options: { readonly concurrency: number; readonly workers: number; readonly poolSize: number }): number =>
  options.concurrency + options.workers * (options.poolSize + PROCESS_CONNECTIONS) + 10

/** What a run asks of a target: its database flags, and how many connections it may hold at once. */
export interface TargetRequest {
  /** `--db`: a SQLite file of the user's. */
  readonly db: string | null
  /** `--pg-url`: a PostgreSQL server of the user's. */
  readonly pgUrl: string | null
  /** The most connections the run may hold at once (its concurrency, pools, observers and writers, in every process). */
  readonly connections: number
}

/** Why a target cannot be had: the given database refused, or the one to make unavailable. */
export type TargetError = DatabasePathError | DatabaseUnavailable | StoreError | ForeignDatabase

export interface Target<E = TargetError> {
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
