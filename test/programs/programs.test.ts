/**
 * The programs as processes, as a user starts them: each file in programs/
 * and the package's bin wire the CLI, set the exit code, and write to the
 * right stream. Kept to a few spawns: everything else about the commands is
 * tested in this process (test/cli/). Signals and crashes are in their own
 * files, so that the spawning tests run side by side.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { tempDir } from "../helpers.ts"
import { root, spawn, tsx } from "./spawned.ts"

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

  it("under Deno too, a --db with a second name (a hard link) is refused by either name, exit 2, one line, unopened", () => {
    const dir = tempDir()
    const db = path.join(dir, "ours.db")
    const deno = path.join(root, "node_modules", ".bin", "deno")
    const small = ["--files", "3", "--concurrency", "1", "--profiles", "zero", "--trials", "1", "--warmup", "0", "--ladder", "off"]
    expect(spawn(deno, ["run", "-A", "programs/bench.ts", ...small, "--out", dir, "--db", db]).code).toBe(1)
    const hard = path.join(dir, "hard.db")
    fs.linkSync(db, hard)
    const before = fs.readFileSync(db)
    for (const name of [hard, db]) {
      const r = spawn(deno, ["run", "-A", "programs/bench.ts", ...small, "--out", path.join(dir, "out"), "--db", name, "--fresh"])
      expect(r.code).toBe(2)
      expect(r.stderr.split("\n").filter((l) => l.startsWith("error:"))).toEqual([
        `error: --db ${name}: has 2 hard links; SQLite keeps its WAL and locks by path, so a run on another name of the ` +
        "same file would corrupt it: give a file with one name (copy it)"
      ])
    }
    expect(fs.readFileSync(db).equals(before)).toBe(true)
    expect(fs.existsSync(path.join(dir, "out"))).toBe(false)
  })

  it("--out, or --trace, where nothing can be written (/proc): one line, exit 2, at once; nothing created", () => {
    const dir = tempDir()
    const small = ["--files", "3", "--concurrency", "1", "--profiles", "zero", "--trials", "1", "--warmup", "0", "--ladder", "off"]
    const out = spawn(tsx, ["programs/bench.ts", ...small, "--out", "/proc/upload-fsm-bench-nope/results"])
    expect(out.code).toBe(2)
    expect(out.stderr.trim().split("\n")).toEqual([
      "error: --out /proc/upload-fsm-bench-nope/results: cannot write there (ENOENT: no such file or directory, mkdir '/proc/upload-fsm-bench-nope')"
    ])
    const trace = spawn(tsx, ["programs/bench.ts", ...small, "--out", path.join(dir, "a", "b"), "--trace", "/proc/trace.json"])
    expect(trace.code).toBe(2)
    expect(trace.stderr.trim().split("\n")).toHaveLength(1)
    expect(trace.stderr).toMatch(/^error: --trace \/proc\/trace\.json: /)
    // Refused before the output folder was made: nothing of it is there.
    expect(fs.readdirSync(dir)).toEqual([])
  })

  it("the package's bin lists the commands; an unknown command exits 2", () => {
    const bin = path.join(root, "bin", "upload-fsm-bench.js")
    const help = spawn(bin, ["--help"])
    expect(help.code).toBe(0)
    for (const command of ["bench", "compare", "clock-check"]) expect(help.stdout).toContain(command)
    const unknown = spawn(bin, ["frobnicate"])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("unknown command 'frobnicate'")
  })
})
