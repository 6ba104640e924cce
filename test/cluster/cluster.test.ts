/**
 * `--workers`: runs whose actors run on local runners on `@effect/cluster`
 * (through the bench command, in this process), on SQLite and on Postgres;
 * the errors and replies that cross between them; a runner lost mid-trial;
 * the runners gone after.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { spawn } from "node:child_process"
import * as net from "node:net"
import pg from "pg"
import Database from "better-sqlite3"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { IllegalTransition } from "../../src/lifecycle/fsm.ts"
import { OccConflict, StoreError } from "../../src/store/errors.ts"
import { withoutTsx } from "../../src/cluster/local.ts"
import { FileReply, RunnerPart } from "../../src/cluster/protocol.ts"
import { cli } from "../cli/inProcess.ts"
import { tempDir } from "../helpers.ts"
import { databaseFor } from "../drivers.ts"
import { root, runnersOf } from "../programs/spawned.ts"

const bench = (...args: ReadonlyArray<string>) => cli("bench", ...args)

describe("errors and replies across the process boundary", () => {
  it("an actor's typed failure, in a reply encoded and decoded by its Schema, arrives as the class it was, with its message", () => {
    const conflict = new OccConflict({ path: "p", event: "start_upload", expectedState: "untracked", expectedVersion: 0 })
    const errors = [
      conflict,
      new IllegalTransition({ state: "indexed", event: "retry" }),
      new StoreError({ operation: "BEGIN IMMEDIATE", detail: "gave up", lockTimeout: true })
    ]
    const [occ, illegal, store] = errors.map((error) => {
      const wire = JSON.parse(JSON.stringify(Schema.encodeSync(FileReply)({ _tag: "Failed", runner: "h:1", path: "p", error })))
      const reply = Schema.decodeUnknownSync(FileReply)(wire)
      if (reply._tag !== "Failed") throw new Error("not a failure")
      return reply.error
    })
    expect(occ).toBeInstanceOf(OccConflict)
    expect(occ?.message).toBe(conflict.message)
    expect(illegal).toBeInstanceOf(IllegalTransition)
    expect(store).toBeInstanceOf(StoreError)
    expect(store).toMatchObject({ operation: "BEGIN IMMEDIATE", detail: "gave up", lockTimeout: true })
  })

  it("a runner's part crosses by its Schema: its ledger and counts by event as maps, its failures as their classes", () => {
    const part: RunnerPart = {
      runner: "h:1",
      files: 2,
      elapsedMs: 12.5,
      skippedMs: 0,
      outcomes: [{
        path: "a",
        machine: { state: "indexed", version: 3 },
        persisted: 3,
        startVersion: 0,
        events: ["start_upload", "complete_upload", "complete_processing"],
        apiCalls: 2,
        busyEvents: 0,
        busyWaitMs: 0
      }],
      failures: [{ path: "b", error: new StoreError({ operation: "COMMIT", detail: "disk full" }) }],
      maxInFlight: 2,
      strategy: { connections: "per-file", guard: "db-read", writer: "commit-each" },
      ledger: new Map([["a", 3], ["b", 1]]),
      byEvent: new Map([["start_upload", 2], ["complete_upload", 1], ["complete_processing", 1]] as const),
      recovery: null,
      api: { calls: 3, failures: 0, timeouts: 0, rateLimited: 0, admittedAtMs: [0, 1, 2] }
    }
    const back = Schema.decodeUnknownSync(RunnerPart)(JSON.parse(JSON.stringify(Schema.encodeSync(RunnerPart)(part))))
    expect(back.ledger).toEqual(part.ledger)
    expect(back.byEvent.get("start_upload")).toBe(2)
    expect(back.outcomes).toEqual(part.outcomes)
    expect(back.failures[0]?.error).toBeInstanceOf(StoreError)
    expect(back.failures[0]?.error.message).toBe("COMMIT: disk full")
  })
})

interface RunDoc {
  readonly concurrency: number
  readonly workers: number
  readonly indexed: number
  readonly transitions: number
  readonly elapsedSeconds: number
  readonly integrity: { readonly ok: boolean }
  readonly cluster?: { readonly engine: string; readonly runners: ReadonlyArray<{ readonly address: string; readonly files: number }>; readonly lost: ReadonlyArray<string> }
  readonly trialResults: ReadonlyArray<{ readonly elapsedSeconds: number; readonly integrityOk: boolean; readonly cluster?: RunDoc["cluster"] }>
}

/** The run's runners as its result records them: how many, the files they ran, any lost. */
const runnersIn = (run: RunDoc | undefined) => ({
  engine: run?.cluster?.engine,
  runners: run?.cluster?.runners.length,
  files: (run?.cluster?.runners ?? []).reduce((a, r) => a + r.files, 0),
  lost: run?.cluster?.lost
})

