/**
 * The bench command on the Postgres store, as a user runs it (in this
 * process): a throwaway server started and removed by the run, a server of
 * the user's (`--pg-url`, here databases on the test run's server) checked
 * and held, and the flags that do not go with Postgres refused.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import pg from "pg"
import { APPLICATION_ID } from "../../src/process/identity.ts"
import { redacted } from "../../src/backends/postgres/common.ts"
import { throwawayServer } from "../../src/backends/postgres/server.ts"
import { isRunning, removeStaleTemporaryFolders } from "../../src/process/tempFolders.ts"
import { databaseFor } from "../drivers.ts"
import { tempDb, tempDir } from "../helpers.ts"
import { cli } from "./inProcess.ts"

const bench = (...args: ReadonlyArray<string>) => cli("bench", ...args)
const lines = (text: string) => text.split("\n").filter((l) => l.trim() !== "")
const small = ["--files", "3", "--concurrency", "1", "--profiles", "zero", "--trials", "1", "--warmup", "0", "--ladder", "off"]

/** Statements on a database of the test server, on a connection of their own. */
const onDatabase = (url: string, ...statements: ReadonlyArray<string>) =>
  Effect.promise(async () => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      const results = []
      for (const s of statements) results.push((await client.query(s)).rows)
      return results
    } finally {
      await client.end()
    }
  })

/** The temporary folders (and so servers) this process owns. */
const ownFolders = () =>
  fs.readdirSync(os.tmpdir()).filter((n) => {
    if (!n.startsWith("upload-fsm-bench-")) return false
    try {
      return fs.readFileSync(path.join(os.tmpdir(), n, "owner.pid"), "utf8").trim() === String(process.pid)
    } catch {
      return false
    }
  })

describe("bench CLI on Postgres: what does not go with it exits 2 with one line and writes nothing", () => {
  const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>, string]> = [
    ["--db with --store postgres", ["--store", "postgres", "--db", "x.db"], "--db: a SQLite file; with --store postgres, give --pg-url"],
    ["a SQLite --driver with --store postgres", ["--store", "postgres", "--driver", "threaded"], "--driver threaded: a SQLite driver"],
    ["--contrast with --store postgres", ["--store", "postgres", "--contrast", "better-sqlite3"], "--contrast better-sqlite3: compares SQLite drivers"],
    ["--pg-url with --store sqlite", ["--store", "sqlite", "--pg-url", "postgresql://x@localhost/y"], "--pg-url: needs --store postgres"],
    ["Postgres above its concurrency cap", ["--store", "postgres", "--files", "3", "--concurrency", "10,201"], "--concurrency 201: on Postgres at most 200"],
    ["--pool-size 0", ["--pool-size", "0"], "--pool-size"],
    ["--pool-size above its cap", ["--pool-size", "65"], "--pool-size"],
    ["a server that does not answer", ["--pg-url", "postgresql://bench@%2Fno%2Fsuch%2Fdir/bench"], "--pg-url postgresql://bench@%2Fno%2Fsuch%2Fdir/bench: cannot connect"]
  ]
  for (const [name, args, mentions] of cases) {
    it.live(name, () =>
      Effect.gen(function*() {
        const out = tempDir()
        const r = yield* bench(...(args.includes("--concurrency") ? [] : small), ...args, "--out", out)
        expect(r.code).toBe(2)
        expect(lines(r.stderr)).toHaveLength(1)
        expect(r.stderr).toContain(mentions)
        expect(r.stdout).toBe("")
        expect(fs.readdirSync(out)).toEqual([])
      }))
  }

  it.live("no PostgreSQL binaries: one line naming the install script, nothing started or left", () =>
    Effect.gen(function*() {
      const out = tempDir()
      const before = process.env["PG_BIN"]
      process.env["PG_BIN"] = tempDir()
      const r = yield* bench(...small, "--store", "postgres", "--out", out).pipe(
        Effect.ensuring(Effect.sync(() => (before === undefined ? delete process.env["PG_BIN"] : (process.env["PG_BIN"] = before))))
      )
      expect(r.code).toBe(2)
      expect(lines(r.stderr)).toEqual([
        "error: --store postgres: no PostgreSQL server binaries (initdb, postgres) found; install Debian's postgresql " +
        "(bash scripts/install-postgres.sh), or give --pg-url"
      ])
      expect(fs.readdirSync(out)).toEqual([])
      expect(ownFolders()).toEqual([])
    }))
})

