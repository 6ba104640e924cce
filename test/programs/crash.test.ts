/** A bench killed outright (SIGKILL) mid-run, and the batch it left finished by --resume. */
import { spawn as spawnAsync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { tempDir } from "../helpers.ts"
import { cli } from "../cli/inProcess.ts"
import { interrupted, root } from "./spawned.ts"
import pg from "pg"
import { databaseFor } from "../drivers.ts"

/** The batch in `db` per state, read without writing (null until the table exists). */
const statesIn = (db: string): Record<string, number> | null => {
  if (!fs.existsSync(db)) return null
  const conn = new Database(db, { readonly: true, fileMustExist: true })
  try {
    const all = conn.prepare("SELECT gemini_state AS state, COUNT(*) AS n FROM files GROUP BY 1").all() as Array<{ state: string; n: number }>
    return Object.fromEntries(all.map((r) => [r.state, r.n]))
  } catch {
    return null
  } finally {
    conn.close()
  }
}

/**
 * A bench run with `flags` killed outright (SIGKILL: no handler runs) once the batch `statesNow` reads satisfies
 * `when`; the batch it left.
 */
const killedMidRun = (
  flags: ReadonlyArray<string>,
  statesNow: () => Promise<Record<string, number> | null>,
  when: (states: Record<string, number>) => boolean
) =>
  new Promise<Record<string, number>>((resolve, reject) => {
    const child = spawnAsync(process.execPath, [
      "--import", "tsx", "programs/bench.ts", ...flags, "--files", "300", "--concurrency", "10", "--profiles", "realistic",
      "--realistic-delay", "0.05", "--clock", "real", "--trials", "1", "--warmup", "0", "--ladder", "off"
    ], { cwd: root, stdio: "ignore" })
    let reading = false
    const poll = setInterval(() => {
      if (reading) return
      reading = true
      void statesNow().then((states) => {
        reading = false
        if (states !== null && when(states)) child.kill("SIGKILL")
      })
    }, 10)
    const guard = setTimeout(() => {
      clearInterval(poll)
      child.kill("SIGKILL")
      reject(new Error("the batch never reached the state to kill it in"))
    }, 100_000)
    child.on("close", () => {
      clearTimeout(guard)
      clearInterval(poll)
      void statesNow().then((states) => resolve(states ?? {}))
    })
  })

describe("crash and resume", () => {
  const points: ReadonlyArray<readonly [string, (s: Record<string, number>) => boolean]> = [
    ["early: some files mid-upload, most not started", (s) => (s["uploading"] ?? 0) + (s["processing"] ?? 0) > 0 && (s["indexed"] ?? 0) >= 5],
    ["late: most files indexed", (s) => (s["indexed"] ?? 0) >= 200]
  ]
  for (const [name, when] of points) {
    it(`SIGKILL ${name}; a run on the database is then refused, and --resume finishes the batch: every file indexed once, nothing doubled`, async () => {
      const dir = tempDir()
      const db = path.join(dir, "bench.db")
      const left = await killedMidRun(["--db", db, "--driver", "better-sqlite3", "--out", dir], () => Promise.resolve(statesIn(db)), when)
      const unfinished = 300 - (left["indexed"] ?? 0)
      expect(unfinished).toBeGreaterThan(0)
      const run = (...args: ReadonlyArray<string>) =>
        Effect.runPromise(cli("bench", "--db", db, "--files", "300", "--concurrency", "10", "--profiles", "realistic",
          "--realistic-delay", "0.05", "--driver", "better-sqlite3", "--out", dir, ...args))
      // Not wiped: a new run on it is refused (its lock's owner is dead, so the lock is taken over).
      const refused = await run("--ladder", "off")
      expect(refused.code).toBe(2)
      expect(refused.stderr).toContain(`holds a batch of 300 files (${unfinished} not finished)`)
      const resumed = await run("--resume", "--json")
      expect(resumed.code).toBe(0)
      const report = JSON.parse(resumed.stdout)
      expect(report.before.files).toBe(300)
      expect(report.after.byState).toMatchObject({ indexed: 300, untracked: 0, uploading: 0, processing: 0, failed: 0 })
      expect(report.resumedFiles).toBe(unfinished)
      expect(report.integrity).toMatchObject({ ok: true, files: 300, indexed: 300, transitions: 900 })
      // Each row mid-upload had its pending call made again; each untracked one both of its calls.
      const b = report.before.byState
      expect(report.apiCalls).toBe(2 * b.untracked + 2 * b.uploading + b.processing)
      const conn = new Database(db, { readonly: true })
      const rows = conn.prepare("SELECT version, upload_attempt_count AS attempts, intent_type FROM files").all() as Array<Record<string, unknown>>
      conn.close()
      expect(rows.every((r) => r["version"] === 3 && r["attempts"] === 1 && r["intent_type"] === null)).toBe(true)
      expect(fs.existsSync(`${db}.lock`)).toBe(false)
    }, 120_000)
  }
})

describe("an interrupted --resume", () => {
  it("Ctrl-C while resuming: exit 130 and a line saying so and what to do; --resume again finishes the batch", async () => {
    const dir = tempDir()
    const db = path.join(dir, "bench.db")
    const left = await killedMidRun(["--db", db, "--driver", "better-sqlite3", "--out", dir], () => Promise.resolve(statesIn(db)),
      (s) => (s["indexed"] ?? 0) >= 5 && (s["indexed"] ?? 0) < 100)
    const flags = ["--db", db, "--files", "300", "--concurrency", "10", "--profiles", "realistic", "--realistic-delay", "0.05",
      "--clock", "real", "--driver", "better-sqlite3", "--out", dir, "--resume"]
    const stopped = await interrupted(process.execPath, ["--import", "tsx", "programs/bench.ts", ...flags], /^resuming /m, "SIGINT")
    expect(stopped.code).toBe(130)
    expect(stopped.stderr).toContain(`resuming ${db}: ${300 - (left["indexed"] ?? 0)} of 300 files not finished`)
    expect(stopped.stderr).toContain(`interrupted (SIGINT) while resuming ${db}: what it committed stays; --resume again finishes the batch`)
    const again = await Effect.runPromise(cli("bench", ...flags.filter((f) => f !== "real" && f !== "--clock"), "--json"))
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout).integrity).toMatchObject({ ok: true, files: 300, indexed: 300, transitions: 900 })
  }, 120_000)
})

