/** Why a run gave no document: bad input (the command line's exit 2), or a failure (exit 3). */
import * as Data from "effect/Data"

export class BenchError extends Data.TaggedError("BenchError")<{
  readonly kind: "bad-input" | "failure"
  readonly detail: string
}> {
  override get message(): string {
    return this.detail
  }
}

/** Bad input: the user's to fix, named in one line; nothing was run or written. */
export const badInput = (detail: string) => new BenchError({ kind: "bad-input", detail })
