import { describe, expect, it } from "@effect/vitest"
import { HAPPY_PATH } from "../../src/lifecycle/fsm.ts"
import { emptyTrail } from "../../src/lifecycle/trail.ts"

describe("a file's trail of committed events", () => {
  it("gives the events in order, and the same array to every file that committed the same ones", () => {
    const walk = (events: ReadonlyArray<(typeof HAPPY_PATH)[number]>) => events.reduce((t, e) => t.then(e), emptyTrail)
    const one = walk(HAPPY_PATH)
    const other = walk(HAPPY_PATH)
    expect(one.events).toEqual(HAPPY_PATH)
    expect(other).toBe(one)
    expect(other.events).toBe(one.events)
    expect(emptyTrail.events).toEqual([])
  })

  it("keeps different sequences apart, and its arrays cannot be changed", () => {
    const failed = emptyTrail.then("start_upload").then("fail_upload")
    const retried = failed.then("retry")
    expect(failed.events).toEqual(["start_upload", "fail_upload"])
    expect(retried.events).toEqual(["start_upload", "fail_upload", "retry"])
    expect(emptyTrail.then("start_upload").then("complete_upload").events).toEqual(["start_upload", "complete_upload"])
    expect(Object.isFrozen(retried.events)).toBe(true)
  })
})