describe("bench with --workers", () => {
  const run = ["--files", "30", "--concurrency", "1,6", "--profiles", "zero", "--trials", "1", "--warmup", "0", "--json"]

  it.live("on one SQLite file, 3 runners: the level with enough actors runs on them, every file indexed once, the runners gone after", () =>
    Effect.gen(function*() {
      const out = tempDir()
      const r = yield* bench(...run, "--driver", "better-sqlite3", "--contrast", "off", "--ladder", "full", "--workers", "3", "--out", out)
      const doc = JSON.parse(r.stdout)
      expect(doc.config).toMatchObject({ workers: 3, store: "sqlite" })
      const runs: ReadonlyArray<RunDoc> = doc.runs
      expect(runs.map((x) => [x.concurrency, x.workers, x.indexed, x.transitions, x.integrity.ok])).toEqual([[1, 1, 30, 90, true], [6, 3, 30, 90, true]])
      // c=1 ran in the run's own process; c=6 on the three runners, which ran every file between them.
      expect(runs[0]?.cluster).toBeUndefined()
      expect(runnersIn(runs[1])).toEqual({ engine: "@effect/cluster 0.60.2", runners: 3, files: 30, lost: [] })
      // The ladder's steps too (shared connections and batched writers, one set per runner).
      for (const step of doc.comparisons.steps) expect(step.after.integrity.ok).toBe(true)
      expect(runnersOf(process.pid)).toEqual([])
    }))

  it.live("on one SQLite file, 2 runners on the threaded driver: every file indexed once", () =>
    Effect.gen(function*() {
      const out = tempDir()
      const r = yield* bench(...run, "--driver", "threaded", "--contrast", "off", "--ladder", "off", "--workers", "2", "--out", out)
      const runs: ReadonlyArray<RunDoc> = JSON.parse(r.stdout).runs
      expect(runs.map((x) => [x.workers, x.indexed, x.transitions, x.integrity.ok])).toEqual([[1, 30, 90, true], [2, 30, 90, true]])
      expect(runnersIn(runs[1])).toMatchObject({ runners: 2, files: 30, lost: [] })
      expect(runnersOf(process.pid)).toEqual([])
    }))

  it.live("on Postgres, 2 runners: the same, and the summary says how many processes", () =>
    Effect.gen(function*() {
      const out = tempDir()
      const r = yield* bench(...run, "--store", "postgres", "--ladder", "off", "--workers", "2", "--out", out)
      const doc = JSON.parse(r.stdout)
      const runs: ReadonlyArray<RunDoc> = doc.runs
      expect(runs.map((x) => [x.workers, x.indexed, x.integrity.ok])).toEqual([[1, 30, true], [2, 30, true]])
      expect(runnersIn(runs[1])).toMatchObject({ runners: 2, files: 30, lost: [] })
      const summary = fs.readFileSync(`${out}/${doc.files.summary}`, "utf8")
      expect(summary).toContain("actors in up to 2 worker processes")
      // The answer's last line (wrapped at 80 columns).
      expect(summary).toMatch(/Store: PostgreSQL [^\n]*,\s+up to 2\s+processes/)
      expect(runnersOf(process.pid)).toEqual([])
    }))

  it.live("on Postgres, 3 runners: every file indexed once", () =>
    Effect.gen(function*() {
      const out = tempDir()
      const r = yield* bench(...run, "--store", "postgres", "--ladder", "off", "--workers", "3", "--out", out)
      const runs: ReadonlyArray<RunDoc> = JSON.parse(r.stdout).runs
      expect(runs.map((x) => [x.workers, x.indexed, x.transitions, x.integrity.ok])).toEqual([[1, 30, 90, true], [3, 30, 90, true]])
      expect(runnersIn(runs[1])).toMatchObject({ runners: 3, files: 30, lost: [] })
      expect(runnersOf(process.pid)).toEqual([])
    }))

  const refused: ReadonlyArray<readonly [string, ReadonlyArray<string>, string]> = [
    ["--workers 0", ["--workers", "0"], "--workers"],
    ["--workers above its cap", ["--workers", "17"], "--workers"],
    ["--trace with workers", ["--workers", "2", "--trace", "t.json"], "--trace: one process's actors; not with --workers 2"],
    ["--resume with workers", ["--workers", "2", "--db", "x.db", "--resume"], "--resume: finishes the batch in this process; not with --workers 2"],
    ["a rate-limited profile with workers", ["--workers", "2", "--profiles", "limited", "--profile", '{"name":"limited","upload":{"kind":"constant","seconds":0.01},"import":{"kind":"constant","seconds":0.01},"rateLimitPerMinute":100}'], "has a rate limit"],
    ["--runners on SQLite", ["--runners", "127.0.0.1:7000", "--cluster-url", "postgresql://h/c"], "--runners: runners on other hosts share one PostgreSQL server"],
    ["--runners on the throwaway server", ["--store", "postgres", "--runners", "127.0.0.1:7000", "--cluster-url", "postgresql://h/c"], "give --pg-url URL"],
    ["--runners without --cluster-url", ["--pg-url", "postgresql://h/s", "--runners", "127.0.0.1:7000"], "--runners: needs --cluster-url URL"],
    ["--runners with --workers", ["--pg-url", "postgresql://h/s", "--runners", "127.0.0.1:7000", "--cluster-url", "postgresql://h/c", "--workers", "2"], "--runners and --workers: choose one"],
    ["--cluster-url without --runners", ["--cluster-url", "postgresql://h/c"], "--cluster-url: only with --runners"],
    ["--cluster-url the measured database", ["--pg-url", "postgresql://h/s", "--runners", "127.0.0.1:7000", "--cluster-url", "postgresql://h/s"], "a database of its own"],
    ["--runners with no port", ["--runners", "somehost"], "--runners: 'somehost' is not HOST:PORT"],
    ["--runners with a port out of range", ["--runners", "h:70000"], "the port must be 1 to 65535"],
    ["--trace with runners", ["--pg-url", "postgresql://h/s", "--runners", "127.0.0.1:7000", "--cluster-url", "postgresql://h/c", "--trace", "t.json"], "--trace: one process's actors; not with --runners"]
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

describe("the runners' runtime flags from the bundle", () => {
  it("keep this process's own flags but not tsx's loader, in any of its spellings", () => {
    expect(withoutTsx(["--require", "/p/node_modules/tsx/dist/preflight.cjs", "--import", "file:///p/node_modules/tsx/dist/loader.mjs"])).toEqual([])
    expect(withoutTsx(["--import", "tsx", "--max-old-space-size=4096"])).toEqual(["--max-old-space-size=4096"])
    expect(withoutTsx(["--import=tsx", "--enable-source-maps", "-r", "tsx/cjs"])).toEqual(["--enable-source-maps"])
    expect(withoutTsx(["--import", "./other.mjs", "--stack-size=2000"])).toEqual(["--import", "./other.mjs", "--stack-size=2000"])
  })
})

describe("a runner lost mid-trial", () => {
  it("SIGKILLed while its files run: the others finish them from their stored state, integrity holds, the trial is flagged and left out of the medians", async () => {
    const dir = tempDir()
    const db = path.join(dir, "run.db")
    const slow = JSON.stringify({ name: "slow", upload: { kind: "constant", seconds: 0.02 }, import: { kind: "constant", seconds: 0.02 } })
    const child = spawn(process.execPath, [
      "--import", "tsx", "programs/bench.ts", "--files", "300", "--concurrency", "6", "--profile", slow, "--profiles", "slow",
      "--clock", "real", "--trials", "2", "--warmup", "0", "--ladder", "off", "--contrast", "off", "--driver", "better-sqlite3",
      "--workers", "3", "--db", db, "--out", path.join(dir, "out"), "--json"
    ], { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
    // The first trial under way (a file past its first transition): one of the run's runners killed.
    let killed: string | null = null
    for (let i = 0; i < 600 && killed === null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      if (!fs.existsSync(db) || child.pid === undefined) continue
      try {
        const reader = new Database(db, { readonly: true, fileMustExist: true })
        const started = (reader.prepare("SELECT count(*) AS n FROM files WHERE version > 0").get() as { n: number }).n
        reader.close()
        const victim = runnersOf(child.pid)[0]
        if (started > 0 && victim !== undefined) {
          process.kill(Number(victim), "SIGKILL")
          killed = victim
        }
      } catch {
        // Not created yet, or busy: look again.
      }
    }
    const code = await exited
    expect(killed, stderr).not.toBeNull()
    expect(code, stderr).not.toBe(3)
    const run: RunDoc = JSON.parse(stdout).runs[0]
    expect([run.indexed, run.transitions, run.integrity.ok]).toEqual([300, 900, true])
    const [first, second] = run.trialResults
    expect(first?.integrityOk).toBe(true)
    expect(first?.cluster?.lost).toHaveLength(1)
    expect(first?.cluster?.runners.reduce((a, r) => a + r.files, 0)).toBeGreaterThanOrEqual(300)
    // The next trial runs on the two left, clean; the run's elapsed time is its, not a mix with the flagged one.
    expect(second?.cluster?.runners).toHaveLength(2)
    expect(second?.cluster?.lost).toEqual([])
    expect(run.elapsedSeconds).toBe(second?.elapsedSeconds)
    expect(runnersOf(child.pid ?? -1)).toEqual([])
  }, 120_000)
})

/** A free TCP port on loopback. */
const freePort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

/** `upload-fsm-bench runner` on loopback, once it says it serves. */
const startRunner = async (port: number, clusterUrl: string) => {
  const child = spawn(process.execPath, [
    "bin/upload-fsm-bench.js", "runner", "--listen", `127.0.0.1:${port}`, "--cluster-url", clusterUrl
  ], { cwd: root, stdio: ["ignore", "ignore", "pipe"] })
  let stderr = ""
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`runner ${port} did not start: ${stderr}`)), 60_000)
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString()
      if (stderr.includes("serving until interrupted")) {
        clearTimeout(timer)
        resolve()
      }
    })
    void exited.then((code) => reject(new Error(`runner ${port} exited (${code}): ${stderr}`)))
  })
  return { child, exited, stderr: () => stderr }
}

