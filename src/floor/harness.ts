/**
 * The harness alone: a run's actors, strategy, concurrency and files, on a
 * stand-in store whose statements answer from memory at once, so that the
 * run's elapsed time is nothing but the tool's own cost (fibers, the FSM, the
 * simulated API, timing and bookkeeping, the strategy's services). With the
 * storage floor (`floor.ts`) it splits a measured run's elapsed time three
 * ways: the storage work alone, the harness alone, and the rest (what
 * concurrency costs the store, and what the two cost each other when they
 * share a CPU: its caches, the collector).
 *
 * The stand-in answers exactly the statements an actor sends (the state read,
 * BEGIN IMMEDIATE / COMMIT / ROLLBACK, the OCC UPDATE of a transition) and
 * refuses anything else. It keeps each row's state, version, file id,
 * attempts and round, and applies an UPDATE only where the row is at the
 * statement's (state, version): a stale write changes no row, an OccConflict
 * as on a store. It has no transactions (nothing it runs can fail, so nothing
 * is ever rolled back) and its own work, a map lookup and a row update per
 * statement, is counted in the harness: the figure is an upper bound.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { runActors } from "../actor/experiment.ts"
import { zero } from "../api/profiles.ts"
import { builtInRegistry, mitigationLabel, strategy } from "../mitigations/registry.ts"
import type { BatchOptions } from "../mitigations/define.ts"
import { makeRecorder } from "../metrics/recorder.ts"
import { makeDriver } from "../store/client.ts"
import { Driver, synchronousConnect, synchronousRaw, type SynchronousStatements } from "../store/driver.ts"
import type { StoreError } from "../store/errors.ts"
import { storeLayer } from "../store/service.ts"
import { sqliteStatements, sqliteStore } from "../backends/sqlite/store.ts"

interface MemoryRow {
  state: string
  version: number
  fileId: string | null
  attempts: number
  round: number
}

/** The rows of the stand-in store, by path: one table shared by every connection to it. */
export type MemoryRows = Map<string, MemoryRow>

export const memoryRows = (paths: ReadonlyArray<string>): MemoryRows =>
  new Map(paths.map((path) => [path, { state: "untracked", version: 0, fileId: null, attempts: 0, round: 1 }]))

const TRANSITION = /^UPDATE files SET gemini_state = \?, version = \?, gemini_state_updated_at = \?(.*) WHERE file_path = \? AND gemini_state = \? AND version = \?$/

/** How one transition text's parameters are applied to a row: decoded once per text. */
interface TransitionShape {
  /** The columns its parameters set after the state timestamp, in order. */
  readonly columns: ReadonlyArray<string>
  readonly countsAttempt: boolean
}

const shapeOf = (sql: string): TransitionShape | null => {
  const match = TRANSITION.exec(sql)
  if (match === null) return null
  const rest = (match[1] ?? "").split(", ").filter((part) => part !== "")
  return {
    columns: rest.filter((part) => part.endsWith(" = ?")).map((part) => part.slice(0, -" = ?".length)),
    countsAttempt: rest.includes("upload_attempt_count = upload_attempt_count + 1")
  }
}

const CONTROL = new Set([sqliteStatements.begin, sqliteStatements.commit, sqliteStatements.rollback])
const READ_STATE_SQL = sqliteStatements.readState

