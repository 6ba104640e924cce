/**
 * upload-fsm-bench as a library: define your own mitigation, run a gate with
 * it from a program or a test, and read the typed result. Everything a user
 * imports comes from here.
 */

// ── Mitigations ────────────────────────────────────────────────────────────
/** Define a mitigation: its name, the service it replaces, its layer and its storage floor (`MitigationDefinitionError` for one that cannot work). */
export { defineMitigation, MitigationDefinitionError } from "./mitigations/define.ts"
/** What `defineMitigation` takes and gives, the services it can replace, the floor's parts and the layer's context. */
export type {
  AnyMitigation,
  BatchOptions,
  FloorParts,
  MitigationDefinition,
  MitigationSpec,
  NoFloor,
  Requirement,
  Service,
  ServiceTags,
  StrategyContext
} from "./mitigations/define.ts"
/** The three built-in mitigations, as `defineMitigation` values (a config may require them by name). */
export { batchedWrites } from "./mitigations/batchedWrites.ts"
export { inMemoryGuards } from "./mitigations/inMemoryGuards.ts"
export { sharedConnection } from "./mitigations/sharedConnection.ts"

// ── Config ─────────────────────────────────────────────────────────────────
/** Define a config: mitigations, a ladder, latency profiles, defaults for the bench's flags. */
export { defineConfig } from "./config/define.ts"
export type { BenchConfigFile, ConfigDefaults, ConfigSpec } from "./config/define.ts"

// ── Running ────────────────────────────────────────────────────────────────
/** The whole run as an Effect answering the result document; `runBenchPromise` as a Promise; `BenchError` when it cannot run. */
export { BenchError, runBench, runBenchPromise } from "./bench/run.ts"
export type { RunOptions } from "./bench/run.ts"
/**
 * Two result documents compared configuration by configuration, the ladder's steps included (the regression check of
 * `compare`): normalized by the machines' probes when they differ; failed by fail rules (`parseFailOn`'s spelling is
 * `--fail-on`'s). The vitest matchers are in `upload-fsm-bench/vitest`.
 */
export { compareResults, DEFAULT_COMPARE_NOISE, defaultRules, parseFailOn, rulesText } from "./verdict/compareResults.ts"
export type {
  CompareOptions,
  ConfigurationComparison,
  FailRule,
  Failure,
  MachineComparison,
  ResultsComparison,
  RuleMetric
} from "./verdict/compareResults.ts"
/** Saved baselines by name (`bench --save-baseline NAME`, `--baseline NAME`): read one, keep one, list a folder's. */
export { baselineFolder, readBaseline, saveBaseline, savedBaselines } from "./results/baselines.ts"
/** The result document's Schema (decode a `results-*.json` with it) and its type. */
export { Calibration, CatalogEntry, ResultsDocument, RunResult, SCHEMA_VERSION } from "./results/schema.ts"
/** A `results-*.json` file's text decoded (older schemas upgraded), or why it is not one. */
export { decodeResults } from "./results/files.ts"

// ── The strategy's services, to implement one ──────────────────────────────
/** Connections: which connection a file's database work goes through; the lease an actor holds on it. */
export { Connections, perFile, pooledLease, sharedLease } from "./actor/connections.ts"
export type { ConnectionsShape, LeaseShape } from "./actor/connections.ts"
/** Guard: the check before each write; the baseline reads the stored row. */
export { Guard, readingGuard } from "./actor/guard.ts"
export type { GuardShape, GuardTiming } from "./actor/guard.ts"
/** Writer: how a transition reaches the database; a ledger of what it committed; a write's timing. */
export { commitEach, makeLedger, Writer, writeTiming } from "./actor/writer.ts"
export type { WriterShape, WriterStats, WriteTiming } from "./actor/writer.ts"
/** The run's driver: how a layer opens connections to the run's store (SQLite or Postgres). */
export { Driver, DriverUnavailable } from "./store/driver.ts"
export type { DriverShape } from "./store/driver.ts"
/** Define a driver (a config's `drivers` add it to what `--driver` takes); the built-in drivers, to build on. */
export { defineDriver } from "./store/defineDriver.ts"
export type { DriverDefinition } from "./store/defineDriver.ts"
export { betterSqlite3, effectSqlite, nodeSqlite, postgresDriver, threaded } from "./backends/all.ts"
/** Define a store of your own (a config's `backends` add it to what `--store` takes): its store, drivers and target. */
export { defineBackend } from "./store/backend.ts"
export type { Backend } from "./store/backend.ts"
export { DatabasePathError, DatabaseUnavailable } from "./store/target.ts"
export type { Database, Target, TargetRequest } from "./store/target.ts"
/** The run's store: the statements it speaks (in its own SQL) and how it keeps its database. */
export { Store } from "./store/service.ts"
export type { Statements, StoreShape } from "./store/service.ts"
/** One transition in its own write transaction on a driver's connection (the store's BEGIN, the OCC UPDATE, COMMIT), timed; a file's state read, timed. */
export { transitionTransaction, timedReadState } from "./store/lanes.ts"
export type { TransactionTiming } from "./store/lanes.ts"
/** A transition as the writer receives it. */
export type { TransitionWrite } from "./store/store.ts"
/** The store's typed errors, and a driver's error made one. */
export { OccConflict, StoreError } from "./store/errors.ts"
export { storeError } from "./store/transaction.ts"
/** The lifecycle: states, events, the transition table. */
export { Events, States, Transitions } from "./lifecycle/fsm.ts"
export type { Event, State } from "./lifecycle/fsm.ts"
