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
