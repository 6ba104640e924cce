import { Data } from "effect"
import type { Event, State } from "../lifecycle/fsm.ts"

/** An optimistic-concurrency write (or guard) found the row not at the expected state and version. */
export class OccConflict extends Data.TaggedError("OccConflict")<{
  readonly path: string
  readonly event: Event
  readonly expectedState: State
  readonly expectedVersion: number
}> {
  override get message(): string {
    return `OCC conflict on ${this.path}: '${this.event}' expected state '${this.expectedState}' at version ${this.expectedVersion}`
  }
}

/** A database operation failed for a reason other than an OCC conflict. */
export class StoreError extends Data.TaggedError("StoreError")<{
  readonly operation: string
  readonly detail: string
}> {
  override get message(): string {
    return `${this.operation}: ${this.detail}`
  }
}
