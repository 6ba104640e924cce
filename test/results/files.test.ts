import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { reserveNames } from "../../src/results/files.ts"
import { tempDir } from "../helpers.ts"

const names = (s: string) => [`results-${s}.json`, `summary-${s}.md`]
const createdAt = "2026-11-27T10:00:00.123Z"

describe("result file names", () => {
  it.effect("are reserved at the start: two runs of the same second get different names, nothing is overwritten", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const [first, second] = yield* Effect.scoped(
        Effect.gen(function*() {
          const a = yield* reserveNames(dir, createdAt, names)
          const b = yield* reserveNames(dir, createdAt, names)
          // Both sets exist from the start, empty, each with its owner's pid beside it.
          expect(fs.readdirSync(dir).sort()).toEqual(
            [...names(a.suffix), ...names(b.suffix), `.reserved-${a.suffix}.pid`, `.reserved-${b.suffix}.pid`].sort()
          )
          expect(fs.readFileSync(path.join(dir, `.reserved-${a.suffix}.pid`), "utf8")).toBe(String(process.pid))
          yield* a.fill(`results-${a.suffix}.json`, "{}\n")
          yield* b.fill(`summary-${b.suffix}.md`, "# b\n")
          return [a.suffix, b.suffix] as const
        })
      )
      expect(first).toBe("20261127-100000")
      expect(second).toBe("20261127-100000-2")
      // The names a run did not fill are gone with its scope; what it wrote stays, and no temp file is left.
      expect(fs.readdirSync(dir).sort()).toEqual([`results-${first}.json`, `summary-${second}.md`])
      expect(fs.readFileSync(path.join(dir, `results-${first}.json`), "utf8")).toBe("{}\n")
    }))

  it.effect("skip a name someone else already holds, and refuse to fill a name they did not reserve", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      fs.writeFileSync(path.join(dir, "summary-20261127-100000.md"), "keep me")
      const outcome = yield* Effect.scoped(
        Effect.gen(function*() {
          const r = yield* reserveNames(dir, createdAt, names)
          return { suffix: r.suffix, foreign: yield* Effect.flip(r.fill("summary-20261127-100000.md", "x")) }
        })
      )
      expect(outcome.suffix).toBe("20261127-100000-2")
      expect(outcome.foreign.message).toContain("was not reserved")
      expect(fs.readFileSync(path.join(dir, "summary-20261127-100000.md"), "utf8")).toBe("keep me")
    }))
})