describe("a server's URL in messages and results", () => {
  it("has its password hidden, and nothing else changed", () => {
    expect(redacted("postgresql://me:s3cret@db.example:5433/bench?sslmode=require")).toBe("postgresql://me:***@db.example:5433/bench?sslmode=require")
    expect(redacted("postgresql://bench@%2Ftmp%2Fdir/bench")).toBe("postgresql://bench@%2Ftmp%2Fdir/bench")
  })

  it.live("a server that does not answer: the refusal names its URL without the password", () =>
    Effect.gen(function*() {
      const out = tempDir()
      const r = yield* bench(...small, "--pg-url", "postgresql://me:s3cret@%2Fno%2Fsuch%2Fdir/bench", "--out", out)
      expect(r.code).toBe(2)
      expect(r.stderr).toContain("--pg-url postgresql://me:***@%2Fno%2Fsuch%2Fdir/bench: cannot connect")
      expect(r.stderr).not.toContain("s3cret")
    }))
})

describe("a server that will not start", () => {
  it.live("its own words, on one line, exit 2; its folder removed", () =>
    Effect.gen(function*() {
      const bin = tempDir()
      // Readable by the user the server runs as under root (a temporary folder is its owner's alone).
      fs.chmodSync(bin, 0o755)
      // initdb "succeeds"; postgres says why it will not run, and exits.
      fs.writeFileSync(path.join(bin, "initdb"), "#!/bin/sh\nexit 0\n", { mode: 0o755 })
      fs.writeFileSync(path.join(bin, "postgres"), "#!/bin/sh\necho 'FATAL:  could not create shared memory segment' >&2\nexit 1\n", { mode: 0o755 })
      const out = tempDir()
      const before = process.env["PG_BIN"]
      process.env["PG_BIN"] = bin
      const r = yield* bench(...small, "--store", "postgres", "--out", out).pipe(
        Effect.ensuring(Effect.sync(() => (before === undefined ? delete process.env["PG_BIN"] : (process.env["PG_BIN"] = before))))
      )
      expect(r.code).toBe(2)
      expect(lines(r.stderr)).toEqual(["error: the PostgreSQL server exited at start: FATAL:  could not create shared memory segment"])
      expect(ownFolders()).toEqual([])
    }))
})

