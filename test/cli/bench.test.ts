/**
 * The bench command end to end as a user runs it (in this process, through
 * the same entry as programs/bench.ts): exit codes, stderr lines, files
 * written and files left alone. `programs.test.ts` spawns the programs.
 */
import { spawnSync } from "node:child_process"
import Database from "better-sqlite3"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { cli } from "./inProcess.ts"
import { tempDir } from "../helpers.ts"
import { SCHEMA_VERSION } from "../../src/results/schema.ts"

const bench = (...args: ReadonlyArray<string>) => cli("bench", ...args)

const lines = (text: string) => text.split("\n").filter((l) => l.trim() !== "")

describe("bench CLI: bad input exits 2 with one clear line and touches nothing", () => {
  const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>, string]> = [
    ["--concurrency 0", ["--concurrency", "0"], "--concurrency"],
    ["--files -5", ["--files", "-5"], "--files"],
    ["--files 0", ["--files", "0"], "--files"],
    ["--profiles bogus", ["--profiles", "bogus"], "bogus"],
    ["--realistic-delay -1", ["--realistic-delay", "-1"], "--realistic-delay"],
    ["an unknown flag", ["--frobnicate"], "--frobnicate"],
    ["--mitigations faster", ["--mitigations", "faster"], "--mitigations"],
    ["--trials 0", ["--trials", "0"], "--trials"],
    ["--driver node-sqlite on Node 20", ["--driver", "node-sqlite"], "node:sqlite"],
    ["the threaded driver above its concurrency cap", ["--driver", "threaded", "--concurrency", "10,101"], "--concurrency 101: the threaded driver takes at most 100"],
    [
      "the threaded driver's cap counts every worker process's connections",
      ["--driver", "threaded", "--concurrency", "80", "--workers", "8"],
      "--concurrency 80 with --workers 8: the threaded driver takes at most 100 connections across the run's processes, and each worker process beyond the first holds 3 of its own (its pool, observer and writer): at most --concurrency 79 here"
    ],
    ["--fail-batch beyond the last batch", ["--files", "10", "--ladder", "full", "--fail-batch", "4"], "--fail-batch 4: 10 files commit at least 3 batches of 10"],
    ["--baseline a name never saved", ["--baseline", "main"], "--baseline: no baseline 'main' in"],
    ["--save-baseline a path", ["--save-baseline", "../main"], "'../main' is not a baseline name"],
    ["--fail-on a bad rule", ["--fail-on", "elapsed"], "'elapsed' is not a rule: write METRIC:+N%"]
  ]
  for (const [name, args, mentions] of cases) {
    it.live(name, () =>
      Effect.gen(function*() {
        const out = tempDir()
        const r = yield* bench(...args, "--out", out)
        expect(r.code).toBe(2)
        expect(lines(r.stderr)).toHaveLength(1)
        expect(r.stderr).toContain(mentions)
        expect(r.stdout).toBe("")
        expect(fs.readdirSync(out)).toEqual([])
        }))
    }

    it.live("--out on a path that cannot be written", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const blocker = path.join(dir, "a-file")
      fs.writeFileSync(blocker, "keep me")
      const r = yield* bench("--files", "5", "--concurrency", "1", "--profiles", "zero", "--out", path.join(blocker, "results"))
      expect(r.code).toBe(2)
      expect(lines(r.stderr)).toHaveLength(1)
      expect(r.stderr).toContain("--out")
      expect(fs.readFileSync(blocker, "utf8")).toBe("keep me")
      }))

    it.live("--db on a file that is not our database is refused and left byte for byte as it was", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const notes = path.join(dir, "notes.txt")
      fs.writeFileSync(notes, "my notes\n".repeat(50))
      const before = fs.statSync(notes)
      const r = yield* bench("--files", "5", "--concurrency", "1", "--profiles", "zero", "--out", dir, "--db", notes)
      expect(r.code).toBe(2)
      expect(lines(r.stderr)).toHaveLength(1)
      expect(r.stderr).toContain("--db")
      expect(fs.readFileSync(notes, "utf8")).toBe("my notes\n".repeat(50))
      expect(fs.statSync(notes).mtimeMs).toBe(before.mtimeMs)
      expect(fs.readdirSync(dir).sort()).toEqual(["notes.txt"])
      }))
  })

  describe("bench CLI: a small run", () => {
    it.live("--json prints only the result document and writes results, mitigation and summary files; by default the threaded driver, every ladder step in rounds, an inline contrast; path A passes", () =>
    Effect.gen(function*() {
      const out = tempDir()
      const db = path.join(out, "bench.db")
      const args = [
        "--files", "12", "--concurrency", "2,10", "--profiles", "zero,realistic", "--realistic-delay", "0.002",
        "--seed", "7", "--trials", "2", "--warmup", "0", "--out", out, "--db", db, "--json"
      ]
      const r = yield* bench(...args)
      expect(r.code).toBe(0)
      const doc = JSON.parse(r.stdout)
      const names = fs.readdirSync(out).sort()
      const stamp = doc.createdAt.slice(0, 19).replace(/[-:]/g, "").replace("T", "-")
      expect(names.filter((n) => !n.startsWith("bench.db"))).toEqual([
        `report-${stamp}.html`,
        `results-${stamp}.json`,
        `results-mitigation-${stamp}.json`,
        `summary-${stamp}.md`
      ])
      expect(JSON.parse(fs.readFileSync(path.join(out, `results-${stamp}.json`), "utf8"))).toEqual(doc)
      expect(doc.schemaVersion).toBe(SCHEMA_VERSION)
      expect(doc.files).toEqual({
        results: `results-${stamp}.json`,
        mitigation: `results-mitigation-${stamp}.json`,
        summary: `summary-${stamp}.md`,
        report: `report-${stamp}.html`
      })
      expect(doc.environment).toMatchObject({ runtime: "node", driver: "threaded" })
      expect(doc.environment.storeVersion).toMatch(/^SQLite 3\.\d+\.\d+$/)
      expect(doc.environment.cpuCount).toBeGreaterThan(0)
      expect(doc.config).toMatchObject({
        files: 12, seed: 7, concurrency: [2, 10], realisticDelaySeconds: 0.002, db, trials: 2, ladder: "full", contrast: "better-sqlite3"
      })
      expect(doc.runs).toHaveLength(4)
      for (const run of doc.runs) {
        expect(run).toMatchObject({ mitigation: "baseline", indexed: 12, transitions: 36, trials: 2 })
        expect(run.trialResults).toHaveLength(2)
        expect(run.integrity.ok).toBe(true)
        for (const stats of Object.values(run.segments)) {
          expect(Object.keys(stats as object).sort()).toEqual(["max", "mean", "min", "p50", "p95", "p99"])
        }
        expect(run.ci.elapsedSeconds[0]).toBeLessThanOrEqual(run.elapsedSeconds)
        expect(Object.keys(run.wal)).toEqual(expect.arrayContaining(["bytes", "busy", "verdict"]))
        // The storage floor: the same 36 transitions replayed on the raw driver; one floor for every baseline run.
        expect(run.floor).toMatchObject({ transitions: 36 })
        expect(run.floor.runs).toHaveLength(3)
        expect(run.floor.elapsedSeconds).toBe(doc.runs[0].floor.elapsedSeconds)
        expect(run.efficiency).toBeGreaterThan(0)
      }
      for (const step of doc.comparisons.steps) {
        for (const side of [step.before, step.after]) expect(side.floor).toMatchObject({ transitions: 36 })
      }
      expect(doc.thresholds.map((t: { name: string; verdict: string }) => [t.name, t.verdict])).toEqual([
        ["Threshold 1", "PASS"],
        ["Threshold 2", "PASS"]
      ])
      expect(doc.bottleneck.run).toEqual({ concurrency: 10, profile: "zero" })
      // Path A, full ladder: every step measured, in rounds with one baseline series.
      expect(doc.comparisons.mode).toBe("full")
      expect(doc.comparisons.steps.map((s: { mitigation: string }) => s.mitigation)).toEqual([
        "in-memory-guards",
        "in-memory-guards+shared-connection",
        "in-memory-guards+shared-connection+batched-writes"
      ])
      expect(doc.comparisons.firstSuccess).toBe("in-memory-guards")
      // c=10 zero is measured once: its matrix run is the baseline series every step is compared with.
      const primary = doc.runs.find((run: { concurrency: number; profile: string }) => run.concurrency === 10 && run.profile === "zero")
      for (const step of doc.comparisons.steps) expect(step.before).toEqual(primary)
      const trialLines = lines(r.stderr).filter((l) => / (trial|warm-up) /.test(l))
      expect(trialLines.filter((l) => l.includes("c=10 zero baseline") && l.startsWith("[2/4 + ladder]"))).toHaveLength(2)
      expect(trialLines.filter((l) => l.includes("c=10 zero in-memory-guards"))).toHaveLength(6)
      expect(trialLines.filter((l) => l.includes("c=2 zero baseline"))).toHaveLength(2)
      // The contrast: the same baseline on the inline driver, outside the gate.
      expect(trialLines.filter((l) => l.startsWith("[contrast better-sqlite3]"))).toHaveLength(2)
      expect(doc.contrast.driver).toBe("better-sqlite3")
      expect(doc.contrast.run).toMatchObject({ concurrency: 10, profile: "zero", mitigation: "baseline", indexed: 12, trials: 2 })
      expect(doc.contrast.run.floor).toMatchObject({ transitions: 36 })
      expect(doc.answer.contrast).toMatchObject({ driver: "better-sqlite3", concurrency: 10, profile: "zero" })
      expect(doc.gate).toMatchObject({ verdict: "PASS", path: "A" })
      // The machine probed at the start, after each configuration (after each counted round of those at c=10, where
      // the figures decide something: the ladder's rounds, c=10 realistic, the contrast) and at the end, on every core
      // and on a scratch SQLite database.
      const probes: ReadonlyArray<{ at: string; cpuMs: number; storageMs: number | null }> = doc.calibration.probes
      expect(probes.map((p) => p.at)).toEqual([
        "start",
        "c=2 zero baseline",
        "c=10 zero ladder, round 1",
        "c=10 zero ladder, round 2",
        "c=2 realistic baseline",
        "c=10 realistic baseline, round 1",
        "c=10 realistic baseline, round 2",
        "c=10 zero baseline on better-sqlite3, round 1",
        "c=10 zero baseline on better-sqlite3, round 2",
        "end"
      ])
      for (const p of probes) {
        expect(p.cpuMs).toBeGreaterThan(0)
        expect(p.storageMs).toBeGreaterThan(0)
      }
      expect(doc.calibration).toMatchObject({ storageUnavailable: null, threshold: 2 })
      expect(doc.calibration.drift.cpu).toBeGreaterThanOrEqual(1)
      for (const run of doc.runs) expect(run.stability).toEqual({ cv: expect.any(Number), outliers: expect.any(Array), unstable: expect.any(Boolean) })
      expect(doc.gate.criteria.SC2.verdict).toBe("PASS")
      expect(doc.gate.criteria.SC2.evidence).toContain("before/after per segment in the mitigation file")
      const mitigation = JSON.parse(fs.readFileSync(path.join(out, `results-mitigation-${stamp}.json`), "utf8"))
      expect(mitigation.steps[0].rows.map((row: { metric: string }) => row.metric)).toContain("guard_ms")
      expect(mitigation.steps[0].rows[0]).toEqual(
        expect.objectContaining({ metric: "elapsed", before: expect.any(Number), after: expect.any(Number), verdict: expect.any(String) })
      )
      const summary = fs.readFileSync(path.join(out, `summary-${stamp}.md`), "utf8")
      expect(summary).toContain("# VLID-06 gate: PASS")
      expect(summary).toContain("*VLID-06* is the validation gate")
      expect(summary).toContain("Contrast (outside the gate), baseline at c=10 zero: better-sqlite3")
      expect(doc.answer.driver).toBe("threaded")
      expect(doc.answer.mitigations.map((m: { set: string }) => m.set).sort()).toEqual(
        doc.comparisons.steps.map((s: { mitigation: string }) => s.mitigation).sort()
      )
      expect(summary).toContain("## Scaling across concurrency")

      // The database is ours now and holds the run's batch: a second run is refused, and the database left as it
      // was, unless it says --fresh (then it replaces the batch, with the table on stdout).
      const before = fs.statSync(db).mtimeMs
      const refused = yield* bench(...args.filter((a) => a !== "--json"), "--ladder", "off")
      expect(refused.code).toBe(2)
      expect(lines(refused.stderr)).toEqual([
        `error: --db ${db}: holds a batch of 12 files (0 not finished); --fresh replaces it with this run's, --resume finishes it`
      ])
      expect(fs.statSync(db).mtimeMs).toBe(before)
      const again = yield* bench(...args.filter((a) => a !== "--json"), "--ladder", "off", "--fresh")
      expect(again.code).toBe(1)
      expect(again.stdout).toContain("Gate VLID-06: INCOMPLETE")
      expect(again.stdout).toMatch(/conc\s+profile\s+elapsed s/)
      }))

    it.live("--save-baseline keeps the run under a name; --baseline compares a later run with it, by --fail-on's rules", () =>
      Effect.gen(function*() {
        const out = tempDir()
        const small = ["--files", "10", "--concurrency", "10", "--profiles", "zero", "--ladder", "off", "--contrast", "off", "--trials", "3", "--warmup", "0", "--out", out]
        const first = yield* bench(...small, "--save-baseline", "main", "--json")
        const saved = path.join(out, "baselines", "main.json")
        expect(first.stderr).toContain(`baseline main saved: ${saved}`)
        expect(JSON.parse(fs.readFileSync(saved, "utf8"))).toEqual(JSON.parse(first.stdout))
        // A rule no run can break here: the comparison is shown, and the exit is the gate's (INCOMPLETE: 1, zero only).
        const second = yield* bench(...small, "--baseline", "main", "--fail-on", "elapsed:+1000%")
        expect(second.code).toBe(1)
        expect(second.stdout).toContain("before: baseline main (")
        expect(second.stdout).toContain("fail rules: elapsed:+1000%;")
        expect(second.stdout).toMatch(/^machine: /m)
        expect(second.stdout).toMatch(/^no regression/m)
        // The config file's defaults.failOn applies when the flag is not given.
        const config = path.join(out, "upload-fsm-bench.config.ts")
        fs.writeFileSync(config, `export default { defaults: { failOn: "elapsed:+1000%", thresholdZero: 300 } }\n`)
        const third = yield* bench(...small, "--baseline", "main", "--config", config)
        expect(third.stdout).toContain("fail rules: elapsed:+1000%;")
      }))

    it.live("--baseline turns a passing gate's exit 0 into 1 when a fail rule breaks, and names it", () =>
      Effect.gen(function*() {
        const out = tempDir()
        const passing = [
          "--files", "10", "--concurrency", "10", "--profiles", "zero,realistic", "--realistic-delay", "0.002", "--ladder", "first",
          "--contrast", "off", "--trials", "3", "--warmup", "0", "--out", out
        ]
        expect((yield* bench(...passing, "--save-baseline", "fast")).code).toBe(0)
        // The baseline made ten times faster than anything this run can do: the run regressed against it.
        const file = path.join(out, "baselines", "fast.json")
        const doc = JSON.parse(fs.readFileSync(file, "utf8"))
        for (const run of doc.runs) for (const t of run.trialResults) t.elapsedSeconds /= 10
        fs.writeFileSync(file, JSON.stringify(doc))
        const r = yield* bench(...passing, "--baseline", "fast")
        expect(r.stdout).toContain("Gate VLID-06: PASS")
        expect(r.code).toBe(1)
        expect(r.stdout).toMatch(/^REGRESSED: c=10 zero baseline elapsed \+\d+(\.\d)?% \(elapsed:\+5%\)/m)
      }))

    it.live("--ladder first stops at the first step that meets Threshold 1, alternating it with its own baseline series", () =>
    Effect.gen(function*() {
      const r = yield* bench(
        "--files", "10", "--concurrency", "10", "--profiles", "zero", "--trials", "2", "--warmup", "0",
        "--ladder", "first", "--driver", "better-sqlite3", "--out", tempDir(), "--json"
      )
      const doc = JSON.parse(r.stdout)
      expect(doc.config).toMatchObject({ ladder: "first", driver: "better-sqlite3", contrast: null })
      expect(doc.contrast).toBeNull()
      expect(doc.comparisons.steps.map((s: { mitigation: string }) => s.mitigation)).toEqual(["in-memory-guards"])
      expect(lines(r.stderr).filter((l) => l.startsWith("[1/1 + compare in-memory-guards] trial"))).toHaveLength(4)
      }))

    it.live("an unreachable Threshold 1 walks all three ladder steps and fails the gate (path B)", () =>
    Effect.gen(function*() {
      const out = tempDir()
      const r = yield* bench(
        "--files", "10", "--concurrency", "10", "--profiles", "zero", "--trials", "2", "--warmup", "0",
        "--ladder", "--threshold-zero", "0.000001", "--out", out, "--json"
      )
      expect(r.code).toBe(1)
      const doc = JSON.parse(r.stdout)
      expect(doc.gate).toMatchObject({ verdict: "FAIL", path: "B" })
      expect(doc.gate.criteria.SC3.verdict).toBe("FAIL")
      expect(doc.comparisons.firstSuccess).toBeNull()
      expect(doc.comparisons.steps.map((s: { mitigation: string }) => s.mitigation)).toEqual([
        "in-memory-guards",
        "in-memory-guards+shared-connection",
        "in-memory-guards+shared-connection+batched-writes"
      ])
      for (const step of doc.comparisons.steps) {
        expect(step.after.trialResults).toHaveLength(2)
        expect(step.rows).toHaveLength(13)
      }
      }))

    it.live("--fail-batch injects a failed commit and reports the recovery; integrity still holds", () =>
    Effect.gen(function*() {
      const out = tempDir()
      const r = yield* bench(
        "--files", "30", "--concurrency", "10", "--profiles", "zero", "--trials", "1", "--warmup", "0",
        "--mitigations", "in-memory-guards,batched-writes", "--batch-size", "5", "--fail-batch", "2", "--out", out, "--json"
      )
      // Only the zero profile was run: Threshold 2 is NOT_RUN, so the gate is INCOMPLETE.
      expect(r.code).toBe(1)
      const doc = JSON.parse(r.stdout)
      expect(doc.gate.verdict).toBe("INCOMPLETE")
      expect(doc.runs[0].recovery).toMatchObject({ failedCommits: 1, lostTransitions: 5 })
      expect(doc.runs[0].integrity.ok).toBe(true)
      expect(doc.comparisons.steps[0].after.recovery.lostTransitions).toBe(5)
      }))

    it.live("--profile-file adds a profile that runs beside the built-ins; a bad one exits 2", () =>
    Effect.gen(function*() {
      const out = tempDir()
      const profile = path.join(out, "slow.json")
      fs.writeFileSync(
        profile,
        JSON.stringify({ name: "slow", upload: { kind: "constant", seconds: 0.5 }, import: { kind: "normal", mean: 1, sd: 0.2 } })
      )
      const r = yield* bench(
        "--files", "10", "--concurrency", "10", "--profiles", "zero,slow", "--profile-file", profile,
        "--trials", "1", "--warmup", "0", "--ladder", "off", "--out", out, "--json"
      )
      expect(r.code).toBe(1)
      const doc = JSON.parse(r.stdout)
      expect(doc.runs.map((run: { profile: string }) => run.profile)).toEqual(["zero", "slow"])
      expect(doc.runs[1]).toMatchObject({ clock: "simulated", api: { calls: 20, rateLimited: 0 } })
      expect(doc.runs[1].elapsedSeconds).toBeGreaterThan(1.4)
      expect(doc.config.profileDefinitions.map((p: { name: string }) => p.name)).toEqual(["zero", "slow"])
      const bad = path.join(out, "bad.json")
      fs.writeFileSync(bad, JSON.stringify({ name: "zero", upload: { kind: "constant", seconds: 1 }, import: { kind: "constant", seconds: 1 } }))
      const refused = yield* bench("--profile-file", bad, "--out", out)
      expect(refused.code).toBe(2)
      expect(lines(refused.stderr)).toHaveLength(1)
      expect(refused.stderr).toContain("built-in")
      }))

    it.live("--help describes every flag, grouped", () =>
    Effect.gen(function*() {
      const r = yield* bench("--help")
      expect(r.code).toBe(0)
      expect(r.stdout).toContain("Workload:")
      expect(r.stdout.split("\n").length).toBeLessThanOrEqual(120)
      for (const flag of [
        "--files", "--concurrency", "--profiles", "--realistic-delay", "--quick", "--seed", "--db", "--out",
        "--threshold-zero", "--threshold-realistic", "--json", "--mitigations", "--ladder", "--trials", "--warmup",
        "--noise", "--batch-size", "--fail-batch", "--clock", "--profile-file", "--scenario", "--max-attempts",
        "--retry-base", "--profile", "--driver", "--store", "--pg-url", "--pool-size", "--workers"
      ]) {
        expect(r.stdout).toContain(flag)
      }
      }))

  it.live("--trace writes one trial's actors as a Chrome trace: a track per slot, a span per file, its segments inside it", () =>
    Effect.gen(function*() {
      const out = tempDir()
      const file = path.join(out, "trial.trace.json")
      const r = yield* bench(
        "--files", "20", "--concurrency", "4,10", "--profiles", "zero", "--trials", "2", "--warmup", "1", "--ladder", "off",
        "--out", out, "--trace", file
      )
      expect(r.code).toBe(1)
      const trace = JSON.parse(fs.readFileSync(file, "utf8"))
      type Event = { name: string; ph: string; cat?: string; tid: number; ts: number; dur: number; args?: { name?: string } }
      const events: ReadonlyArray<Event> = trace.traceEvents
      const tracks = events.filter((e) => e.ph === "M" && e.name === "thread_name")
      // The traced trial is c=10's first counted one: ten runner slots.
      expect(tracks).toHaveLength(10)
      const files = events.filter((e) => e.ph === "X" && e.cat === "file")
      expect(files).toHaveLength(20)
      expect(new Set(files.map((f) => f.name)).size).toBe(20)
      expect(files.every((f) => f.tid >= 1 && f.tid <= 10)).toBe(true)
      const segments = events.filter((e) => e.ph === "X" && e.cat === "segment")
      for (const name of ["connect", "hydrate", "guard read", "lock wait", "write", "close"]) {
        expect(segments.some((s) => s.name === name)).toBe(true)
      }
      // Every segment lies inside a file span on its own track (1 µs of rounding allowed).
      for (const s of segments) {
        expect(files.some((f) => f.tid === s.tid && s.ts >= f.ts - 1 && s.ts + s.dur <= f.ts + f.dur + 1)).toBe(true)
      }
      // Three writes per file on the happy path.
      expect(segments.filter((s) => s.name === "write")).toHaveLength(60)
      // A trace file is never overwritten: a second run is refused before it measures anything.
      const again = yield* bench("--files", "5", "--concurrency", "1", "--profiles", "zero", "--out", out, "--trace", file)
      expect(again.code).toBe(2)
      expect(again.stderr).toContain("--trace")
    }))

  it.live("--db of ours with a newer schema is refused from its header, and not opened: no byte changes, no WAL appears", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const db = path.join(dir, "newer.db")
      // A database of ours (seeded by a small run), then stamped with a schema version this code does not know.
      expect((yield* bench("--files", "3", "--concurrency", "1", "--profiles", "zero", "--trials", "1", "--warmup", "0",
        "--ladder", "off", "--out", dir, "--db", db)).code).toBe(1)
      const header = fs.readFileSync(db)
      header.writeUInt32BE(99, 60)
      fs.writeFileSync(db, header)
      for (const f of [`${db}-wal`, `${db}-shm`]) fs.rmSync(f, { force: true })
      const before = fs.readFileSync(db)
      const r = yield* bench("--files", "3", "--concurrency", "1", "--profiles", "zero", "--out", dir, "--db", db)
      expect(r.code).toBe(2)
      expect(lines(r.stderr)).toEqual([`error: --db ${db}: has schema version 99, newer than this tool's 2; refusing to touch it`])
      expect(fs.readFileSync(db).equals(before)).toBe(true)
      expect(fs.existsSync(`${db}-wal`)).toBe(false)
    }))

  describe("--db held by one run, and checked before a run writes to it", () => {
    const small = ["--files", "3", "--concurrency", "1", "--profiles", "zero", "--trials", "1", "--warmup", "0", "--ladder", "off"]
    /** A database of ours, seeded by a small run, closed (no WAL left). */
    const ours = (dir: string) =>
      Effect.gen(function*() {
        const db = path.join(dir, "ours.db")
        expect((yield* bench(...small, "--out", dir, "--db", db)).code).toBe(1)
        expect(fs.existsSync(`${db}.lock`)).toBe(false)
        return db
      })
    /** A pid that no process has any more. */
    const deadPid = () => {
      const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" })
      return Number(child.stdout)
    }

    it.live("a second run on a database in use is refused at once, and the database and its lock are left alone", () =>
      Effect.gen(function*() {
        const dir = tempDir()
        const db = yield* ours(dir)
        // The lock of a run that is alive (this test's parent process stands in for it).
        fs.writeFileSync(`${db}.lock`, String(process.ppid))
        const before = fs.readFileSync(db)
        const r = yield* bench(...small, "--out", dir, "--db", db)
        expect(r.code).toBe(2)
        expect(lines(r.stderr)).toEqual([
          `error: --db ${db}: in use by another run (pid ${process.ppid}; lock file ${db}.lock); refusing to share it`
        ])
        expect(fs.readFileSync(db).equals(before)).toBe(true)
        expect(fs.readFileSync(`${db}.lock`, "utf8")).toBe(String(process.ppid))
      }))

    it.live("a second run through a symbolic link to a database in use is refused at once: one database, one lock", () =>
      Effect.gen(function*() {
        const dir = tempDir()
        const db = yield* ours(dir)
        fs.writeFileSync(`${db}.lock`, String(process.ppid))
        const link = path.join(dir, "link.db")
        fs.symlinkSync(db, link)
        const before = fs.readFileSync(db)
        const r = yield* bench(...small, "--out", dir, "--db", link, "--fresh")
        expect(r.code).toBe(2)
        expect(lines(r.stderr)).toEqual([
          `error: --db ${link}: in use by another run (pid ${process.ppid}; lock file ${db}.lock); refusing to share it`
        ])
        expect(fs.readFileSync(db).equals(before)).toBe(true)
        expect(fs.existsSync(`${link}.lock`)).toBe(false)
      }))

    it.live("a database with a second name (a hard link) is refused by either name, unopened: SQLite keeps its WAL by path", () =>
      Effect.gen(function*() {
        const dir = tempDir()
        const db = yield* ours(dir)
        const hard = path.join(dir, "hard.db")
        fs.linkSync(db, hard)
        const before = fs.readFileSync(db)
        for (const name of [hard, db]) {
          const out = path.join(dir, `out-${path.basename(name)}`)
          const r = yield* bench(...small, "--out", out, "--db", name, "--fresh")
          expect(r.code).toBe(2)
          expect(lines(r.stderr)).toEqual([
            `error: --db ${name}: has 2 hard links; SQLite keeps its WAL and locks by path, so a run on another name of the ` +
            "same file would corrupt it: give a file with one name (copy it)"
          ])
          expect(fs.existsSync(out)).toBe(false)
          expect(fs.existsSync(`${name}.lock`)).toBe(false)
          expect(fs.existsSync(`${name}-wal`)).toBe(false)
        }
        expect(fs.readFileSync(db).equals(before)).toBe(true)
      }))

    it.live("an empty --db that cannot be written (immutable): one line naming the flag, exit 2, nothing created", () =>
      Effect.gen(function*() {
        const dir = tempDir()
        const db = path.join(dir, "empty.db")
        fs.writeFileSync(db, "")
        const immutable = spawnSync("chattr", ["+i", db])
        expect(immutable.status, `chattr +i: ${immutable.stderr}`).toBe(0)
        const out = path.join(dir, "out")
        const r = yield* Effect.ensuring(bench(...small, "--out", out, "--db", db), Effect.sync(() => spawnSync("chattr", ["-i", db])))
        expect(r.code).toBe(2)
        expect(lines(r.stderr)).toHaveLength(1)
        expect(lines(r.stderr)[0]).toMatch(new RegExp(`^error: --db ${db}: EPERM`))
        expect(fs.readdirSync(dir)).toEqual(["empty.db"])
      }))

    it.live("--resume on a database that holds no batch is refused with one line", () =>
      Effect.gen(function*() {
        const dir = tempDir()
        const db = path.join(dir, "new.db")
        const r = yield* bench(...small, "--out", dir, "--db", db, "--resume")
        expect(r.code).toBe(2)
        expect(lines(r.stderr)).toEqual([`error: --db ${db}: holds no batch to resume`])
        expect(fs.readdirSync(dir)).toEqual([])
      }))

    it.live("a database of an older schema holding a batch is refused as it is: not migrated, not a byte changed", () =>
      Effect.gen(function*() {
        const dir = tempDir()
        const db = yield* ours(dir)
        // Back to schema version 1, as a database of an earlier version of this tool holds it.
        const old = new Database(db)
        old.exec("ALTER TABLE files DROP COLUMN upload_round")
        old.pragma("user_version = 1")
        old.close()
        const before = fs.readFileSync(db)
        const r = yield* bench(...small, "--out", dir, "--db", db)
        expect(r.code).toBe(2)
        expect(lines(r.stderr)).toEqual([
          `error: --db ${db}: holds a batch of 3 files (0 not finished); --fresh replaces it with this run's, --resume finishes it`
        ])
        expect(fs.readFileSync(db).equals(before)).toBe(true)
        expect(before.readUInt32BE(60)).toBe(1)
      }))

    it.live("the lock of a run that died is taken over, and removed at the end", () =>
      Effect.gen(function*() {
        const dir = tempDir()
        const db = yield* ours(dir)
        fs.writeFileSync(`${db}.lock`, String(deadPid()))
        const r = yield* bench(...small, "--out", dir, "--db", db, "--fresh")
        expect(r.code).toBe(1)
        expect(r.stderr).not.toContain("in use")
        expect(fs.existsSync(`${db}.lock`)).toBe(false)
      }))

    it.live("a truncated database of ours is refused as corrupt (exit 2) from its header, unopened", () =>
      Effect.gen(function*() {
        const dir = tempDir()
        const db = yield* ours(dir)
        fs.truncateSync(db, fs.statSync(db).size - 4096)
        const before = fs.readFileSync(db)
        const r = yield* bench(...small, "--out", dir, "--db", db)
        expect(r.code).toBe(2)
        expect(lines(r.stderr)).toHaveLength(1)
        expect(r.stderr).toMatch(/--db .*ours\.db: is corrupt \(truncated: \d+ bytes, its header says \d+ pages of 4096 bytes\); refusing to use it/)
        expect(fs.readFileSync(db).equals(before)).toBe(true)
        expect(fs.existsSync(`${db}.lock`)).toBe(false)
      }))

    it.live("a database of ours with broken pages is refused as corrupt (exit 2), with SQLite's findings on one line, unchanged", () =>
      Effect.gen(function*() {
        const dir = tempDir()
        const db = yield* ours(dir)
        // Overwrite the third page (the files table's b-tree root lies in the first few) with garbage.
        const bytes = fs.readFileSync(db)
        bytes.fill(0x5a, 2 * 4096, 3 * 4096)
        fs.writeFileSync(db, bytes)
        const r = yield* bench(...small, "--out", dir, "--db", db)
        expect(r.code).toBe(2)
        expect(lines(r.stderr)).toHaveLength(1)
        expect(r.stderr).toMatch(/--db .*ours\.db: is corrupt \(.+\); refusing to use it/)
        expect(fs.readFileSync(db).equals(bytes)).toBe(true)
      }))
  })
})

