/**
 * The `threaded` driver: every connection lives on its own worker thread (one
 * SQLite connection per thread, as the seed's Python async driver had), and
 * statements are sent to it asynchronously. Concurrent actors on per-file
 * connections then really contend for SQLite's write lock: a `BEGIN
 * IMMEDIATE` answered SQLITE_BUSY comes back to `store/transaction.ts`, which
 * counts it and retries.
 *
 * Threads are pooled: a closed connection's thread goes back to the pool and
 * the next connection opened reuses it, so a run at c=50 starts at most 50
 * threads (plus the observer's), not one per file. A "per-file connection"
 * under this driver is a fresh SQLite connection opened on a pooled thread.
 */
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import { createRequire } from "node:module"
import { Worker } from "node:worker_threads"
import { Effect, Layer } from "effect"
import { makeDriver } from "./client.ts"
import { acquireConnection, changesOf, connectionPragmas, type RawConnection, SqliteDriver } from "./driver.ts"
import { STATEMENT_CACHE_SIZE } from "./statementCache.ts"

// The worker is plain CommonJS evaluated from this string, so that it runs the
// same under tsx, vitest and plain node, with no loader in the thread.
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads")
const Database = require(workerData.betterSqlite3)
let db
// Prepared statements per connection, least recently used dropped first (statementCache.ts, in the thread).
let cache = new Map()
const prepared = (sql) => {
  const hit = cache.get(sql)
  if (hit !== undefined) {
    cache.delete(sql)
    cache.set(sql, hit)
    return hit
  }
  const stmt = db.prepare(sql)
  if (cache.size >= workerData.cacheSize) cache.delete(cache.keys().next().value)
  cache.set(sql, stmt)
  return stmt
}
parentPort.on("message", ({ id, op, sql, params, filename, pragmas }) => {
  try {
    if (op === "open") {
      db = new Database(filename, { timeout: 0 })
      cache = new Map()
      db.pragma("journal_mode = WAL")
      for (const p of pragmas) db.exec(p)
      return parentPort.postMessage({ id, result: null })
    }
    if (op === "close") {
      if (db !== undefined) db.close()
      db = undefined
      return parentPort.postMessage({ id, result: null })
    }
    const stmt = prepared(sql)
    if (op === "values") return parentPort.postMessage({ id, result: stmt.reader ? stmt.raw(true).all(...params) : (stmt.run(...params), []) })
    if (stmt.reader) return parentPort.postMessage({ id, result: stmt.all(...params) })
    const r = stmt.run(...params)
    parentPort.postMessage({ id, result: op === "raw" ? { changes: r.changes, lastInsertRowid: Number(r.lastInsertRowid) } : [] })
  } catch (e) {
    parentPort.postMessage({ id, error: { message: String(e && e.message), code: e && e.code } })
  }
})
`

interface Reply {
  readonly id: number
  readonly result?: unknown
  readonly error?: { readonly message: string; readonly code: unknown }
}

/** An error carrying SQLite's code, as better-sqlite3 gives it. */
class WorkerSqliteError extends Error {
  constructor(message: string, readonly code: unknown) {
    super(message)
  }
}

const isReply = (value: unknown): value is Reply => typeof value === "object" && value !== null && "id" in value

/** One thread and the requests waiting for its answers. */
class Thread {
  private next = 0
  private exited = false
  private readonly waiting = new Map<number, (reply: Reply) => void>()
  constructor(readonly worker: Worker) {
    // A thread that died answers every waiting and later request with an error, never silence.
    worker.on("exit", () => {
      this.exited = true
      for (const resolve of this.waiting.values()) resolve({ id: -1, error: { message: "worker thread exited", code: null } })
      this.waiting.clear()
    })
    worker.on("message", (reply: unknown) => {
      if (!isReply(reply)) return
      const resolve = this.waiting.get(reply.id)
      this.waiting.delete(reply.id)
      resolve?.(reply)
    })
    // Threads only hold idle connections between runs: never keep the process alive for them.
    worker.unref()
  }
  /** Send `message`; `answer` gets the thread's reply (an error reply if the thread has exited). */
  private send(message: Record<string, unknown>, answer: (reply: Reply) => void): void {
    if (this.exited) return answer({ id: -1, error: { message: "worker thread exited", code: null } })
    const id = this.next++
    this.waiting.set(id, answer)
    this.worker.postMessage({ id, ...message })
  }
  request(message: Record<string, unknown>, what: string): Effect.Effect<unknown, SqlError> {
    return Effect.async<unknown, SqlError>((resume) =>
      this.send(message, (reply) =>
        resume(
          reply.error === undefined
            ? Effect.succeed(reply.result)
            : Effect.fail(new SqlError({ cause: sqliteError(reply.error), message: what }))
        ))
    )
  }
  /** `request` with no Effect in between, for the storage floor: the reply, or a rejection with SQLite's error. */
  call(message: Record<string, unknown>): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.send(message, (reply) => (reply.error === undefined ? resolve(reply.result) : reject(sqliteError(reply.error))))
    )
  }
}

const sqliteError = (error: NonNullable<Reply["error"]>) => new WorkerSqliteError(error.message, error.code)

const betterSqlite3 = createRequire(import.meta.url).resolve("better-sqlite3")

const makePool = () => {
  const idle: Array<Thread> = []
  let started = 0
  const take = () => {
    const thread = idle.pop()
    if (thread !== undefined) return thread
    started += 1
    return new Thread(new Worker(WORKER, { eval: true, workerData: { betterSqlite3, cacheSize: STATEMENT_CACHE_SIZE } }))
  }
  const give = (thread: Thread) => {
    idle.push(thread)
  }
  const shutdown = Effect.promise(() => Promise.all(idle.splice(0).map((t) => t.worker.terminate())))
  return { take, give, shutdown, started: () => started }
}

const connectionOn = (thread: Thread): Connection => {
  const run = (op: string) => (sql: string, params: ReadonlyArray<unknown>) =>
    thread.request({ op, sql, params }, "Failed to execute statement")
  const rows = (sql: string, params: ReadonlyArray<unknown>) =>
    Effect.map(run("all")(sql, params), (r) => (Array.isArray(r) ? r : []))
  return {
    execute: (sql, params, transformRows) => Effect.map(rows(sql, params), (r) => (transformRows ? transformRows(r) : r)),
    executeRaw: run("raw"),
    executeValues: (sql, params) => Effect.map(run("values")(sql, params), (r) => (Array.isArray(r) ? r : [])),
    executeUnprepared: (sql, params, transformRows) =>
      Effect.map(rows(sql, params ?? []), (r) => (transformRows ? transformRows(r) : r)),
    executeStream: () => Effect.dieMessage("executeStream is not supported by the threaded driver")
    // The cast: Connection's methods are generic in the row type, which rows read from a database cannot prove.
  } as Connection
}

export const layer: Layer.Layer<SqliteDriver> = Layer.scoped(
  SqliteDriver,
  Effect.gen(function*() {
    const pool = makePool()
    yield* Effect.addFinalizer(() => pool.shutdown)
    const connect = (filename: string) =>
      Effect.gen(function*() {
        const thread = yield* acquireConnection(Effect.sync(pool.take), (t) =>
          Effect.zipRight(Effect.ignore(t.request({ op: "close" }, "close")), Effect.sync(() => pool.give(t))))
        yield* thread.request({ op: "open", filename, pragmas: connectionPragmas }, `cannot open ${filename}`)
        return connectionOn(thread)
      })
    // The same: a pooled thread, a fresh connection on it, given back when closed.
    const rawConnect = async (filename: string): Promise<RawConnection> => {
      const thread = pool.take()
      const close = async () => {
        await thread.call({ op: "close" }).catch(() => undefined)
        pool.give(thread)
      }
      await thread.call({ op: "open", filename, pragmas: connectionPragmas }).catch(async (error: unknown) => {
        await close()
        throw error
      })
      return {
        rows: async (sql, params) => {
          const rows = await thread.call({ op: "all", sql, params })
          return Array.isArray(rows) ? rows : []
        },
        changes: async (sql, params) => changesOf(await thread.call({ op: "raw", sql, params })),
        close
      }
    }
    return yield* makeDriver(
      "threaded",
      connect,
      (error: SqlError) =>
        error.cause instanceof WorkerSqliteError && typeof error.cause.code === "string" && error.cause.code.startsWith("SQLITE_BUSY"),
      rawConnect
    )
  })
)
