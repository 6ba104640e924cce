import * as Data from "effect/Data"
import * as Schema from "effect/Schema"
import { Events, States } from "../lifecycle/fsm.ts"

/** An optimistic-concurrency write (or guard) found the row not at the expected state and version. */
export class OccConflict extends Schema.TaggedError<OccConflict>()("OccConflict", {
  path: Schema.String,
  event: Schema.Literal(...Events),
  expectedState: Schema.Literal(...States),
  expectedVersion: Schema.Number
}) {
  override get message(): string {
    return `OCC conflict on ${this.path}: '${this.event}' expected state '${this.expectedState}' at version ${this.expectedVersion}`
  }
}

/** A database operation failed for a reason other than an OCC conflict. */
export class StoreError extends Schema.TaggedError<StoreError>()("StoreError", {
  operation: Schema.String,
  detail: Schema.String,
  /**
   * Set when the write lock was not acquired within the lock timeout: the
   * file gave up waiting, a verdict on speed, not on the data.
   */
  lockTimeout: Schema.optional(Schema.Literal(true))
}) {
  override get message(): string {
    return `${this.operation}: ${this.detail}`
  }
}

/** A file that gave up waiting for SQLite's write lock (see `StoreError.lockTimeout`). */
export const isLockTimeout = (error: { readonly _tag: string }): boolean =>
  error instanceof StoreError && error.lockTimeout === true

/** The database holds something that is not this tool's (or a newer schema): never written to. */
export class ForeignDatabase extends Data.TaggedError("ForeignDatabase")<{ readonly detail: string }> {
  override get message(): string {
    return this.detail
  }
}