describe("bench CLI: --fail-batch and the storage floor", () => {
  const cases: ReadonlyArray<readonly [string, string, ReadonlyArray<string>]> = [
    ["better-sqlite3", "6", []],
    ["threaded", "11", []],
    ["better-sqlite3", "3", ["--scenario", "reupload"]]
  ]
  for (const [driver, k, extra] of cases) {
    it.live(`${driver}, batch ${k} of the run fails${extra.length > 0 ? `, ${extra.join(" ")}` : ""}: no floor replays the fault, ` +
      "and the database is left holding the batch it reported", () =>
      Effect.gen(function*() {
        const dir = tempDir()
        const db = path.join(dir, "bench.db")
        const r = yield* bench(
          "--files", "40", "--quick", "--profiles", "zero", "--trials", "1", "--warmup", "0", "--concurrency", "10",
          "--contrast", "off", "--ladder", "off", "--mitigations", "in-memory-guards,batched-writes", "--fail-batch", k,
          "--driver", driver, "--db", db, "--out", dir, "--json", ...extra
        )
        expect(r.stderr).not.toContain("storage floor not measured")
        const doc = JSON.parse(r.stdout)
        const batched = doc.runs[0]
        expect(batched.recovery.failedCommits).toBe(1)
        expect(batched.integrity.ok).toBe(true)
        expect(batched.floor).toBeNull()
        expect(batched.floorUnavailable).toMatch(/lost a batch commit and redid files \(--fail-batch\)/)
        // The baseline it is compared with lost nothing: its floor is measured.
        expect(doc.comparisons.steps[0].before.floor).not.toBeNull()
        const conn = new Database(db, { readonly: true })
        const states = conn.prepare("SELECT gemini_state AS state, COUNT(*) AS n FROM files GROUP BY 1").all()
        conn.close()
        expect(states).toEqual([{ state: "indexed", n: batched.indexed }])
      }))
  }
})

