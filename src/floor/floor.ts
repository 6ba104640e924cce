/**
 * The storage floor: the same storage work as a measured run, done by a plain
 * loop on the raw driver, with no Effect, no fibers, no API and no
 * bookkeeping. Same driver, same connection strategy (a connection per file,
 * or one shared), same guard (a read before each write, or none), same writer
 * (a transaction per transition, or write-behind batches of N on a connection
 * of its own), the same statements (the store's, `store/service.ts`),
 * the same files, each replaying the transitions it committed in the run, one
 * file after another.
 *
 * It is a floor for the storage work only: what the run's statements cost on
 * this machine when nothing else runs. A run's `efficiency` is this floor
 * over the run's own (unskipped) time; what is left is the harness's cost and
 * the contention concurrency brings.
 */
import { setImmediate } from "node:timers"
import type * as Clock from "effect/Clock"
import type { Event, Machine } from "../lifecycle/fsm.ts"
import { Transitions } from "../lifecycle/fsm.ts"
import type { DriverShape, RawConnection } from "../store/driver.ts"
import { transitionStatement } from "../store/service.ts"
import { storedStateOf, transitionWrite } from "../store/store.ts"

/** One file's share of the work: its path and the transitions it committed, in order. */
export interface FloorFile {
  readonly path: string
  readonly events: ReadonlyArray<Event>
}

export interface FloorWork {
  readonly dbPath: string
  readonly files: ReadonlyArray<FloorFile>
  /** One connection for every file (shared-connection) instead of one per file. */
  readonly sharedConnection: boolean
  /** Read state and version before each write (the baseline's guard). */
  readonly guardReads: boolean
  /** Write-behind batches of this many transitions on a writer connection (batched-writes); null: commit each. */
  readonly batchSize: number | null
  /**
   * Files in flight at once; 1 (the default, and the floor every run
   * reports): one file after another. With more, a file lets the others run
   * between two of its transitions, where its actor waits for an API call:
   * the same statements, interleaved as the run's actors interleave them, on
   * as many connections at once, still with no Effect and no harness. Only
   * on a driver that answers at once (each transaction then runs whole
   * between two turns); on one that answers later: refused.
   */
  readonly concurrency?: number
}

/** The floor loop met something a measured run would have reported: it stops, and no floor is given. */
export class FloorError extends Error {}

const SLICE_NANOS = 20_000_000n

const ANSWERS_AT_ONCE = "files in flight at once are interleaved only on a driver that answers at once " +
  "(on one that answers later they would meet the write lock mid-transaction, which only the run's busy retries wait out)"

const isPromise = <A>(value: A | Promise<A>): value is Promise<A> => value instanceof Promise

/** `f` of `value`: at once for a value, once it settles for a promise. */
const then = <A, B>(value: A | Promise<A>, f: (a: A) => B | Promise<B>): B | Promise<B> =>
  isPromise(value) ? value.then(f) : f(value)

/**
 * The work done once, on the driver's raw connections, with its store's
 * statements; its duration in
 * milliseconds on `clock`. Every step answers a value or a promise, and the
 * loop awaits only promises (`isPromise(x) ? await x : x`): on a synchronous
 * driver it runs as a plain loop would, but for one turn of the event loop
 * every 20 ms (so that a signal is heard).
 */
