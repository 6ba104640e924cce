/**
 * `--workers`: the merge of the workers' parts, the errors that cross the
 * process boundary, and runs whose actors are shared out among worker
 * processes (in this process, through the bench command), on SQLite and on
 * Postgres.
 */
import * as fs from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { ActorsPart } from "../../src/actor/experiment.ts"
import { IllegalTransition } from "../../src/lifecycle/fsm.ts"
import { OccConflict, StoreError } from "../../src/store/errors.ts"
import { sampleList, samplesOf } from "../../src/metrics/samples.ts"
import { merge, withoutTsx } from "../../src/workers/pool.ts"
import { decodePart, encodePart, storeErrorOf, errorData } from "../../src/workers/protocol.ts"
import { cli } from "../cli/inProcess.ts"
import { tempDir } from "../helpers.ts"

const bench = (...args: ReadonlyArray<string>) => cli("bench", ...args)

const sample = (ms: number) => ({
  total_wall_ms: ms, mock_api_ms: 0, fsm_net_ms: ms, connect_ms: 0, fsm_dispatch_ms: 0, db_total_ms: ms, hydrate_ms: 0,
  guard_ms: 0, queue_wait_ms: 0, lock_wait_ms: ms, write_ms: 0, runtime_ms: 0
})

const part = (over: Partial<ActorsPart>): ActorsPart => ({
  elapsedMs: 100,
  skippedMs: 0,
  samples: samplesOf([sample(1)]),
  outcomes: [],
  failures: [],
  maxInFlight: 2,
  strategy: { connections: "per-file", guard: "db-read", writer: "commit-each" },
  ledger: new Map([["a", 3]]),
  byEvent: new Map([["start_upload", 1]]),
  recovery: null,
  api: { calls: 2, failures: 0, timeouts: 0, rateLimited: 0, admittedAtMs: [5, 1] },
  workers: 1,
  ...over
})

/** The worker processes of this process's runs still there (their argument is this pid). */
const ownWorkers = () =>
  fs.readdirSync("/proc").filter((entry) => {
    if (!/^\d+$/.test(entry)) return false
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0")
      return argv.some((a) => a.endsWith("workers/child.ts")) && argv.includes(String(process.pid))
    } catch {
      return false
    }
  })

describe("the workers' parts merged into one", () => {
  it("the longest elapsed (and its skipped time), everything else added up or put together", () => {
    const merged = merge([
      part({ elapsedMs: 100, skippedMs: 7, ledger: new Map([["a", 3]]), byEvent: new Map([["start_upload", 1]]) }),
      part({
        elapsedMs: 250,
        skippedMs: 40,
        samples: samplesOf([sample(2), sample(3)]),
        maxInFlight: 3,
        ledger: new Map([["b", 3], ["c", 2]]),
        byEvent: new Map([["start_upload", 2], ["complete_upload", 1]]),
        recovery: { failedCommits: 1, lostTransitions: 4, inconsistentFiles: 2, failedFiles: 1, redoneFiles: 3, redoneApiCalls: 5, passes: 2, seconds: 0.5 },
        api: { calls: 4, failures: 1, timeouts: 1, rateLimited: 0, admittedAtMs: [3] }
      })
    ])
    expect(merged).toMatchObject({ elapsedMs: 250, skippedMs: 40, maxInFlight: 5, workers: 2 })
    expect([...merged.samples.columns.total_wall_ms]).toEqual([1, 2, 3])
    expect(sampleList(merged.samples)).toEqual([sample(1), sample(2), sample(3)])
    expect([...merged.ledger]).toEqual([["a", 3], ["b", 3], ["c", 2]])
    expect(Object.fromEntries(merged.byEvent)).toEqual({ start_upload: 3, complete_upload: 1 })
    expect(merged.recovery).toMatchObject({ failedCommits: 1, lostTransitions: 4, redoneFiles: 3, passes: 2 })
    expect(merged.api).toEqual({ calls: 6, failures: 1, timeouts: 1, rateLimited: 0, admittedAtMs: [1, 3, 5] })
  })
})

describe("errors across the process boundary", () => {
  it("an actor's typed failure arrives as the class it was, with its message", () => {
    const conflict = new OccConflict({ path: "p", event: "start_upload", expectedState: "untracked", expectedVersion: 0 })
    const wire = structuredClone(encodePart(part({
      failures: [
        { path: "p", error: conflict },
        { path: "q", error: new IllegalTransition({ state: "indexed", event: "retry" }) },
        { path: "r", error: new StoreError({ operation: "BEGIN IMMEDIATE", detail: "gave up", lockTimeout: true }) }
      ]
    })))
    const [occ, illegal, store] = decodePart(wire).failures.map((f) => f.error)
    expect(occ).toBeInstanceOf(OccConflict)
    expect(occ?.message).toBe(conflict.message)
    expect(illegal).toBeInstanceOf(IllegalTransition)
    expect(store).toBeInstanceOf(StoreError)
    expect(store).toMatchObject({ operation: "BEGIN IMMEDIATE", detail: "gave up", lockTimeout: true })
  })

  it("a worker's error that is not a store error becomes one that says what it was", () => {
    const error = storeErrorOf(structuredClone(errorData(new IllegalTransition({ state: "indexed", event: "retry" }))))
    expect(error).toBeInstanceOf(StoreError)
    expect(error.detail).toContain("IllegalTransition")
  })
})

