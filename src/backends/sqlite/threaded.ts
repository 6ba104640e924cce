/**
 * The `threaded` driver: connections live on worker threads, off the
 * JavaScript thread (as the seed's Python async driver ran each connection
 * on a thread of its own), and statements are sent to them asynchronously.
 * Concurrent actors on per-file connections then really contend for SQLite's
 * write lock: a transaction holds it from its BEGIN IMMEDIATE's answer to its
 * COMMIT's, across round trips.
 *
 * A connection waits for the write lock where the seed's did: in its thread.
 * Python's sqlite3 opens a connection with a 5 s busy timeout, whose handler
 * sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, then 100 ms between tries
 * inside the connection's thread. The thread here retries a BEGIN IMMEDIATE
 * answered SQLITE_BUSY on the same schedule, with a timer, so that the other
 * connections it hosts carry on meanwhile, and answers once it has the lock
 * (with the busy answers it saw and how long it waited after the first) or
 * once the schedule passes the busy timeout. Nothing crosses to the event
 * loop between tries: a wait sent every retry back through it, tens of
 * thousands of round trips that took CPU from the lock holder.
 *
 * A transition's UPDATE goes with its BEGIN (`beginThen`) and runs in the
 * thread as soon as the lock is taken; COMMIT is the second round trip. The
 * seed's transaction had the same two: Python's sqlite3 opens the
 * transaction itself at the first write, so its `execute(UPDATE)` took the
 * lock and wrote, and its `commit()` followed. Sending BEGIN alone, then the
 * UPDATE, held the lock across one round trip more, which at c=10 made lock
 * waits longer than the seed's and the run slower.
 *
 * A fixed pool of threads hosts the connections, each thread several
 * (`THREADS`, the fewest-loaded thread takes the next connection): a
 * connection's statements run in turn with those of the other connections on
 * its thread, as they would on the machine's cores anyway. One thread per
 * connection cost several MiB each and, on two cores, the scheduling of
 * fifty threads (docs/measurements.md, "The threaded driver's pool and cap"). A
 * "per-file connection" under this driver is a fresh SQLite connection
 * opened on a pooled thread.
 */
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import { createRequire } from "node:module"
import * as os from "node:os"
import { Worker } from "node:worker_threads"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { Store } from "../../store/service.ts"
import { makeDriver } from "../../store/client.ts"
import { LOCK_TIMEOUT_MS } from "../../store/transaction.ts"
import {
  acquireConnection,
  type BeginWait,
  changesOf,
  connectionPragmas,
  Driver,
  type DriverShape,
  FirstStatementFailed,
  type RawConnection,
  SqliteBusy
} from "../../store/driver.ts"
import { STATEMENT_CACHE_SIZE } from "./statementCache.ts"
import { addonProblem } from "./betterSqlite.ts"

// The worker is plain CommonJS evaluated from this string, so that it runs the
// same under tsx, vitest and plain node, with no loader in the thread.
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads")
// The engine: better-sqlite3 (Node), or the runtime's node:sqlite (Deno, where better-sqlite3 cannot load). Both
// give a database with exec, prepare and close; a statement is wrapped into rows, run and values.
const engine = workerData.betterSqlite3 !== null
  ? (() => {
    const Database = require(workerData.betterSqlite3)
    return {
      open: (filename) => new Database(filename, { timeout: 0 }),
      statement: (stmt) => ({
        rows: (params) => (stmt.reader ? stmt.all(...params) : (stmt.run(...params), [])),
        run: (params) => (stmt.reader ? stmt.all(...params) : stmt.run(...params)),
        values: (params) => (stmt.reader ? stmt.raw(true).all(...params) : (stmt.run(...params), []))
      }),
      code: (e) => e && e.code
    }
  })()
  : (() => {
    const { DatabaseSync } = require("node:sqlite")
    return {
      open: (filename) => new DatabaseSync(filename),
      // Statements without rows (writes, BEGIN, COMMIT) answer [] to all().
      statement: (stmt) => ({
        rows: (params) => stmt.all(...params),
        run: (params) => stmt.run(...params),
        values: (params) => stmt.all(...params).map((row) => Object.values(row))
      }),
      // node:sqlite's errors carry SQLite's result code as a number: its low byte 5 is SQLITE_BUSY.
      code: (e) => (e && typeof e.errcode === "number" ? ((e.errcode & 0xff) === 5 ? "SQLITE_BUSY" : "SQLITE_ERROR_" + e.errcode) : e && e.code)
    }
  })()