describe("runners on other hosts (--runners), over loopback", () => {
  it("two runners started by hand: a run on them indexes every file once, each runner named with the files it ran; stopped, they unregister", async () => {
    const store = await databaseFor(tempDir())
    const clusterUrl = await databaseFor(tempDir())
    const ports = [await freePort(), await freePort()]
    const runners = await Promise.all(ports.map((port) => startRunner(port, clusterUrl)))
    try {
      const r = await Effect.runPromise(bench(
        "--files", "40", "--concurrency", "4", "--profiles", "zero", "--trials", "2", "--warmup", "0", "--json", "--ladder", "off",
        "--store", "postgres", "--pg-url", store, "--runners", ports.map((p) => `127.0.0.1:${p}`).join(","), "--cluster-url", clusterUrl,
        "--out", tempDir()
      ))
      expect(r.stderr).not.toContain("error")
      const doc = JSON.parse(r.stdout)
      expect(doc.config.workers).toBe(2)
      const run: RunDoc = doc.runs[0]
      expect([run.workers, run.indexed, run.transitions, run.integrity.ok]).toEqual([2, 40, 120, true])
      expect(run.cluster?.runners.map((x) => x.address).sort()).toEqual(ports.map((p) => `127.0.0.1:${p}`).sort())
      // Two trials of 40 files, each file run once.
      expect(runnersIn(run)).toMatchObject({ runners: 2, files: 80, lost: [] })
    } finally {
      for (const runner of runners) runner.child.kill("SIGTERM")
    }
    const codes = await Promise.all(runners.map((runner) => runner.exited))
    expect(codes).toEqual([143, 143])
    const rows = async (url: string, sql: string) => {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      try {
        return (await client.query(sql)).rows
      } finally {
        await client.end()
      }
    }
    // Stopped, each gave up its registration; the files' messages were volatile: the cluster stored none of them.
    expect(await rows(clusterUrl, "SELECT count(*)::int AS n FROM cluster_runners")).toEqual([{ n: 0 }])
    expect(await rows(clusterUrl, "SELECT (SELECT count(*) FROM cluster_messages)::int AS messages, (SELECT count(*) FROM cluster_replies)::int AS replies"))
      .toEqual([{ messages: 0, replies: 0 }])
    // Nothing of the cluster's in the measured database.
    expect(await rows(store, "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'cluster%'")).toEqual([])
  }, 120_000)

  it("one runner (named once, or twice): every level runs its files on it, not in the run's own process", async () => {
    const store = await databaseFor(tempDir())
    const clusterUrl = await databaseFor(tempDir())
    const port = await freePort()
    const runner = await startRunner(port, clusterUrl)
    const address = `127.0.0.1:${port}`
    try {
      const r = await Effect.runPromise(bench(
        "--files", "20", "--concurrency", "1,4", "--profiles", "zero", "--trials", "1", "--warmup", "0", "--json", "--ladder", "off",
        "--store", "postgres", "--pg-url", store, "--runners", `${address},${address}`, "--cluster-url", clusterUrl, "--out", tempDir()
      ))
      expect(r.stderr).not.toContain("error")
      const doc = JSON.parse(r.stdout)
      for (const run of doc.runs as ReadonlyArray<RunDoc>) {
        expect([run.concurrency, run.indexed, run.integrity.ok]).toEqual([run.concurrency, 20, true])
        expect(runnersIn(run)).toMatchObject({ runners: 1, files: 20, lost: [] })
        expect(run.cluster?.runners.map((x) => x.address)).toEqual([address])
      }
    } finally {
      runner.child.kill("SIGTERM")
    }
    expect(await runner.exited).toBe(143)
  }, 120_000)

  it("a runner that cannot be reached at start: one line naming it, exit 2, nothing written", async () => {
    const store = await databaseFor(tempDir())
    const clusterUrl = await databaseFor(tempDir())
    const port = await freePort()
    const out = tempDir()
    const r = await Effect.runPromise(bench(
      "--files", "10", "--concurrency", "4", "--profiles", "zero", "--store", "postgres", "--pg-url", store,
      "--runners", `127.0.0.1:${port}`, "--cluster-url", clusterUrl, "--out", out
    ))
    expect(r.code).toBe(2)
    expect(r.stderr.split("\n").filter((l) => l.trim() !== "")).toHaveLength(1)
    expect(r.stderr).toContain(`runner 127.0.0.1:${port} cannot be reached`)
    expect(fs.readdirSync(out)).toEqual([])
  }, 60_000)
})
