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
import { type Statements, transitionStatement } from "../store/service.ts"
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

/** One floor's run: its driver, its work, its connections and where the loop stands. */
interface FloorRun {
  readonly driver: Pick<DriverShape, "rawConnect" | "store">
  readonly work: FloorWork
  readonly statements: Statements
  readonly clock: Clock.Clock
  readonly signal: AbortSignal | undefined
  readonly concurrency: number
  /** The one connection of every file (shared-connection), or null for one per file. */
  readonly shared: RawConnection | null
  /** The write-behind writer's connection (batched-writes), or null. */
  readonly writer: RawConnection | null
  inBatch: number
  batchOpen: boolean
  /** Every slice, the loop lets the event loop turn once (a signal, an interruption). */
  sliceStart: bigint
  next: number
  /** Set when a file fails: the other lanes stop at their next turn. */
  stopped: boolean
}

const readState = (r: FloorRun, conn: RawConnection, path: string): Machine | Promise<Machine> =>
  then(conn.rows(r.statements.readState, [path]), ([row]) => {
    const stored = storedStateOf(path, row)
    if (typeof stored === "string") throw new FloorError(stored)
    return stored
  })

const update = (r: FloorRun, conn: RawConnection, path: string, machine: Machine, event: Event): void | Promise<void> => {
  const now = new Date(r.clock.unsafeCurrentTimeMillis()).toISOString()
  const values = { now, fileId: `floor/${path}`, uri: `floor://${path}`, documentId: `floor/${path}`, error: "floor" }
  const { text, params } = transitionStatement(r.statements, transitionWrite(path, machine, event, values))
  return then(conn.changes(text, params), (changed) => {
    if (changed !== 1) throw new FloorError(`${event} on ${path} changed ${changed} rows`)
  })
}

const exec = (conn: RawConnection, sql: string) => conn.changes(sql, [])

/** The transaction rolled back, then `error` thrown again: what a failed UPDATE leaves. */
const rollbackThen = (r: FloorRun, conn: RawConnection, error: unknown): void | Promise<void> =>
  then(exec(conn, r.statements.rollback), () => {
    throw error
  })

/**
 * A transition in a transaction of its own on the file's connection (rolled
 * back if its UPDATE fails). A value or a promise, as its statements answer:
 * on a driver that answers at once it is one plain synchronous step.
 */
const commitEach = (r: FloorRun, conn: RawConnection, path: string, machine: Machine, event: Event): void | Promise<void> =>
  then(exec(conn, r.statements.begin), () => {
    let updated: void | Promise<void>
    try {
      updated = update(r, conn, path, machine, event)
    } catch (error) {
      return rollbackThen(r, conn, error)
    }
    const commit = () => then(exec(conn, r.statements.commit), () => undefined)
    return isPromise(updated) ? updated.then(commit, (error: unknown) => rollbackThen(r, conn, error)) : commit()
  })

/** A transition in the writer's open batch (opened if none is), committed when the batch is full. */
const writeBehind = (r: FloorRun, writer: RawConnection, batchSize: number, path: string, machine: Machine, event: Event): void | Promise<void> =>
  then(
    r.batchOpen ? undefined : then(exec(writer, r.statements.begin), () => {
      r.batchOpen = true
    }),
    () =>
      then(update(r, writer, path, machine, event), () => {
        r.inBatch += 1
        if (r.inBatch < batchSize) return undefined
        return then(exec(writer, r.statements.commit), () => {
          r.batchOpen = false
          r.inBatch = 0
        })
      })
  )