describe("bench with --workers", () => {
  const run = ["--files", "30", "--concurrency", "1,6", "--profiles", "zero", "--trials", "1", "--warmup", "0", "--json"]

  it.live("on one SQLite file: the levels with enough actors run in 3 processes, every file indexed once, the workers gone after", () =>
    Effect.gen(function*() {
      const out = tempDir()
      const r = yield* bench(...run, "--driver", "better-sqlite3", "--contrast", "off", "--ladder", "full", "--workers", "3", "--out", out)
      const doc = JSON.parse(r.stdout)
      expect(doc.config).toMatchObject({ workers: 3, store: "sqlite" })
      expect(doc.runs.map((x: { concurrency: number; workers: number; indexed: number; transitions: number; integrity: { ok: boolean } }) =>
        [x.concurrency, x.workers, x.indexed, x.transitions, x.integrity.ok]
      )).toEqual([[1, 1, 30, 90, true], [6, 3, 30, 90, true]])
      // The ladder's steps too (shared connections and batched writers, one set per worker).
      for (const step of doc.comparisons.steps) expect(step.after.integrity.ok).toBe(true)
      expect(ownWorkers()).toEqual([])
    }))

  it.live("on Postgres: the same, and the summary says how many processes", () =>
    Effect.gen(function*() {
      const out = tempDir()
      const r = yield* bench(...run, "--store", "postgres", "--ladder", "off", "--workers", "2", "--out", out)
      const doc = JSON.parse(r.stdout)
      expect(doc.runs.map((x: { workers: number; indexed: number; integrity: { ok: boolean } }) => [x.workers, x.indexed, x.integrity.ok]))
        .toEqual([[1, 30, true], [2, 30, true]])
      const summary = fs.readFileSync(`${out}/${doc.files.summary}`, "utf8")
      expect(summary).toContain("actors in up to 2 worker processes")
      // The answer's last line (wrapped at 80 columns).
      expect(summary).toMatch(/Store: PostgreSQL [^\n]*,\s+up to 2\s+processes/)
      expect(ownWorkers()).toEqual([])
    }))

  const refused: ReadonlyArray<readonly [string, ReadonlyArray<string>, string]> = [
    ["--workers 0", ["--workers", "0"], "--workers"],
    ["--workers above its cap", ["--workers", "17"], "--workers"],
    ["--trace with workers", ["--workers", "2", "--trace", "t.json"], "--trace: one process's actors; not with --workers 2"],
    ["--resume with workers", ["--workers", "2", "--db", "x.db", "--resume"], "--resume: finishes the batch in this process; not with --workers 2"],
    ["a rate-limited profile with workers", ["--workers", "2", "--profiles", "limited", "--profile", '{"name":"limited","upload":{"kind":"constant","seconds":0.01},"import":{"kind":"constant","seconds":0.01},"rateLimitPerMinute":100}'], "has a rate limit"]
  ]
  for (const [name, args, mentions] of refused) {
    it.live(name, () =>
      Effect.gen(function*() {
        const out = tempDir()
        const r = yield* bench("--files", "3", ...args, "--out", out)
        expect(r.code).toBe(2)
        expect(r.stderr.split("\n").filter((l) => l.trim() !== "")).toHaveLength(1)
        expect(r.stderr).toContain(mentions)
        expect(fs.readdirSync(out)).toEqual([])
      }))
  }
})

describe("the workers' runtime flags from the bundle", () => {
  it("keep this process's own flags but not tsx's loader, in any of its spellings", () => {
    expect(withoutTsx(["--require", "/p/node_modules/tsx/dist/preflight.cjs", "--import", "file:///p/node_modules/tsx/dist/loader.mjs"])).toEqual([])
    expect(withoutTsx(["--import", "tsx", "--max-old-space-size=4096"])).toEqual(["--max-old-space-size=4096"])
    expect(withoutTsx(["--import=tsx", "--enable-source-maps", "-r", "tsx/cjs"])).toEqual(["--enable-source-maps"])
    expect(withoutTsx(["--import", "./other.mjs", "--stack-size=2000"])).toEqual(["--import", "./other.mjs", "--stack-size=2000"])
  })
})