describe("bench CLI: a disk that fills up while the results are written", () => {
  it.live("all or none: the files name each other, so none is left (no half-written temporary file either); exit 2, one line", () =>
    Effect.gen(function*() {
      // A 96 KiB file system of its own: the run's results (about 35 KiB) fit, its HTML report (about 125 KiB) does not.
      const disk = tempDir()
      const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=96k", "tmpfs", disk], { encoding: "utf8" })
      expect(mounted.status, `mount a tmpfs (the test runs as root, as CI does): ${mounted.stderr}`).toBe(0)
      const out = path.join(disk, "out")
      const { r, left } = yield* Effect.ensuring(
        Effect.map(
          bench("--files", "3", "--concurrency", "1", "--profiles", "zero", "--trials", "1", "--warmup", "0", "--ladder", "off", "--out", out),
          (r) => ({ r, left: fs.existsSync(out) ? fs.readdirSync(out) : null })
        ),
        Effect.sync(() => void spawnSync("umount", [disk]))
      )
      // Nothing of the run's is left: no result naming a missing report, no temporary file, no reservation, and
      // not even the folder it made.
      expect(left).toBeNull()
      expect(r.code).toBe(2)
      expect(lines(r.stderr).filter((l) => l.startsWith("error:"))).toHaveLength(1)
      expect(r.stderr).toMatch(/^error: cannot write report-[0-9-]+\.html in .*: ENOSPC/m)
      expect(r.stdout).toBe("")
    }))
})