/** One file's work: its connection (or the shared one), its read, each transition's write. */
const runFile = async (r: FloorRun, file: FloorFile): Promise<void> => {
  const { work } = r
  const opened = r.shared ?? r.driver.rawConnect(work.dbPath)
  if (r.concurrency > 1 && isPromise(opened)) {
    await opened.then((conn) => conn.close(), () => undefined)
    throw new FloorError(ANSWERS_AT_ONCE)
  }
  const conn = isPromise(opened) ? await opened : opened
  try {
    let m = readState(r, conn, file.path)
    let machine = isPromise(m) ? await m : m
    let first = true
    for (const event of file.events) {
      // Where the file's actor waits for an API call, the other files in flight run.
      if (r.concurrency > 1 && !first) {
        await Promise.resolve()
        if (r.stopped) throw new FloorError("stopped: another file failed")
      }
      first = false
      if (work.guardReads) {
        m = readState(r, conn, file.path)
        const stored = isPromise(m) ? await m : m
        if (stored.state !== machine.state || stored.version !== machine.version) {
          throw new FloorError(`${file.path} is not where the replay expects it`)
        }
      }
      const written = r.writer === null || work.batchSize === null
        ? commitEach(r, conn, file.path, machine, event)
        : writeBehind(r, r.writer, work.batchSize, file.path, machine, event)
      if (isPromise(written)) await written
      machine = { state: Transitions[event].to, version: machine.version + 1 }
    }
  } finally {
    if (r.shared === null) {
      const x = conn.close()
      if (isPromise(x)) await x
    }
  }
}

/** One lane of files in flight: it takes the next file when its last one is done. */
const lane = async (r: FloorRun): Promise<void> => {
  while (r.next < r.work.files.length && !r.stopped) {
    const file = r.work.files[r.next++]
    if (file === undefined) return
    if (r.clock.unsafeCurrentTimeNanos() - r.sliceStart >= SLICE_NANOS) {
      await new Promise((resolve) => setImmediate(resolve))
      if (r.signal?.aborted === true) throw new FloorError("interrupted")
      r.sliceStart = r.clock.unsafeCurrentTimeNanos()
    }
    await runFile(r, file)
  }
}

/** Every lane run to its end, before the connections close; the first failure is the floor's. */
const runLanes = async (r: FloorRun): Promise<void> => {
  let failure: { readonly error: unknown } | null = null
  await Promise.all(
    Array.from({ length: Math.min(r.concurrency, r.work.files.length) }, () =>
      lane(r).catch((error: unknown) => {
        r.stopped = true
        failure ??= { error }
      }))
  )
  if (failure !== null) throw (failure as { readonly error: unknown }).error
  if (r.writer !== null && r.batchOpen) {
    const x = exec(r.writer, r.statements.commit)
    if (isPromise(x)) await x
    r.batchOpen = false
  }
}

/** The writer's open batch rolled back (best effort: the loop is already failing with its own error), the connections closed. */
const closeAll = async (r: FloorRun): Promise<void> => {
  if (r.writer !== null) {
    if (r.batchOpen) {
      try {
        const x = exec(r.writer, r.statements.rollback)
        if (isPromise(x)) await x.catch(() => 0)
      } catch {
        // A synchronous driver's ROLLBACK that throws: nothing left to undo.
      }
    }
    await r.writer.close()
  }
  if (r.shared !== null) await r.shared.close()
}

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
  const start = clock.unsafeCurrentTimeNanos()
  const sharedOpened = work.sharedConnection ? driver.rawConnect(work.dbPath) : null
  const shared = isPromise(sharedOpened) ? await sharedOpened : sharedOpened
  const writerOpened = work.batchSize === null ? null : driver.rawConnect(work.dbPath)
  const writer = isPromise(writerOpened) ? await writerOpened : writerOpened
  const answersLater = isPromise(sharedOpened) || isPromise(writerOpened)
  const r: FloorRun = {
    driver,
    work,
    statements: driver.store.statements,
    clock,
    signal,
    concurrency: Math.max(1, work.concurrency ?? 1),
    shared,
    writer,
    inBatch: 0,
    batchOpen: false,
    // A few microseconds per slice, against a floor of milliseconds per slice.
    sliceStart: start,
    next: 0,
    stopped: false
  }
  try {
    if (r.concurrency > 1 && answersLater) throw new FloorError(ANSWERS_AT_ONCE)
    await runLanes(r)
  } finally {
    await closeAll(r)
  }
  return Number(clock.unsafeCurrentTimeNanos() - start) / 1e6
}
