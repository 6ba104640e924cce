/** Test fixtures: a throwaway database folder and an open, migrated, seeded connection. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { SqlClient } from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import { Effect } from "effect"
import { type ExperimentSpec, runExperiment } from "../src/actor/experiment.ts"
import type { StrategyLayer } from "../src/actor/strategy.ts"
import type { FloorParts } from "../src/mitigations/define.ts"
import { baseline, builtInRegistry, floorPlan } from "../src/mitigations/registry.ts"
import { timed } from "../src/metrics/timing.ts"
import { Driver } from "../src/store/driver.ts"
import { migrate, seedFiles, type TransitionWrite } from "../src/store/store.ts"

const created: Array<string> = []

/** A fresh temporary folder, removed when the test file ends (`test/setup.ts`). */
export const tempDir = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ufb-test-"))
  created.push(dir)
  return dir
}

/** Remove every folder `tempDir` made in this test file. */
export const removeTempDirs = (): void => {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
}

export const tempDb = (): string => path.join(tempDir(), "test.db")

/** Open a connection to `db` with the driver in context (scoped). */
export const open = (db: string) => Effect.flatMap(Driver, (driver) => driver.open(db))

/** Reserve the client's connection for `use`; the time spent waiting for it, with the body's value. */
export const withConnection = <A, E, R>(sql: SqlClient, use: (conn: Connection) => Effect.Effect<A, E, R>) =>
  Effect.scoped(
    Effect.gen(function*() {
      const [queueWaitMs, conn] = yield* timed(sql.reserve)
      const value = yield* use(conn)
      return { queueWaitMs, value }
    })
  )

/** A migrated database at `db` holding `files` untracked rows; the connection and the paths. */
export const seeded = (db: string, files: number) =>
  Effect.gen(function*() {
    const sql = yield* open(db)
    yield* migrate(sql)
    const paths = yield* seedFiles(sql, { files, seed: 42 })
    return { sql, paths }
  })

/** The start_upload write of `path`, expecting it at `expectedVersion`. */
export const startUpload = (path: string, expectedVersion: number): TransitionWrite => ({
  path,
  event: "start_upload",
  from: "untracked",
  to: "uploading",
  expectedVersion,
  at: "2026-01-01T00:00:00.000Z",
  set: [["intent_type", "upload"]],
  countsAttempt: true
})

let experiments = 0

/**
 * One experiment on a fresh database, with the tests' defaults: seed 42, the
 * real clock, 3 upload attempts with a 1 s backoff base, the happy path, the
 * baseline strategy. The driver comes from the caller's context.
 */
export const experiment = (
  spec: Pick<ExperimentSpec, "files" | "concurrency" | "profile"> & Partial<Omit<ExperimentSpec, "dbPath" | "strategy">>,
  strategyFor: (dbPath: string) => StrategyLayer = baseline
) => {
  const dbPath = tempDb()
  experiments += 1
  return runExperiment({
    dbPath,
    seed: 42,
    strategy: strategyFor(dbPath),
    clock: "real",
    retry: { maxAttempts: 3, baseSeconds: 1 },
    scenario: "happy",
    labels: { run: `test-${experiments}-${Math.random()}` },
    ...spec
  })
}

/** How the floor runs a set of built-in mitigations' storage work (batches of `batchSize`). */
export const partsOf = (set: ReadonlyArray<string>, batchSize: number): FloorParts => {
  const how = floorPlan(builtInRegistry, set, { dbPath: "", batch: { batchSize, failBatch: null }, poolSize: 1 })
  if ("none" in how) throw new Error(`no floor for ${set.join("+")}: ${how.none}`)
  return how.parts
}