// The thread's connections by id, each with its prepared statements, least recently used dropped first
// (statementCache.ts, in the thread).
const connections = new Map()
const prepared = (c, sql) => {
  const hit = c.cache.get(sql)
  if (hit !== undefined) {
    c.cache.delete(sql)
    c.cache.set(sql, hit)
    return hit
  }
  const stmt = engine.statement(c.db.prepare(sql))
  if (c.cache.size >= workerData.cacheSize) c.cache.delete(c.cache.keys().next().value)
  c.cache.set(sql, stmt)
  return stmt
}
// SQLite's default busy handler's sleeps (ms), the last one repeated: the seed's connections waited so.
const DELAYS = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100]
// BEGIN IMMEDIATE until it takes the write lock, a busy answer retried after the handler's sleep, until the
// sleeps would pass the timeout (as the handler counts it: by its schedule, not the clock). With \`then\`, the
// transaction's first statement runs as soon as the lock is taken, in the same turn, and its answer and time
// (\`afterMs\`) come back with the lock's; if it fails, the transaction is rolled back here.
const begin = (id, c, sql, timeoutMs, then) => {
  let busy = 0
  let firstBusy = 0
  let slept = 0
  const attempt = () => {
    try {
      prepared(c, sql).run([])
    } catch (e) {
      const code = engine.code(e)
      if (typeof code !== "string" || !code.startsWith("SQLITE_BUSY")) {
        return parentPort.postMessage({ id, error: { message: String(e && e.message), code } })
      }
      if (busy === 0) firstBusy = performance.now()
      const delay = Math.min(DELAYS[Math.min(busy, DELAYS.length - 1)], timeoutMs - slept)
      busy += 1
      if (delay <= 0) {
        return parentPort.postMessage({ id, error: { message: String(e.message), code, busy, waitedMs: performance.now() - firstBusy } })
      }
      slept += delay
      return void setTimeout(attempt, delay)
    }
    const locked = performance.now()
    const waited = { busyEvents: busy, busyWaitMs: busy === 0 ? 0 : locked - firstBusy }
    if (then === undefined) return parentPort.postMessage({ id, result: waited })
    let r
    try {
      r = prepared(c, then.sql).run(then.params)
    } catch (e) {
      try { c.db.exec(then.rollback) } catch {}
      return parentPort.postMessage({ id, error: { message: String(e && e.message), code: engine.code(e), stage: "then" } })
    }
    const result = Array.isArray(r) ? r : { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) }
    parentPort.postMessage({ id, result: { ...waited, result, afterMs: performance.now() - locked } })
  }
  attempt()
}
parentPort.on("message", ({ id, cid, op, sql, params, filename, pragmas, timeoutMs, then }) => {
  try {
    if (op === "open") {
      const db = engine.open(filename)
      connections.set(cid, { db, cache: new Map() })
      db.exec("PRAGMA journal_mode = WAL")
      for (const p of pragmas) db.exec(p)
      return parentPort.postMessage({ id, result: null })
    }
    const c = connections.get(cid)
    if (op === "close") {
      connections.delete(cid)
      if (c !== undefined) c.db.close()
      return parentPort.postMessage({ id, result: null })
    }
    if (c === undefined) throw new Error("connection " + cid + " is not open")
    if (op === "begin") return begin(id, c, sql, timeoutMs, then)
    const stmt = prepared(c, sql)
    if (op === "values") return parentPort.postMessage({ id, result: stmt.values(params) })
    if (op !== "raw") return parentPort.postMessage({ id, result: stmt.rows(params) })
    const r = stmt.run(params)
    parentPort.postMessage({ id, result: Array.isArray(r) ? r : { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) } })
  } catch (e) {
    parentPort.postMessage({ id, error: { message: String(e && e.message), code: engine.code(e) } })
  }
})
`

interface Reply {
  readonly id: number
  readonly result?: unknown
  /** `busy` and `waitedMs`: a BEGIN that gave up at the busy timeout, after that many busy answers. */
  readonly error?: {
    readonly message: string
    readonly code: unknown
    readonly busy?: number
    readonly waitedMs?: number
    /** "then": the statement sent with a BEGIN failed, after the lock was taken (and the transaction rolled back). */
    readonly stage?: string
  }
}

/** An error carrying SQLite's code, as better-sqlite3 gives it; and, for a wait given up, what it waited. */
class WorkerSqliteError extends Error {
  constructor(message: string, readonly code: unknown, readonly gaveUp?: BeginWait, readonly afterLock = false) {
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

const sqliteError = (error: NonNullable<Reply["error"]>) =>
  new WorkerSqliteError(
    error.message,
    error.code,
    error.busy === undefined ? undefined : { busyEvents: error.busy, busyWaitMs: error.waitedMs ?? 0 },
    error.stage === "then"
  )

/**
 * The engine the threads run: better-sqlite3 where its addon loads (its path,
 * for the thread's require), else the runtime's node:sqlite (null).
 */
const engine = (): { readonly betterSqlite3: string | null } =>
  addonProblem() === null ? { betterSqlite3: createRequire(import.meta.url).resolve("better-sqlite3") } : { betterSqlite3: null }

/** Threads in the pool: twice the cores (at least 4), so that a thread waiting on the disk leaves a core busy. */
export const THREADS = Math.max(4, 2 * os.availableParallelism())

/** A connection's place: its thread and its id there. */
interface Slot {
  readonly thread: Thread
  readonly cid: number
}

const makePool = () => {
  const { betterSqlite3 } = engine()
  const threads: Array<{ readonly thread: Thread; open: number }> = []
  let nextId = 0
  // The thread with the fewest open connections takes the next one; a new thread while the pool is not full.
  const take = (): Slot => {
    const least = threads.reduce<(typeof threads)[number] | undefined>((l, t) => (l === undefined || t.open < l.open ? t : l), undefined)
    const entry = least !== undefined && (least.open === 0 || threads.length >= THREADS)
      ? least
      : { thread: new Thread(new Worker(WORKER, { eval: true, workerData: { betterSqlite3, cacheSize: STATEMENT_CACHE_SIZE } })), open: 0 }
    if (!threads.includes(entry)) threads.push(entry)
    entry.open += 1
    nextId += 1
    return { thread: entry.thread, cid: nextId }
  }
  const give = (slot: Slot) => {
    const entry = threads.find((t) => t.thread === slot.thread)
    if (entry !== undefined) entry.open -= 1
  }
  const shutdown = Effect.promise(() => Promise.all(threads.splice(0).map((t) => t.thread.worker.terminate())))
  return { take, give, shutdown }
}

/** The thread and id of each connection of this driver's, for its `begin`. */
const slots = new WeakMap<Connection, Slot>()

const isBeginWait = (value: unknown): value is BeginWait =>
  typeof value === "object" && value !== null && "busyEvents" in value && typeof value.busyEvents === "number" &&
  "busyWaitMs" in value && typeof value.busyWaitMs === "number"

const isBegunWith = (value: unknown): value is BeginWait & { readonly result: unknown; readonly afterMs: number } =>
  isBeginWait(value) && "result" in value && "afterMs" in value && typeof value.afterMs === "number"

const connectionOn = (slot: Slot): Connection => {
  const connection = connectionOf(slot)
  slots.set(connection, slot)
  return connection
}

const connectionOf = ({ thread, cid }: Slot): Connection => {
  const run = (op: string) => (sql: string, params: ReadonlyArray<unknown>) =>
    thread.request({ cid, op, sql, params }, "Failed to execute statement")
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

/** The driver, its connections waiting up to `busyTimeoutMs` for the write lock in their threads. */
export const threadedLayer = (busyTimeoutMs: number): Layer.Layer<Driver, never, Store> => Layer.scoped(
  Driver,
  Effect.gen(function*() {
    const pool = makePool()
    yield* Effect.addFinalizer(() => pool.shutdown)
    const connect = (filename: string) =>
      Effect.gen(function*() {
        const slot = yield* acquireConnection(Effect.sync(pool.take), (s) =>
          Effect.zipRight(Effect.ignore(s.thread.request({ cid: s.cid, op: "close" }, "close")), Effect.sync(() => pool.give(s))))
        yield* slot.thread.request({ cid: slot.cid, op: "open", filename, pragmas: connectionPragmas }, `cannot open ${filename}`)
        return connectionOn(slot)
      })
    // The same: a pooled thread, a fresh connection on it, given back when closed.
    const rawConnect = async (filename: string): Promise<RawConnection> => {
      const slot = pool.take()
      const { thread, cid } = slot
      const close = async () => {
        await thread.call({ cid, op: "close" }).catch(() => undefined)
        pool.give(slot)
      }
      await thread.call({ cid, op: "open", filename, pragmas: connectionPragmas }).catch(async (error: unknown) => {
        await close()
        throw error
      })
      return {
        rows: async (sql, params) => {
          const rows = await thread.call({ cid, op: "all", sql, params })
          return Array.isArray(rows) ? rows : []
        },
        changes: async (sql, params) => changesOf(await thread.call({ cid, op: "raw", sql, params })),
        close
      }
    }
    const isBusy = (error: SqlError) =>
      error.cause instanceof WorkerSqliteError && typeof error.cause.code === "string" && error.cause.code.startsWith("SQLITE_BUSY")
    const base = yield* makeDriver("threaded", connect, isBusy, rawConnect)
    const { statements } = base.store
    // A wait given up at the busy timeout is a SqliteBusy that says so; a statement sent with the BEGIN that failed
    // after the lock was taken is that statement's error.
    const beginRequest = (slot: Slot, then?: { readonly sql: string; readonly params: ReadonlyArray<unknown> }) =>
      slot.thread.request(
        {
          cid: slot.cid,
          op: "begin",
          sql: statements.begin,
          timeoutMs: busyTimeoutMs,
          then: then === undefined ? undefined : { ...then, rollback: statements.rollback }
        },
        "BEGIN IMMEDIATE"
      ).pipe(Effect.mapError((error) =>
        !(error.cause instanceof WorkerSqliteError)
          ? error
          : error.cause.gaveUp !== undefined
          ? new SqliteBusy({ cause: error, gaveUp: { ...error.cause.gaveUp, timeoutMs: busyTimeoutMs } })
          : error.cause.afterLock
          ? new FirstStatementFailed({ cause: new SqlError({ cause: error.cause, message: "Failed to execute statement" }) })
          : error
      ))
    const begin: DriverShape["begin"] = (conn) => {
      const slot = slots.get(conn)
      if (slot === undefined) return base.begin(conn)
      return beginRequest(slot).pipe(
        Effect.map((result) => (isBeginWait(result) ? result : { busyEvents: 0, busyWaitMs: 0 })),
        // Nothing was sent with this BEGIN, so nothing ran after the lock.
        Effect.catchTag("FirstStatementFailed", (e) => Effect.fail(e.cause))
      )
    }
    // A connection this driver did not open has no thread to send both to: it takes `begin` and its statements in turn.
    const beginThen: NonNullable<DriverShape["beginThen"]> = (conn) => {
      const slot = slots.get(conn)
      return slot === undefined ? undefined : (sql, params) =>
        Effect.flatMap(beginRequest(slot, { sql, params }), (answer) =>
          isBegunWith(answer)
            ? Effect.succeed(answer)
            : Effect.fail(new SqlError({ cause: answer, message: "the connection's thread gave no answer to the statement sent with BEGIN" })))
    }
    return { ...base, begin, beginThen }
  })
)

/** The driver, with the busy timeout of the seed's connections (Python's sqlite3: 5 s), which is the run's lock timeout. */
export const layer: Layer.Layer<Driver, never, Store> = threadedLayer(LOCK_TIMEOUT_MS)
