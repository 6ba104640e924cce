import { execFileSync } from "node:child_process"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { environmentNow, withGit } from "../../src/process/environment.ts"

describe("where a result was measured", () => {
  it.effect("the machine's facts at once, the checkout's from git after (this project is a checkout)", () =>
    Effect.gen(function*() {
      const now = environmentNow({ storeVersion: "SQLite 3.x", driver: "better-sqlite3" })
      expect(now).toMatchObject({ storeVersion: "SQLite 3.x", driver: "better-sqlite3", gitCommit: "unknown", gitDirty: null })
      expect(now.cpuCount).toBeGreaterThan(0)
      const full = yield* withGit(now)
      expect(full.gitCommit).toBe(execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim())
      const status = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8" }).trim()
      expect(full.gitDirty).toBe(status.length > 0)
      expect({ ...full, gitCommit: now.gitCommit, gitDirty: now.gitDirty }).toEqual(now)
    }))
})
