/** Ctrl-C and SIGTERM on a running bench, as a process: the exit code, the message, what is written and left. */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { tempDir } from "../helpers.ts"
import { removeStaleTemporaryFolders } from "../../src/sqlite/dbFile.ts"
import { interrupted, root } from "./spawned.ts"

/** The worker processes (`--workers`) of the run with this pid that are still there: their argument is its pid. */
const workersOf = (pid: number | undefined) =>
  fs.readdirSync("/proc").filter((entry) => {
    if (!/^\d+$/.test(entry)) return false
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0")
      return argv.some((a) => a.endsWith("workers/child.ts")) && argv.includes(String(pid))
    } catch {
      return false
    }
  })

describe("signals", () => {
  // Zero profile, many trials: without a turn of the event loop the signal waited for the whole run.
  const args = (out: string) => [
    "--import", "tsx", "programs/bench.ts", "--files", "100", "--concurrency", "1,10", "--profiles", "zero",
    "--trials", "8", "--warmup", "0", "--ladder", "off", "--driver", "better-sqlite3", "--out", out
  ]

  it("SIGKILL mid-run leaves its reserved names empty; the next run in the same --out removes them (and keeps its own)", async () => {
    const out = tempDir()
    const killed = await interrupted(process.execPath, args(out), /\[1\/2\] trial 2\/8/, "SIGKILL")
    expect(killed.code).toBeNull()
    const left = fs.readdirSync(out)
    expect(left.filter((n) => n.startsWith(".reserved-"))).toHaveLength(1)
    expect(left.filter((n) => !n.startsWith(".") && fs.statSync(path.join(out, n)).size === 0).length).toBeGreaterThanOrEqual(3)
    const next = spawnSync(process.execPath, [
      "--import", "tsx", "programs/bench.ts", "--files", "5", "--concurrency", "2", "--profiles", "zero", "--trials", "1",
      "--warmup", "0", "--ladder", "off", "--contrast", "off", "--out", out, "--json"
    ], { cwd: root, encoding: "utf8", timeout: 60_000 })
    const doc = JSON.parse(next.stdout)
    expect(fs.readdirSync(out).sort()).toEqual([doc.files.report, doc.files.results, doc.files.summary].sort())
  })

  it("a signal while the HTML report renders: exit 130, the line, the results written without it, and no name of a missing file", async () => {
    const out = tempDir()
    const r = await interrupted(process.execPath, [
      "--import", "tsx", "programs/bench.ts", "--files", "50", "--concurrency", "10", "--profiles", "zero", "--trials", "1",
      "--warmup", "0", "--ladder", "off", "--contrast", "off", "--driver", "better-sqlite3", "--out", out
    ], /^measured; writing the results/m, "SIGINT")
    expect(r.code).toBe(130)
    expect(r.stderr).toMatch(/^interrupted \(SIGINT\) while rendering the HTML report: the results are complete without it/m)
    const results = fs.readdirSync(out).filter((n) => n.startsWith("results-"))
    expect(results).toHaveLength(1)
    const doc = JSON.parse(fs.readFileSync(path.join(out, results[0] ?? ""), "utf8"))
    expect(doc.partial).toBe(false)
    expect(doc.files.report).toBeNull()
    for (const file of Object.values(doc.files)) {
      if (file !== null) expect(fs.existsSync(path.join(out, String(file))), `the document names ${String(file)}`).toBe(true)
    }
    expect(fs.readdirSync(out).filter((n) => n.endsWith(".html") || fs.statSync(path.join(out, n)).size === 0)).toEqual([])
  })

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

  it("Ctrl-C twice, 20 ms apart, on a Postgres run: exit 130, the message, the throwaway server and every file cleaned up", async () => {
    const out = tempDir()
    const r = await interrupted(
      process.execPath,
      [
        "--import", "tsx", "programs/bench.ts", "--store", "postgres", "--files", "200", "--quick", "--profiles", "zero",
        "--trials", "30", "--warmup", "0", "--ladder", "off", "--concurrency", "10", "--out", out
      ],
      /\[1\/1\] trial 1\/30/,
      "SIGINT",
      true,
      20
    )
    expect(r.code).toBe(130)
    expect(r.stderr).toContain("interrupted (SIGINT) before any configuration completed: nothing written")
    expect(r.stderr).toContain("SIGINT again: still cleaning up after SIGINT")
    expect(r.leftBehind).toEqual([])
    expect(fs.readdirSync(out)).toEqual([])
  }, 120_000)

  it("SIGINT while worker processes run a Postgres trial: exit 130, the workers gone, the throwaway server stopped and removed", async () => {
    const out = tempDir()
    const r = await interrupted(
      process.execPath,
      [
        "--import", "tsx", "programs/bench.ts", "--store", "postgres", "--workers", "3", "--files", "600", "--concurrency", "10",
        "--profiles", "zero", "--trials", "30", "--warmup", "0", "--ladder", "off", "--out", out
      ],
      /\[1\/1\] trial 1\/30/,
      "SIGINT"
    )
    expect(r.code).toBe(130)
    expect(r.stderr).toContain("interrupted (SIGINT) before any configuration completed: nothing written")
    expect(r.leftBehind).toEqual([])
    expect(workersOf(r.pid)).toEqual([])
  }, 120_000)
})