describe("bench CLI on Postgres", () => {
  it.live("a throwaway server: started, measured on (every ladder step), stopped and removed; the results say which store", () =>
    Effect.gen(function*() {
      const out = tempDir()
      const r = yield* bench(
        "--store", "postgres", "--files", "12", "--concurrency", "1,10", "--profiles", "zero,realistic", "--realistic-delay", "0.002",
        "--trials", "1", "--warmup", "0", "--out", out, "--json"
      )
      expect(r.code).toBe(0)
      const doc = JSON.parse(r.stdout)
      expect(doc.environment).toMatchObject({ driver: "postgres" })
      expect(doc.environment.storeVersion).toMatch(/^PostgreSQL \d+/)
      expect(doc.config).toMatchObject({ store: "postgres", driver: "postgres", db: "throwaway PostgreSQL server", poolSize: 1, contrast: null })
      expect(doc.runs.map((run: { integrity: { ok: boolean }; indexed: number }) => [run.integrity.ok, run.indexed])).toEqual(
        [[true, 12], [true, 12], [true, 12], [true, 12]]
      )
      expect(doc.comparisons.steps).toHaveLength(3)
      expect(doc.gate.verdict).toBe("PASS")
      const summary = fs.readFileSync(path.join(out, doc.files.summary), "utf8")
      expect(summary).toMatch(/Store: PostgreSQL \d+/)
      expect(summary).toContain("- Store: PostgreSQL")
      expect(ownFolders()).toEqual([])
      // compare.ts reads a Postgres run's document as any other.
      const results = path.join(out, doc.files.results)
      const compared = yield* cli("compare", results, results)
      expect(compared.code).toBe(0)
      expect(compared.stdout).toContain("no regression")
    }))

  it.live("--pg-url on a database that is not ours is refused, and nothing in it changes", () =>
    Effect.gen(function*() {
      const url = yield* Effect.promise(() => databaseFor(tempDb()))
      yield* onDatabase(url, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)", "INSERT INTO notes VALUES (1, 'keep me')")
      const out = tempDir()
      const r = yield* bench(...small, "--pg-url", url, "--out", out)
      expect(r.code).toBe(2)
      expect(lines(r.stderr)).toEqual([`error: --pg-url ${url}: the database is not an upload-fsm-bench database (1 tables, no upload_fsm_bench table)`])
      const [tables, notes] = yield* onDatabase(
        url,
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
        "SELECT body FROM notes"
      )
      expect(tables).toEqual([{ tablename: "notes" }])
      expect(notes).toEqual([{ body: "keep me" }])
      expect(fs.readdirSync(out)).toEqual([])
    }))

  it.live("--pg-url: a database holding a batch is refused without --fresh; one in use by another run is refused at once", () =>
    Effect.gen(function*() {
      const url = yield* Effect.promise(() => databaseFor(tempDb()))
      const out = tempDir()
      const first = yield* bench(...small, "--pg-url", url, "--out", out, "--json")
      // One level and the zero profile only: no realistic run, so the gate is INCOMPLETE (exit 1); the batch is there.
      expect(first.code).toBe(1)
      expect(JSON.parse(first.stdout).config).toMatchObject({ store: "postgres", db: url })
      const refused = yield* bench(...small, "--pg-url", url, "--out", out)
      expect(refused.code).toBe(2)
      expect(lines(refused.stderr)).toEqual([
        `error: --pg-url ${url}: holds a batch of 3 files (0 not finished); --fresh replaces it with this run's, --resume finishes it`
      ])
      expect((yield* bench(...small, "--pg-url", url, "--out", out, "--fresh")).code).toBe(1)
      // Another run holds the database: its lock, taken by this test's own session.
      const holder = new pg.Client({ connectionString: url })
      yield* Effect.promise(() => holder.connect())
      yield* Effect.promise(() => holder.query("SELECT pg_advisory_lock($1)", [APPLICATION_ID]))
      const busy = yield* bench(...small, "--pg-url", url, "--out", out, "--fresh").pipe(
        Effect.ensuring(Effect.promise(() => holder.end()))
      )
      expect(busy.code).toBe(2)
      expect(lines(busy.stderr)).toEqual([
        `error: --pg-url ${url}: in use by another run (it holds the database's lock); refusing to share it`
      ])
    }))

  it.live("--pg-url on a server without room for the run's connections is refused before it starts", () =>
    Effect.gen(function*() {
      const url = yield* Effect.promise(() => databaseFor(tempDb()))
      const out = tempDir()
      // 16 workers, each with a pool of 64: more than the test server's 300 connections.
      const r = yield* bench(
        "--files", "3", "--concurrency", "10", "--profiles", "zero", "--ladder", "off", "--workers", "16", "--pool-size", "64",
        "--pg-url", url, "--out", out
      )
      expect(r.code).toBe(2)
      expect(lines(r.stderr)).toHaveLength(1)
      expect(r.stderr).toMatch(/--pg-url .*: the server has room for \d+ more connections and this run may open 1076/)
      expect(fs.readdirSync(out)).toEqual([])
      const [tables] = yield* onDatabase(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
      expect(tables).toEqual([])
    }))

  it.live("a server left running by a run that died is stopped, and its folder removed, by the next run's sweep", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const server = yield* Scope.extend(throwawayServer({ maxConnections: 20 }), scope)
      expect(fs.existsSync(server.dir)).toBe(true)
      // Its owner "died": a pid no process has.
      fs.writeFileSync(path.join(server.dir, "owner.pid"), "999999999")
      expect(removeStaleTemporaryFolders()).toContain(server.dir)
      expect(fs.existsSync(server.dir)).toBe(false)
      expect(isRunning(server.pid)).toBe(false)
      // The run that started it closing after all: nothing left to stop, nothing fails.
      yield* Scope.close(scope, Exit.void)
    }))
})
