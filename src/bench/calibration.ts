/**
 * The run's probes of the machine (`metrics/calibration.ts`).
 * - CPU: a fixed computation on every core at once, one thread per core
 *   (started with the run, stopped with it): the run's own work spreads over
 *   the cores (the actors' thread, the connections' threads), so a machine
 *   that lost a core to another process is slower at it, which a probe on
 *   one thread would not see while another core is free.
 * - Storage: a loop of commits, each its own transaction, on a scratch
 *   database of the run's driver in a temporary folder beside the default
 *   database's (removed with the run). A store that is not a SQLite file is
 *   probed on CPU only: its server's storage is not the run's to touch.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { performance } from "node:perf_hooks"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as os from "node:os"
import { Worker } from "node:worker_threads"
import { median } from "../metrics/bootstrap.ts"
import { CPU_ROUNDS, CPU_WORK_PER_ROUND, cpuWork, type Probe, STORAGE_COMMITS } from "../metrics/calibration.ts"
import { round } from "../metrics/stats.ts"
import { makeTemporaryFolder } from "../process/tempFolders.ts"
import { Driver } from "../store/driver.ts"
import { exec, migrate, withConnection } from "../store/store.ts"

/** What the calibration's two probes are, as the document describes them. */
export const cpuProbeText = (threads: number) =>
  `a fixed computation (20,000 objects into a Map, then sorted, ${CPU_WORK_PER_ROUND} times) on ${threads} threads at once, ` +
  `one per core: the median of ${CPU_ROUNDS} rounds, ms`
export const storageProbeText = (commits: number) =>
  `${commits} commits of one inserted row each, on a scratch SQLite database of the run's driver in the temporary folder, ms`

export interface Calibrator {
  /** Probe the machine now; `at` names when (start, end, or the configuration just measured). */
  readonly probe: (at: string) => Effect.Effect<void>
  readonly probes: () => ReadonlyArray<Probe>
  /** The CPU probe in words. */
  readonly cpu: string
  /** The storage probe's scratch database, or null when the store is not probed. */
  readonly scratch: string | null
  /** The CPU probe's threads (stopped when the calibrator's scope closes). */
  readonly threads: ReadonlyArray<Worker>
  /** The storage probe in words, or null with `unavailable` saying why there is none. */
  readonly storage: string | null
  readonly unavailable: string | null
}

/** A probe thread: runs `cpuWork` as many times as asked, then answers. */
const PROBE_THREAD = `
const { parentPort } = require("node:worker_threads")
const cpuWork = ${cpuWork.toString()}
parentPort.on("message", (n) => {
  let sink = 0
  for (let i = 0; i < n; i++) sink += cpuWork()
  parentPort.postMessage(sink)
})
`

/** One thread per core, stopped when the scope closes. */
const probeThreads = Effect.acquireRelease(
  Effect.sync(() => Array.from({ length: Math.max(1, os.availableParallelism()) }, () => new Worker(PROBE_THREAD, { eval: true }))),
  (threads) => Effect.promise(() => Promise.all(threads.map((t) => t.terminate())))
)

/** One round: every thread's work at once, ms until the last is done. */
const cpuRound = (threads: ReadonlyArray<Worker>, work: number) =>
  new Promise<number>((resolve, reject) => {
    let left = threads.length
    const started = performance.now()
    const failed = (error: Error) => {
      for (const t of threads) t.off("error", failed)
      reject(error)
    }
    for (const t of threads) {
      t.once("error", failed)
      t.once("message", () => {
        t.off("error", failed)
        left -= 1
        if (left === 0) resolve(performance.now() - started)
      })
      t.postMessage(work)
    }
  })

/** The CPU probe: the median of its rounds, after one untimed round (the threads' compilers warm). */
const cpuProbe = (threads: ReadonlyArray<Worker>, warm: { done: boolean }) =>
  Effect.promise(async () => {
    if (!warm.done) {
      await cpuRound(threads, 2)
      warm.done = true
    }
    const rounds: Array<number> = []
    for (let r = 0; r < CPU_ROUNDS; r++) rounds.push(await cpuRound(threads, CPU_WORK_PER_ROUND))
    return median(rounds)
  })

const row = (i: number) => [
  `probe/${i}`, "0".repeat(64), `probe ${i}`, 1, 1, `Probe ${i}`, "probe", "probe", "probe", "{}",
  "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z"
]

/** `commits` single-row transactions on `dbPath`, then the rows deleted; ms for the commits. */
const storageLoop = (dbPath: string, commits: number) =>
  Effect.gen(function*() {
    const driver = yield* Driver
    const { statements } = driver.store
    return yield* Effect.scoped(Effect.gen(function*() {
      const sql = yield* driver.open(dbPath)
      yield* migrate(sql)
      return yield* withConnection(sql, (conn) =>
        Effect.gen(function*() {
          const started = performance.now()
          for (let i = 0; i < commits; i++) {
            yield* exec(conn, "probe", statements.begin)
            yield* exec(conn, "probe", statements.insertFile, row(i))
            yield* exec(conn, "probe", statements.commit)
          }
          const ms = performance.now() - started
          yield* exec(conn, "probe", statements.clearFiles)
          return ms
        }))
    }))
  })

/**
 * A calibrator for the run, its scratch folder removed when the scope
 * closes. A probe that fails (a full disk) records no storage figure and
 * never fails the run: the probes describe the machine, they are not the
 * measurement.
 */
export const makeCalibrator = (options: { readonly commits?: number } = {}): Effect.Effect<Calibrator, never, Driver | Scope.Scope> =>
  Effect.gen(function*() {
    const driver = yield* Driver
    const commits = options.commits ?? STORAGE_COMMITS
    const scratch = driver.store.name === "sqlite"
      ? yield* Effect.acquireRelease(
        Effect.sync(() => {
          try {
            return path.join(makeTemporaryFolder(), "probe.db")
          } catch {
            return null
          }
        }),
        (file) => Effect.sync(() => file !== null && fs.rmSync(path.dirname(file), { recursive: true, force: true }))
      )
      : null
    const threads = yield* probeThreads
    const warm = { done: false }
    const probes: Array<Probe> = []
    const storageOnce = (file: string) =>
      storageLoop(file, commits).pipe(
        Effect.provideService(Driver, driver),
        Effect.map((ms): number | null => round(ms, 3)),
        Effect.catchAll((e) => Effect.as(Effect.logDebug(`storage probe failed: ${e._tag}`), null))
      )
    return {
      probe: (at) =>
        Effect.gen(function*() {
          const cpuMs = round(yield* cpuProbe(threads, warm), 3)
          const storageMs = scratch === null ? null : yield* storageOnce(scratch)
          probes.push({ at, cpuMs, storageMs })
        }),
      probes: () => probes,
      cpu: cpuProbeText(threads.length),
      scratch,
      threads,
      storage: scratch === null ? null : storageProbeText(commits),
      unavailable: scratch !== null
        ? null
        : driver.store.name === "sqlite"
        ? "no temporary folder for the scratch database"
        : `the ${driver.store.name} store is not probed: its server's storage is not the run's to write to`
    }
  })
