import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { removeTempDirs, tempDb, tempDir } from "./helpers.ts"

describe("test helpers", () => {
  it("remove the temporary folders they made, databases included", () => {
    const dir = tempDir()
    fs.writeFileSync(path.join(dir, "x"), "x")
    const db = tempDb()
    fs.writeFileSync(db, "")
    removeTempDirs()
    expect(fs.existsSync(dir)).toBe(false)
    expect(fs.existsSync(path.dirname(db))).toBe(false)
  })
})