/** The stand-in's statements over `rows`: what an actor sends, answered at once; anything else refused. */
export const memoryStatements = (rows: MemoryRows): SynchronousStatements => {
  const shapes = new Map<string, TransitionShape | null>()
  const refuse = (sql: string): never => {
    throw new Error(`the stand-in store does not answer: ${sql}`)
  }
  const read = (params: ReadonlyArray<unknown>) => {
    const row = rows.get(String(params[0]))
    return row === undefined ? [] : [{
      gemini_state: row.state,
      version: row.version,
      gemini_file_id: row.fileId,
      upload_attempt_count: row.attempts,
      upload_round: row.round
    }]
  }
  const write = (sql: string, params: ReadonlyArray<unknown>): { readonly changes: number } => {
    if (CONTROL.has(sql)) return { changes: 0 }
    let shape = shapes.get(sql)
    if (shape === undefined) {
      shape = shapeOf(sql)
      shapes.set(sql, shape)
    }
    if (shape === null) return refuse(sql)
    const n = params.length
    const row = rows.get(String(params[n - 3]))
    if (row === undefined || row.state !== params[n - 2] || row.version !== params[n - 1]) return { changes: 0 }
    row.state = String(params[0])
    row.version = Number(params[1])
    shape.columns.forEach((column, i) => {
      const value = params[3 + i]
      if (column === "gemini_file_id") row.fileId = value === null ? null : String(value)
      else if (column === "upload_attempt_count") row.attempts = Number(value)
      else if (column === "upload_round") row.round = Number(value)
    })
    if (shape.countsAttempt) row.attempts += 1
    return { changes: 1 }
  }
  return {
    rows: (sql, params) => (sql === READ_STATE_SQL ? read(params) : (write(sql, params), [])),
    raw: (sql, params) => (sql === READ_STATE_SQL ? read(params) : write(sql, params))
  }
}

/** A database of the stand-in: its setup statements (PRAGMAs) do nothing. */
const standIn = () => ({ exec: () => undefined, close: () => undefined })

/**
 * The stand-in store as a driver on the inline lane (as better-sqlite3 is),
 * answering the SQLite store's statements: every connection to any name sees `rows`.
 */
export const memoryDriver = (rows: MemoryRows): Layer.Layer<Driver> => {
  const statementsOn = () => memoryStatements(rows)
  const notBusy = () => false
  return Layer.effect(
    Driver,
    makeDriver("memory", synchronousConnect("memory", standIn, statementsOn, notBusy), notBusy, synchronousRaw(standIn, statementsOn))
  ).pipe(Layer.provide(storeLayer(sqliteStore)))
}

export interface HarnessSpec {
  readonly files: number
  readonly concurrency: number
  readonly mitigations: ReadonlyArray<string>
  readonly batch: BatchOptions
  readonly poolSize: number
  /** Untimed trials first (the JIT's warm-up), then the timed ones. */
  readonly warmup: number
  readonly trials: number
}

export interface HarnessTrial {
  readonly elapsedMs: number
  /** Files that reached `indexed` at version 3 (all of them, or the stand-in or the harness is broken). */
  readonly indexed: number
}

/**
 * The harness alone, timed: each trial (after `warmup` untimed ones) runs every file's actor from
 * untracked to indexed on the stand-in, at c=`concurrency` with the zero
 * profile (no API wait: its calls still yield) and the happy scenario, and is
 * timed as a run's elapsed time is (building the strategy to its teardown).
 */
export const measureHarness = (spec: HarnessSpec): Effect.Effect<ReadonlyArray<HarnessTrial>, StoreError> =>
  Effect.gen(function*() {
    const paths = Array.from({ length: spec.files }, (_, i) => `harness/file-${String(i).padStart(6, "0")}.pdf`)
    const label = mitigationLabel(spec.mitigations)
    const trials: Array<HarnessTrial> = []
    for (let i = 0; i < spec.warmup + spec.trials; i++) {
      const rows = memoryRows(paths)
      const labels = { run: `harness#${label}#${i}` }
      const part = yield* Effect.scoped(Effect.gen(function*() {
        const observer = yield* Effect.flatMap(Driver, (driver) => driver.open("memory")).pipe(
          Effect.orDieWith((e) => new Error(`the stand-in store did not open: ${e.message}`))
        )
        return yield* runActors(
          { profile: zero, seed: 1, retry: { maxAttempts: 1, baseSeconds: 1 }, scenario: "happy", clock: "real", concurrency: spec.concurrency, labels },
          strategy(builtInRegistry, spec.mitigations, { dbPath: "memory", batch: spec.batch, poolSize: spec.poolSize }),
          paths,
          makeRecorder(labels),
          observer
        )
      })).pipe(Effect.provide(memoryDriver(rows)))
      const indexed = [...rows.values()].filter((row) => row.state === "indexed" && row.version === 3).length
      if (i >= spec.warmup) trials.push({ elapsedMs: part.elapsedMs, indexed })
    }
    return trials
  })
