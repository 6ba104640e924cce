import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Driver } from "../../src/store/driver.ts"
import { statementCache } from "../../src/backends/sqlite/statementCache.ts"
import { drivers } from "../drivers.ts"
import { tempDb } from "../helpers.ts"

const counting = (size: number) => {
  const prepared: Array<string> = []
  const get = statementCache((sql) => {
    prepared.push(sql)
    return { sql }
  }, size)
  return { get, prepared }
}

describe("statement cache", () => {
  it("prepares a statement once and answers the same one after", () => {
    const { get, prepared } = counting(3)
    const first = get("SELECT 1")
    expect(get("SELECT 1")).toBe(first)
    expect(prepared).toEqual(["SELECT 1"])
  })

  it("drops the least recently used statement when full; a use counts as recent", () => {
    const { get, prepared } = counting(2)
    get("a")
    get("b")
    get("a") // a is now more recent than b
    get("c") // full: b goes
    get("a")
    get("b")
    expect(prepared).toEqual(["a", "b", "c", "b"])
  })
})

describe.each(drivers)("a connection on %s", (_name, driver) => {
  it.live("answers right through more distinct statements than its cache holds, and again after", () =>
    Effect.scoped(Effect.gen(function*() {
      const conn = yield* Effect.flatMap(Driver, (d) => d.connect(tempDb()))
      const ask = (n: number) => conn.execute(`SELECT ${n} AS n`, [], undefined)
      for (let round = 0; round < 2; round++) {
        for (let n = 0; n < 300; n++) expect(yield* ask(n)).toEqual([{ n }])
      }
    })).pipe(Effect.provide(driver)))
})
