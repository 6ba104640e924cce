/** Saved baselines: kept and read back by name, names checked, a missing one named with what is saved. */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import * as Either from "effect/Either"
import { baselineNameProblem, readBaseline, saveBaseline, savedBaselines } from "../../src/results/baselines.ts"
import { encodeResults } from "../../src/results/files.ts"
import { tempDir } from "../helpers.ts"
import { fakeDocument, fakeRun } from "../verdict/fixtures.ts"

const doc = fakeDocument([fakeRun({ concurrency: 10, profile: "zero", trialElapsed: [1, 1.1, 0.9] })])

describe("baselines", () => {
  const dir = tempDir()

  it("a saved baseline reads back as the same document", () => {
    const folder = path.join(dir, "round-trip", "baselines")
    const saved = saveBaseline(folder, "main", encodeResults(doc))
    expect(saved).toEqual(Either.right(path.join(folder, "main.json")))
    expect(readBaseline(folder, "main")).toEqual(Either.right(doc))
    expect(savedBaselines(folder)).toEqual(["main"])
    // Saved again under the same name: replaced, and no temporary file left beside it.
    saveBaseline(folder, "main", encodeResults({ ...doc, createdAt: "2026-12-01T00:00:00.000Z" }))
    expect(Either.getOrThrow(readBaseline(folder, "main")).createdAt).toBe("2026-12-01T00:00:00.000Z")
    expect(fs.readdirSync(folder)).toEqual(["main.json"])
  })

  it("a name that is no file name, or a path, is refused", () => {
    for (const name of ["../x", "a/b", "", ".hidden", "x.json", "a".repeat(65)]) expect(baselineNameProblem(name)).not.toBeNull()
    for (const name of ["main", "v1.2", "pr-12_after"]) expect(baselineNameProblem(name)).toBeNull()
    expect(Either.isLeft(saveBaseline(path.join(dir, "refused"), "../escape", "{}"))).toBe(true)
    expect(fs.existsSync(path.join(dir, "refused"))).toBe(false)
  })

  it("a missing baseline is named with the ones saved (or how to save one)", () => {
    const folder = path.join(dir, "missing", "baselines")
    expect(readBaseline(folder, "main")).toEqual(Either.left(`no baseline 'main' in ${folder} (none saved: --save-baseline NAME keeps one)`))
    saveBaseline(folder, "a", encodeResults(doc))
    saveBaseline(folder, "b", encodeResults(doc))
    expect(readBaseline(folder, "main")).toEqual(Either.left(`no baseline 'main' in ${folder} (saved: a, b)`))
  })

  it("a file that cannot be written leaves nothing and says why", () => {
    const blocker = path.join(dir, "blocker")
    fs.writeFileSync(blocker, "a file where the folder would be")
    const saved = saveBaseline(path.join(blocker, "baselines"), "main", "{}")
    expect(Either.isLeft(saved)).toBe(true)
    expect(Either.match(saved, { onLeft: (e) => e, onRight: () => "" })).toContain("baseline 'main' not saved in")
  })
})