export const runFloor = async (
  driver: Pick<DriverShape, "rawConnect" | "store">,
  work: FloorWork,
  clock: Clock.Clock,
  /** Stops the loop (between two files) when aborted: an interrupted run does not wait for its floor. */
  signal?: AbortSignal
): Promise<number> => {
  const connect = driver.rawConnect
  const { statements } = driver.store
  const read = (conn: RawConnection, path: string): Machine | Promise<Machine> =>
    then(conn.rows(statements.readState, [path]), ([row]) => {
      const stored = storedStateOf(path, row)
      if (typeof stored === "string") throw new FloorError(stored)
      return stored
    })
  const update = (conn: RawConnection, path: string, machine: Machine, event: Event): void | Promise<void> => {
    const now = new Date(clock.unsafeCurrentTimeMillis()).toISOString()
    const values = { now, fileId: `floor/${path}`, uri: `floor://${path}`, documentId: `floor/${path}`, error: "floor" }
    const { text, params } = transitionStatement(statements, transitionWrite(path, machine, event, values))
    return then(conn.changes(text, params), (changed) => {
      if (changed !== 1) throw new FloorError(`${event} on ${path} changed ${changed} rows`)
    })
  }
  const exec = (conn: RawConnection, sql: string) => conn.changes(sql, [])

  const concurrency = Math.max(1, work.concurrency ?? 1)
  const start = clock.unsafeCurrentTimeNanos()
  const sharedOpened = work.sharedConnection ? connect(work.dbPath) : null
  const shared = isPromise(sharedOpened) ? await sharedOpened : sharedOpened
  const writerOpened = work.batchSize === null ? null : connect(work.dbPath)
  const writer = isPromise(writerOpened) ? await writerOpened : writerOpened
  const answersLater = isPromise(sharedOpened) || isPromise(writerOpened)
  let inBatch = 0
  let batchOpen = false
  // Every slice, the loop lets the event loop turn once (a signal, an interruption):
  // a few microseconds per slice, against a floor of milliseconds per slice.
  let sliceStart = start

  // One file's work: its connection (or the shared one), its read, each transition's write.
  const runFile = async (file: FloorFile): Promise<void> => {
    const opened = shared ?? connect(work.dbPath)
    if (concurrency > 1 && isPromise(opened)) {
      await opened.then((conn) => conn.close(), () => undefined)
      throw new FloorError(ANSWERS_AT_ONCE)
    }
    const conn = isPromise(opened) ? await opened : opened
    try {
      let m = read(conn, file.path)
      let machine = isPromise(m) ? await m : m
      let first = true
      for (const event of file.events) {
        // Where the file's actor waits for an API call, the other files in flight run.
        if (concurrency > 1 && !first) {
          await Promise.resolve()
          if (stopped) throw new FloorError("stopped: another file failed")
        }
        first = false
        if (work.guardReads) {
          m = read(conn, file.path)
          const stored = isPromise(m) ? await m : m
          if (stored.state !== machine.state || stored.version !== machine.version) {
            throw new FloorError(`${file.path} is not where the replay expects it`)
          }
        }
        if (writer === null || work.batchSize === null) {
          let x = exec(conn, statements.begin)
          if (isPromise(x)) await x
          try {
            const u = update(conn, file.path, machine, event)
            if (isPromise(u)) await u
          } catch (error) {
            x = exec(conn, statements.rollback)
            if (isPromise(x)) await x
            throw error
          }
          x = exec(conn, statements.commit)
          if (isPromise(x)) await x
        } else {
          if (!batchOpen) {
            const x = exec(writer, statements.begin)
            if (isPromise(x)) await x
            batchOpen = true
          }
          const u = update(writer, file.path, machine, event)
          if (isPromise(u)) await u
          inBatch += 1
          if (inBatch >= work.batchSize) {
            const x = exec(writer, statements.commit)
            if (isPromise(x)) await x
            batchOpen = false
            inBatch = 0
          }
        }
        machine = { state: Transitions[event].to, version: machine.version + 1 }
      }
    } finally {
      if (shared === null) {
        const x = conn.close()
        if (isPromise(x)) await x
      }
    }
  }

  let next = 0
  // Set when a file fails: the other lanes stop at their next turn.
  let stopped = false
  // One lane of files in flight: it takes the next file when its last one is done.
  const lane = async (): Promise<void> => {
    while (next < work.files.length && !stopped) {
      const file = work.files[next++]
      if (file === undefined) return
      if (clock.unsafeCurrentTimeNanos() - sliceStart >= SLICE_NANOS) {
        await new Promise((resolve) => setImmediate(resolve))
        if (signal?.aborted === true) throw new FloorError("interrupted")
        sliceStart = clock.unsafeCurrentTimeNanos()
      }
      await runFile(file)
    }
  }

  try {
    if (concurrency > 1 && answersLater) throw new FloorError(ANSWERS_AT_ONCE)
    // Every lane ends before the connections close; the first failure is the floor's.
    let failure: { readonly error: unknown } | null = null
    await Promise.all(
      Array.from({ length: Math.min(concurrency, work.files.length) }, () =>
        lane().catch((error: unknown) => {
          stopped = true
          failure ??= { error }
        }))
    )
    if (failure !== null) throw (failure as { readonly error: unknown }).error
    if (writer !== null && batchOpen) {
      const x = exec(writer, statements.commit)
      if (isPromise(x)) await x
      batchOpen = false
    }
  } finally {
    if (writer !== null) {
      if (batchOpen) {
        // Best effort: the loop is already failing with its own error.
        try {
          const x = exec(writer, statements.rollback)
          if (isPromise(x)) await x.catch(() => 0)
        } catch {
          // A synchronous driver's ROLLBACK that throws: nothing left to undo.
        }
      }
      await writer.close()
    }
    if (shared !== null) await shared.close()
  }
  return Number(clock.unsafeCurrentTimeNanos() - start) / 1e6
}
