/** programs/compare.ts as a CI gate: exit 0 without regression, 1 with one, 2 on bad input. */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { bySegment, type TrialSummary } from "../../src/gate/run.ts"
import { tempDir } from "../helpers.ts"

const root = fileURLToPath(new URL("../..", import.meta.url))
const tsx = path.join(root, "node_modules", ".bin", "tsx")

const compare = (...args: ReadonlyArray<string>) => {
  const r = spawnSync(tsx, ["programs/compare.ts", ...args], { cwd: root, encoding: "utf8", timeout: 60_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** A result document with one configuration whose trials have the given elapsed times (P95s scale with them). */
const results = (dir: string, name: string, elapsed: ReadonlyArray<number>, profile = "zero") => {
  const trialResults: Array<Pick<TrialSummary, "elapsedSeconds" | "segments">> = elapsed.map((e) => ({
    elapsedSeconds: e,
    segments: bySegment(() => ({ p50: e, p95: e, p99: e, mean: e, min: e, max: e }))
  }))
  const doc = {
    schemaVersion: 2,
    createdAt: "2026-11-26T00:00:00.000Z",
    environment: { runtime: "node", cpuModel: "cpu", cpuCount: 2, driver: "better-sqlite3" },
    config: { files: 818, seed: 42 },
    runs: [{ concurrency: 10, profile, mitigation: "baseline", trialResults }]
  }
  const file = path.join(dir, name)
  fs.writeFileSync(file, JSON.stringify(doc))
  return file
}

describe("compare.ts", () => {
  const dir = tempDir()
  const base = results(dir, "base.json", [1.0, 1.02, 0.98, 1.01, 0.99])

  it("exits 0 when nothing regressed", () => {
    const same = results(dir, "same.json", [1.01, 0.99, 1.0, 1.02, 0.98])
    const r = compare(base, same)
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("no regression")
    expect(r.stdout).toContain("no significant change")
  })

  it("exits 0 on an improvement", () => {
    const faster = results(dir, "faster.json", [0.5, 0.51, 0.49, 0.5, 0.52])
    const r = compare(base, faster)
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("improved")
  })

  it("exits 1 when a row regressed beyond the noise threshold, and 0 when --noise tolerates it", () => {
    const slower = results(dir, "slower.json", [1.3, 1.32, 1.28, 1.31, 1.29])
    const r = compare(base, slower)
    expect(r.code).toBe(1)
    expect(r.stdout).toContain("regressed")
    expect(compare(base, slower, "--noise", "0.5").code).toBe(0)
  })

  it("exits 2 on unreadable, foreign or mismatched input, with one line on stderr", () => {
    const notJson = path.join(dir, "notes.txt")
    fs.writeFileSync(notJson, "hello")
    const realistic = results(dir, "realistic.json", [1, 1, 1], "realistic")
    for (const [args, mentions] of [
      [[base, path.join(dir, "missing.json")], "cannot read"],
      [[base, notJson], "not JSON"],
      [[base, path.join(dir, "..")], "cannot read"],
      [[base, realistic], "no configuration in common"],
      [[base, base, "--noise", "-1"], "--noise"]
    ] as const) {
      const r = compare(...args)
      expect(r.code).toBe(2)
      expect(r.stderr.trim().split("\n")).toHaveLength(1)
      expect(r.stderr).toContain(mentions)
    }
    const foreign = path.join(dir, "foreign.json")
    fs.writeFileSync(foreign, JSON.stringify({ hello: "world" }))
    const r = compare(base, foreign)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("not an upload-fsm-bench result")
  })
})
