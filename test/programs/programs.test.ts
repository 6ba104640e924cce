/**
 * The programs as processes, as a user starts them: each file in programs/
 * and the package's bin wire the CLI, set the exit code, and write to the
 * right stream. Kept to a few spawns: everything else about the commands is
 * tested in this process (test/cli/).
 */
import { spawn as spawnAsync, spawnSync } from "node:child_process"
import * as os from "node:os"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { tempDir } from "../helpers.ts"
import { cli } from "../cli/inProcess.ts"
import { removeStaleTemporaryFolders } from "../../src/sqlite/dbFile.ts"

const root = fileURLToPath(new URL("../..", import.meta.url))
const tsx = path.join(root, "node_modules", ".bin", "tsx")

const spawn = (command: string, args: ReadonlyArray<string>) => {
  const r = spawnSync(command, [...args], { cwd: root, encoding: "utf8", timeout: 120_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe("programs", () => {
  it("programs/bench.ts: a small run prints only the document on stdout with --json, progress on stderr; exit 1 when INCOMPLETE", () => {
    const out = tempDir()
    const r = spawn(tsx, [
      "programs/bench.ts", "--files", "5", "--concurrency", "2", "--profiles", "zero", "--trials", "1", "--warmup", "0",
      "--ladder", "off", "--out", out, "--json"
    ])
    expect(r.code).toBe(1)
    const doc = JSON.parse(r.stdout)
    expect(doc.gate.verdict).toBe("INCOMPLETE")
    expect(r.stderr).toContain("c=2 zero baseline")
    expect(fs.readdirSync(out).sort()).toEqual([doc.files.report, doc.files.results, doc.files.summary].sort())
  })

  it("programs/bench.ts: bad input exits 2 with one line on stderr and nothing on stdout", () => {
    const out = tempDir()
    const r = spawn(tsx, ["programs/bench.ts", "--concurrency", "0", "--out", out])
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toBe("error: --concurrency: must be at least 1, got 0")
    expect(r.stdout).toBe("")
    expect(fs.readdirSync(out)).toEqual([])
  })

  it("the package's bin lists the commands and runs one; an unknown command exits 2", () => {
    const bin = path.join(root, "bin", "upload-fsm-bench.js")
    const help = spawn(bin, ["--help"])
    expect(help.code).toBe(0)
    for (const command of ["bench", "compare", "clock-check"]) expect(help.stdout).toContain(command)
    const compare = spawn(bin, ["compare", "--help"])
    expect(compare.code).toBe(0)
    expect(compare.stdout).toContain("upload-fsm-bench compare BEFORE.json AFTER.json")
    const unknown = spawn(bin, ["frobnicate"])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("unknown command 'frobnicate'")
  })
})

/**
 * A bench started as `command args`, sent `signal` once its stderr shows
 * `when`; its exit code, stderr, and the temporary folders its pid owned
 * that are still there.
 */
const interrupted = (command: string, args: ReadonlyArray<string>, when: RegExp, signal: NodeJS.Signals, toGroup = false) =>
  new Promise<{ code: number | null; stderr: string; leftBehind: ReadonlyArray<string> }>((resolve, reject) => {
    // toGroup: the child leads its own process group, and the signal goes to all of it, as a terminal's Ctrl-C or a
    // supervisor's stop does (a wrapper such as tsx then also relays it to the program: it arrives twice).
    const child = spawnAsync(command, [...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"], detached: toGroup })
    let stderr = ""
    let sent = false
    const guard = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`no exit after the signal; stderr: ${stderr.slice(-500)}`))
    }, 110_000)
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString()
      if (!sent && when.test(stderr)) {
        sent = true
        if (toGroup && child.pid !== undefined) process.kill(-child.pid, signal)
        else child.kill(signal)
      }
    })
    // A wrapper killed by the signal itself (npx) has no code: the shell's 128 + signal number stands for it.
    child.on("close", (exit, by) => {
      const code = exit ?? (by === "SIGTERM" ? 143 : by === "SIGINT" ? 130 : null)
      clearTimeout(guard)
      const leftBehind = fs.readdirSync(os.tmpdir())
        .filter((n) => n.startsWith("upload-fsm-bench-"))
        .filter((n) => {
          try {
            return fs.readFileSync(path.join(os.tmpdir(), n, "owner.pid"), "utf8").trim() === String(child.pid)
          } catch {
            return false
          }
        })
      resolve({ code, stderr, leftBehind })
    })
  })

