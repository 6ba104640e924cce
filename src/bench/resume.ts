/**
 * `--resume`: finish the batch a database holds after the run that wrote it
 * died (killed, crashed, the machine lost power). The production system's
 * crash-recovery story: every row is re-hydrated from its lifecycle columns
 * and driven on from where it stands; a row mid-upload (`uploading`, or
 * `processing` with its file id, its write-ahead intent still open) has the
 * API call its state implies made again, and counted. Terminal rows are only
 * read. Then integrity is checked over the whole batch, with each file's
 * committed transitions counted from the version it had before plus what
 * this pass committed, so that nothing done twice goes unseen.
 */
import * as Effect from "effect/Effect"
import { runExperiment } from "../actor/experiment.ts"
import { MitigationRegistry, mitigationLabel, strategy } from "../mitigations/registry.ts"
import type { Integrity } from "../results/schema.ts"
import { Driver } from "../store/driver.ts"
import type { StoreError } from "../store/errors.ts"
import { type BatchSummary, batchOf, type ForeignDatabase, hasFilesTable, migrate, readAll, withDatabase } from "../store/store.ts"
import { checkIntegrity } from "../verdict/integrity.ts"
import type { BenchConfig } from "./config.ts"
import { planOf } from "./plan.ts"
import { expectationOf } from "./trial.ts"

export interface ResumeReport {
  readonly concurrency: number
  readonly profile: string
  readonly mitigation: string
  readonly before: BatchSummary
  readonly after: BatchSummary
  /** Files that committed a transition or made an API call in this pass. */
  readonly resumedFiles: number
  readonly transitions: number
  /** API calls made again: the ones the resumed rows' states imply. */
  readonly apiCalls: number
  readonly elapsedSeconds: number
  readonly integrity: Integrity
}

/**
 * The batch `dbPath` holds, or null when it holds none (a new or empty
 * database). Read only: a database refused for the batch it holds is left
 * exactly as it was (not even migrated).
 */
export const batchIn = (dbPath: string): Effect.Effect<BatchSummary | null, StoreError, Driver> =>
  withDatabase(dbPath, (sql) =>
    Effect.flatMap(hasFilesTable(sql), (has) => (has ? batchOf(sql) : Effect.succeed(null)))).pipe(
      Effect.map((batch) => (batch === null || batch.files === 0 ? null : batch))
    )

export const resumeBatch = (
  config: BenchConfig,
  dbPath: string
): Effect.Effect<ResumeReport, StoreError | ForeignDatabase, Driver | MitigationRegistry> =>
  Effect.gen(function*() {
    const registry = yield* MitigationRegistry
    // The first configuration of the flags' matrix drives the rest of the batch.
    const plan = planOf(config, registry)
    const { profile, concurrency } = plan.cells[0] ?? plan.comparisonAt
    const { before, versions } = yield* withDatabase(dbPath, (sql) =>
      Effect.gen(function*() {
        yield* migrate(sql)
        const before = yield* batchOf(sql)
        const versions = new Map((yield* readAll(sql)).map((row) => [row.path, row.version]))
        return { before, versions }
      }))
    const retry = { maxAttempts: config.maxAttempts, baseSeconds: config.retryBaseSeconds }
    const m = yield* runExperiment({
      dbPath,
      files: before.files,
      concurrency,
      profile,
      seed: config.seed,
      strategy: strategy(registry, config.mitigations, { dbPath, batch: { batchSize: config.batchSize, failBatch: null }, poolSize: config.poolSize }),
      labels: { run: "resume" },
      clock: config.clock,
      retry,
      scenario: config.scenario,
      resume: true
    })
    const ledger = new Map([...versions].map(([path, version]) => [path, version + (m.ledger.get(path) ?? 0)]))
    const integrity = checkIntegrity({
      expectedFiles: before.files,
      stored: m.stored,
      ledger,
      failures: m.failures,
      expect: expectationOf({ profile, retry, scenario: config.scenario, seed: config.seed })
    })
    const after = yield* withDatabase(dbPath, batchOf)
    return {
      concurrency,
      profile: profile.name,
      mitigation: mitigationLabel(config.mitigations),
      before,
      after,
      resumedFiles: m.outcomes.filter((o) => o.persisted > 0 || o.apiCalls > 0).length,
      transitions: [...m.ledger.values()].reduce((a, b) => a + b, 0),
      apiCalls: m.outcomes.reduce((sum, o) => sum + o.apiCalls, 0),
      elapsedSeconds: m.elapsedMs / 1000,
      integrity
    }
  })

const states = (b: BatchSummary) =>
  Object.entries(b.byState).filter(([, n]) => n > 0).map(([state, n]) => `${n} ${state}`).join(", ")

/** The report in a few lines, for the terminal. */
export const resumeLines = (dbPath: string, r: ResumeReport): ReadonlyArray<string> => [
  `Resumed ${dbPath}: ${r.before.files} files; before: ${states(r.before)}` +
  (r.before.openIntents > 0 ? ` (${r.before.openIntents} with an open upload intent)` : ""),
  `Driven on at c=${r.concurrency} ${r.profile} ${r.mitigation}: ${r.resumedFiles} files, ${r.transitions} transitions ` +
  `committed, ${r.apiCalls} API calls (those their states imply), ${r.elapsedSeconds.toFixed(3)} s; now: ${states(r.after)}`,
  r.integrity.ok
    ? `Integrity over the whole batch: held (${r.integrity.transitions} transitions in the rows' versions, each ` +
      `file's equal to what was committed to it)`
    : `Integrity over the whole batch: FAILED (${r.integrity.problemCount} problems; first: ${r.integrity.problems[0] ?? ""})`
]
