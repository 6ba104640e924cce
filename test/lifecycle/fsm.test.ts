import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { dispatch, Events, hydrate, next, States, Transitions } from "../../src/lifecycle/fsm.ts"

const legal: ReadonlyArray<readonly [string, string, string]> = [
  ["untracked", "start_upload", "uploading"],
  ["uploading", "complete_upload", "processing"],
  ["processing", "complete_processing", "indexed"],
  ["uploading", "fail_upload", "failed"],
  ["processing", "fail_processing", "failed"],
  ["indexed", "reset", "untracked"],
  ["failed", "retry", "untracked"],
  ["indexed", "fail_reset", "failed"]
]

describe("lifecycle FSM", () => {
  it("has 5 states and 8 transitions", () => {
    expect(States).toHaveLength(5)
    expect(Object.keys(Transitions)).toHaveLength(8)
  })

  // Every one of the 5 × 8 = 40 (state, event) pairs: the 8 legal ones lead
  // where the table says, the 32 others are a typed IllegalTransition.
  for (const state of States) {
    for (const event of Events) {
      const expected = legal.find(([s, e]) => s === state && e === event)
      it(`${state} × ${event} → ${expected?.[2] ?? "IllegalTransition"}`, () => {
        const result = next(state, event)
        if (expected === undefined) {
          expect(Either.isLeft(result)).toBe(true)
          if (Either.isLeft(result)) {
            expect(result.left._tag).toBe("IllegalTransition")
            expect(result.left.state).toBe(state)
            expect(result.left.event).toBe(event)
          }
        } else {
          expect(result).toEqual(Either.right(expected[2]))
        }
      })
    }
  }

  it("dispatch raises the expected version by one per transition and keeps an illegal one out", () => {
    const m0 = hydrate("untracked", 7)
    const m1 = dispatch(m0, "start_upload")
    expect(m1).toEqual(Either.right({ state: "uploading", version: 8 }))
    expect(Either.isLeft(dispatch(m0, "complete_upload"))).toBe(true)
  })

  it("no state is final: every state has an outgoing transition", () => {
    for (const state of States) {
      expect(Events.some((e) => Either.isRight(next(state, e)))).toBe(true)
    }
  })
})