describe("signals", () => {
  // Zero profile, many trials: without a turn of the event loop the signal waited for the whole run.
  const args = (out: string) => [
    "--import", "tsx", "programs/bench.ts", "--files", "100", "--concurrency", "1,10", "--profiles", "zero",
    "--trials", "8", "--warmup", "0", "--ladder", "off", "--out", out
  ]

  it("SIGTERM mid-run: exit 143, the completed configuration written as partial results, no temporary folder left", async () => {
    const out = tempDir()
    const r = await interrupted(process.execPath, args(out), /\[2\/2\] trial 1\/8/, "SIGTERM")
    expect(r.code).toBe(143)
    expect(r.stderr).toMatch(/interrupted \(SIGTERM\) after 1 of 2 configurations; partial results/)
    const results = fs.readdirSync(out).filter((n) => n.startsWith("results-"))
    expect(results).toHaveLength(1)
    const doc = JSON.parse(fs.readFileSync(path.join(out, results[0] ?? ""), "utf8"))
    expect(doc).toMatchObject({ partial: true, comparisons: null })
    expect(doc.runs).toHaveLength(1)
    expect(doc.runs[0]).toMatchObject({ concurrency: 1, trials: 8, indexed: 100 })
    // The summary too; no report, no temporary names left.
    expect(fs.readdirSync(out).filter((n) => !n.startsWith("results-")).map((n) => n.replace(/-.*/, ""))).toEqual(["summary"])
    expect(r.leftBehind).toEqual([])
  }, 120_000)

  it("SIGTERM to the process group of `npx tsx programs/bench.ts` (the signal arrives more than once): exit 143, the message, nothing left", async () => {
    const out = tempDir()
    const r = await interrupted("npx", ["tsx", ...args(out).slice(2)], /\[1\/2\] trial 1\/8/, "SIGTERM", true)
    expect(r.code).toBe(143)
    expect(r.stderr).toContain("interrupted (SIGTERM) before any configuration completed: nothing written")
    expect(fs.readdirSync(out)).toEqual([])
  }, 120_000)

  it("SIGINT before any configuration completed: exit 130, one line, nothing written, no temporary folder left", async () => {
    const out = tempDir()
    const r = await interrupted(process.execPath, args(out), /\[1\/2\] trial 1\/8/, "SIGINT")
    expect(r.code).toBe(130)
    expect(r.stderr).toContain("interrupted (SIGINT) before any configuration completed: nothing written")
    // The result names reserved at the start are given back.
    expect(fs.readdirSync(out)).toEqual([])
    expect(r.leftBehind).toEqual([])
  }, 120_000)

  it("a temporary folder whose owner died is removed at the next start; a living owner's is kept", () => {
    const tmp = tempDir()
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid
    const folders = { dead: path.join(tmp, "upload-fsm-bench-dead"), alive: path.join(tmp, "upload-fsm-bench-alive"), foreign: path.join(tmp, "upload-fsm-bench-other") }
    for (const dir of Object.values(folders)) fs.mkdirSync(dir)
    fs.writeFileSync(path.join(folders.dead, "owner.pid"), String(dead))
    fs.writeFileSync(path.join(folders.alive, "owner.pid"), String(process.ppid))
    expect(removeStaleTemporaryFolders(tmp)).toEqual([folders.dead])
    expect(fs.existsSync(folders.dead)).toBe(false)
    expect(fs.existsSync(folders.alive)).toBe(true)
    expect(fs.existsSync(folders.foreign)).toBe(true)
  })
})

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

/** A bench on `db` killed outright (SIGKILL: no handler runs) once its batch satisfies `when`; the batch it left. */
const killedMidRun = (db: string, out: string, when: (states: Record<string, number>) => boolean) =>
  new Promise<Record<string, number>>((resolve, reject) => {
    const child = spawnAsync(process.execPath, [
      "--import", "tsx", "programs/bench.ts", "--db", db, "--files", "300", "--concurrency", "10", "--profiles", "realistic",
      "--realistic-delay", "0.05", "--clock", "real", "--trials", "1", "--warmup", "0", "--ladder", "off",
      "--driver", "better-sqlite3", "--out", out
    ], { cwd: root, stdio: "ignore" })
    const poll = setInterval(() => {
      const states = statesIn(db)
      if (states !== null && when(states)) {
        clearInterval(poll)
        child.kill("SIGKILL")
      }
    }, 10)
    const guard = setTimeout(() => {
      clearInterval(poll)
      child.kill("SIGKILL")
      reject(new Error("the batch never reached the state to kill it in"))
    }, 100_000)
    child.on("close", () => {
      clearTimeout(guard)
      clearInterval(poll)
      resolve(statesIn(db) ?? {})
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
      const left = await killedMidRun(db, dir, when)
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