describe("crash and resume on Postgres", () => {
  /** The batch in the database at `url` per state (null until the table exists). */
  const statesAt = async (url: string): Promise<Record<string, number> | null> => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      const { rows } = await client.query<{ state: string; n: string }>("SELECT gemini_state AS state, COUNT(*) AS n FROM files GROUP BY 1")
      return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]))
    } catch {
      return null
    } finally {
      await client.end()
    }
  }

  it("SIGKILL with files mid-upload; the database is then refused as holding a batch, and --resume finishes it: every file indexed once", async () => {
    const dir = tempDir()
    const url = await databaseFor(path.join(dir, "pg"))
    const flags = ["--pg-url", url, "--files", "300", "--concurrency", "10", "--profiles", "realistic", "--realistic-delay", "0.05", "--out", dir]
    const left = await killedMidRun(
      ["--pg-url", url, "--out", dir],
      () => statesAt(url),
      (states) => (states["uploading"] ?? 0) + (states["processing"] ?? 0) > 0 && (states["indexed"] ?? 0) >= 5
    )
    const unfinished = 300 - (left["indexed"] ?? 0)
    expect(unfinished).toBeGreaterThan(0)
    // The killed run's session is gone with it, and so is its advisory lock: the refusal is for the batch.
    const refused = await Effect.runPromise(cli("bench", ...flags, "--ladder", "off"))
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain(`holds a batch of 300 files (${unfinished} not finished)`)
    const resumed = await Effect.runPromise(cli("bench", ...flags, "--resume", "--json"))
    expect(resumed.code).toBe(0)
    const report = JSON.parse(resumed.stdout)
    expect(report.after.byState).toMatchObject({ indexed: 300, untracked: 0, uploading: 0, processing: 0, failed: 0 })
    expect(report.resumedFiles).toBe(unfinished)
    expect(report.integrity).toMatchObject({ ok: true, files: 300, indexed: 300, transitions: 900 })
  }, 120_000)
})
