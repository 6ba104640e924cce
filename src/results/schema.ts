/**
 * The result document, as one Effect Schema: what `results-*.json` holds,
 * written with this Schema's encoder and read back (by compare) with its
 * decoder. `results/schema.json` is exported from it (`jsonSchema.ts`).
 * Every other module takes its result types from here, so the document has
 * one definition. Raising SCHEMA_VERSION is how a change of shape is told.
 */
import * as Schema from "effect/Schema"
import { LatencyProfile } from "../api/profiles.ts"
import { Events, States } from "../lifecycle/fsm.ts"
import { SegmentNames } from "../metrics/segments.ts"
import { Services } from "../mitigations/define.ts"
import { recordedDocumentFields } from "../config/recorded.ts"

export const SCHEMA_VERSION = 7
/** The `$id` of `results/schema.json`, and the `$schema` every results file carries. */
export const SCHEMA_ID = `urn:upload-fsm-bench:results:${SCHEMA_VERSION}`

const Count = Schema.Number
/**
 * A field with its description: it lands in `results/schema.json` and in the
 * generated `docs/reference/results.md`, so the document is described once.
 */
const field = <S extends Schema.Schema.All>(schema: S, description: string) =>
  Schema.propertySignature(schema).annotations({ description })

export const Interval = Schema.Tuple(Schema.Number, Schema.Number).annotations({
  identifier: "Interval",
  description: "a 95% bootstrap interval: [low, high], in the unit of the figure it bounds"
})
export type Interval = typeof Interval.Type

export const SegmentName = Schema.Literal(...SegmentNames)
/** A value per segment, keyed by segment name. */
export const BySegment = <A, I>(value: Schema.Schema<A, I>) => Schema.Record({ key: SegmentName, value })
const ByEvent = Schema.Record({ key: Schema.Literal(...Events), value: Count })
const ByState = Schema.Record({ key: Schema.Literal(...States), value: Count })

export const SegmentStats = Schema.Struct({
  p50: field(Schema.Number, "50th percentile (nearest rank), ms"),
  p95: field(Schema.Number, "95th percentile (nearest rank), ms"),
  p99: field(Schema.Number, "99th percentile (nearest rank), ms"),
  mean: field(Schema.Number, "mean, ms"),
  min: field(Schema.Number, "smallest file's value, ms"),
  max: field(Schema.Number, "largest file's value, ms")
}).annotations({
  identifier: "SegmentStats",
  description: "one segment's statistics over a trial's files, exact from the raw per-file samples (a run's: medians over its trials)"
})
export type SegmentStats = typeof SegmentStats.Type

export const Histogram = Schema.Struct({
  zero: field(Count, "files whose value was 0 (at or below 0)"),
  buckets: field(
    Schema.Array(Schema.Tuple(Count, Count)),
    "[index, count] pairs, only non-empty buckets: bucket i holds values in [10^(i/20), 10^((i+1)/20)) µs"
  )
}).annotations({
  identifier: "Histogram",
  description: "a segment's per-file values in log buckets (20 per decade): enough to redraw their distribution"
})

export const WalVerdict = Schema.Literal("CLEAN", "MINOR", "CONTENTION")
export type WalVerdict = typeof WalVerdict.Type

export const WalReport = Schema.Struct({
  bytesStart: field(Count, "WAL file size after seeding (the WAL is truncated then), bytes"),
  bytes: field(Count, "WAL file size at the end of the run, connections still open, bytes"),
  checkpoints: field(Schema.NullOr(Count), "checkpoints that restarted the WAL during the run; null when unknown (Postgres)"),
  busy: field(Count, "SQLITE_BUSY answers seen while waiting for the write lock (counted in the connection's thread on `threaded`)"),
  busyWaitMs: field(Schema.Number, "time from each wait's first busy answer until the lock was taken, summed over files, ms"),
  busyShareOfDb: field(Schema.Number, "busyWaitMs over all files' db_total_ms: the share of database time spent retrying"),
  seedRatio: field(Schema.Number, "lock_wait_ms P95 / db_total_ms P95: the original plan's contention ratio"),
  verdict: field(WalVerdict, "CLEAN: no busy answer; MINOR: retrying at most 5% of database time; CONTENTION: above 5%")
}).annotations({ identifier: "WalReport", description: "the write-ahead log and the write lock during one run" })
export type WalReport = typeof WalReport.Type

export const Integrity = Schema.Struct({
  ok: field(Schema.Boolean, "no problem found"),
  files: field(Count, "rows in the batch"),
  indexed: field(Count, "rows in state indexed"),
  finalStates: field(ByState, "rows per final state"),
  transitions: field(Count, "transitions persisted, counted from the rows' versions"),
  problems: field(Schema.Array(Schema.String), "the first problems found (at most 20), each one line"),
  problemCount: field(Count, "all problems found"),
  lockTimeouts: field(
    Count,
    "files that gave up waiting for SQLite's write lock (its 5 s timeout): not a problem with the data (their rows must still " +
      "match what was committed), but files the run did not finish; a threshold fails on them"
  ),
  occConflicts: field(
    Count,
    "files whose actor stopped on an OCC conflict (its write found the row at another state or version), each also a problem: " +
      "every actor owns its file, so any is a lost update, never contention"
  )
}).annotations({ identifier: "Integrity", description: "the check of the store after a trial: every row where its scenario says it must end" })
export type Integrity = typeof Integrity.Type

export const Recovery = Schema.Struct({
  failedCommits: field(Count, "batch commits that failed (`--fail-batch`)"),
  lostTransitions: field(Count, "transitions reported persisted to actors, then rolled back"),
  inconsistentFiles: field(Count, "files whose actor finished believing a state the database does not hold"),
  failedFiles: field(Count, "files whose actor stopped on an error (e.g. an OCC conflict after its earlier write was lost)"),
  redoneFiles: field(Count, "files re-hydrated from the database and driven to the end again"),
  redoneApiCalls: field(Count, "API calls made again by redone files"),
  passes: field(Count, "recovery passes run"),
  seconds: field(Schema.Number, "time the recovery took (inside the run's elapsed time), s")
}).annotations({ identifier: "Recovery", description: "what a failed batch commit cost, and what it took to repair" })
export type Recovery = typeof Recovery.Type

export const StrategyNames = Schema.Struct({
  connections: field(Schema.String, "the Connections layer: per-file, shared, or a mitigation's"),
  guard: field(Schema.String, "the Guard layer: db-read, in-memory, or a mitigation's"),
  writer: field(Schema.String, "the Writer layer: commit-each, batched-N, or a mitigation's")
}).annotations({ identifier: "StrategyNames", description: "the layers a configuration ran its actors with" })
export type StrategyNames = typeof StrategyNames.Type

export const RunClock = Schema.Literal("simulated", "real")

/** Who ran a trial's files on the cluster. */
export const ClusterTrial = Schema.Struct({
  engine: field(Schema.String, "the engine and its version: `@effect/cluster 0.60.2`"),
  runners: field(
    Schema.Array(Schema.Struct({
      address: field(Schema.String, "the runner's HOST:PORT"),
      files: field(Count, "the files' messages it answered")
    })),
    "every runner the trial was opened on"
  ),
  lost: field(
    Schema.Array(Schema.String),
    "runners lost during the trial (their files finished by the others); when any, the trial's elapsed time is the run's process's own and the trial is flagged"
  )
}).annotations({ identifier: "ClusterTrial", description: "who ran a trial's files on the cluster" })

/** One trial of one configuration, as exact statistics over its files. */
export const Trial = Schema.Struct({
  concurrency: field(Count, "actors in flight at most"),
  profile: field(Schema.String, "the latency profile"),
  delaySeconds: field(Schema.Number, "mean seconds per API call of the profile's models (0 for zero)"),
  mitigation: field(Schema.String, "baseline, or the label of the mitigation set"),
  strategy: field(StrategyNames, "the layers it ran with"),
  elapsedSeconds: field(Schema.Number, "from building the strategy's layers to their teardown (simulated under the time warp), s"),
  filesPerSecond: field(Schema.Number, "files / elapsedSeconds"),
  transitions: field(Count, "persisted transitions (3 per file on the happy path)"),
  transitionsPerSecond: field(Schema.Number, "transitions / elapsedSeconds"),
  indexed: field(Count, "files that ended indexed"),
  maxInFlight: field(Count, "most actors in flight at once (on runners: file messages out at once)"),
  workers: field(Count, "the processes its actors ran in: 1, or the runners that ran its files (`--workers`)"),
  cluster: Schema.optional(ClusterTrial).annotations({
    description: "on @effect/cluster runners (`--workers`): the engine, who ran the files, any runner lost; absent in one process"
  }),
  segments: field(BySegment(SegmentStats), "every segment's statistics over the files, ms"),
  segmentTotalsMs: field(BySegment(Schema.Number), "each segment summed over files, ms: what the share-of-time bottleneck rule reads"),
  distribution: field(BySegment(Histogram), "every file's value of each segment, in log buckets (a run's: all its counted trials)"),
  accounting: field(
    Schema.Struct({
      fileSeconds: field(Schema.Number, "files' wall times summed, s"),
      meanInFlight: field(Schema.Number, "fileSeconds / elapsed: files in flight on average (below the concurrency when the runner refills a slot late)")
    }),
    "how full the runner kept its slots"
  ),
  wal: field(WalReport, "the write-ahead log and the write lock"),
  integrity: field(Integrity, "the store checked afterwards"),
  recovery: field(Schema.NullOr(Recovery), "null unless a batch commit failed"),
  clock: field(RunClock, "simulated when the time warp skipped API waits: elapsed, segments and thresholds are then simulated time"),
  skippedSeconds: field(Schema.Number, "simulated seconds the warp skipped (0 in real time)"),
  api: field(
    Schema.Struct({
      calls: field(Count, "API calls answered"),
      failures: field(Count, "calls that failed (the profile's failure probability)"),
      timeouts: field(Count, "calls that timed out (the profile's timeout)"),
      rateLimited: field(Count, "429 answers from the profile's rate limit")
    }),
    "the simulated API's answers"
  ),
  transitionsByEvent: field(ByEvent, "transitions committed per event")
}).annotations({ identifier: "Trial" })
export type Trial = typeof Trial.Type

export const TrialSummary = Schema.Struct({
  elapsedSeconds: field(Schema.Number, "the trial's elapsed time, s"),
  segments: field(BySegment(SegmentStats), "the trial's segment statistics, ms"),
  wal: field(
    Schema.Struct({
      bytes: field(Count, "WAL size at the end, bytes"),
      busy: field(Count, "SQLITE_BUSY answers"),
      verdict: field(WalVerdict, "the trial's WAL verdict")
    }),
    "the trial's WAL figures"
  ),
  integrityOk: field(Schema.Boolean, "the trial's integrity check held"),
  recovery: field(Schema.NullOr(Recovery), "null unless a batch commit failed"),
  cluster: Schema.optional(ClusterTrial).annotations({
    description: "on runners: who ran the trial's files, and any runner lost (such a trial's elapsed time is left out of the run's medians while a clean trial remains)"
  })
}).annotations({ identifier: "TrialSummary", description: "one counted trial of a run" })
export type TrialSummary = typeof TrialSummary.Type

export const Floor = Schema.Struct({
  elapsedSeconds: field(Schema.Number, "the median of the loop's runs, s"),
  runs: field(Schema.NonEmptyArray(Schema.Number), "each run of the loop, s"),
  transitions: field(Count, "transitions the loop wrote per run (the configuration's last counted trial's, replayed)")
}).annotations({
  identifier: "Floor",
  description: "the storage floor of a configuration: its statements run by a plain loop on the raw driver, one file after another, no Effect"
})
export type Floor = typeof Floor.Type

export const RunResult = Schema.Struct({
  ...Trial.fields,
  floor: field(Schema.NullOr(Floor), "the storage floor; null when it was not measured (floorUnavailable says why)"),
  floorUnavailable: field(
    Schema.NullOr(Schema.String),
    "why this configuration has no floor (and so no efficiency): a mitigation that declares none, or the floor's loop failing; null when it has one"
  ),
  efficiency: field(
    Schema.NullOr(Schema.Number),
    "floor.elapsedSeconds / the run's own time (elapsed less the simulated time the warp skipped), median over trials: " +
      "1 would be no cost beyond the storage work"
  ),
  trials: field(Count, "counted trials"),
  warmup: field(Count, "discarded warm-up trials before them"),
  ci: field(
    Schema.Struct({
      elapsedSeconds: field(Interval, "95% interval of the median elapsed time"),
      segments: field(
        BySegment(Schema.Struct({ p50: Interval, p95: Interval, p99: Interval })),
        "95% intervals of each segment's P50, P95 and P99"
      )
    }),
    "95% bootstrap intervals (2,000 resamples of the trials, percentile method)"
  ),
  trialResults: field(Schema.NonEmptyArray(TrialSummary), "every counted trial"),
  stability: Schema.optional(Schema.Struct({
    cv: field(Schema.Number, "the counted trials' elapsed times: standard deviation ÷ mean"),
    outliers: field(Schema.Array(Count), "the trials (0-based among trialResults) whose modified Z-score is over 3.5"),
    unstable: field(Schema.Boolean, "cv over 10% or an outlier among the trials")
  })).annotations({ description: "how steady the trials were; absent in documents written before it was recorded" }),
  adaptive: Schema.optional(Schema.Struct({
    reason: field(Schema.Literal("interval", "cap"), "interval: every side's 95% interval of its median elapsed came within the target; cap: --max-trials came first"),
    halfWidthShare: field(Schema.Number, "this configuration's 95% interval half-width as a share of its median elapsed when its trials stopped"),
    target: field(Schema.Number, "--target-ci"),
    maxTrials: field(Count, "--max-trials")
  })).annotations({
    description: "with --target-ci, for a configuration that decides something (c=10 zero, a ladder step): why its trials stopped where they did"
  })
}).annotations({
  identifier: "RunResult",
  description: "one configuration (concurrency × profile × mitigation set), its trials combined: every figure the median over trials"
})
export type RunResult = typeof RunResult.Type

export const ChangeVerdict = Schema.Literal("improved", "regressed", "no significant change", "n/a")
export type ChangeVerdict = typeof ChangeVerdict.Type

export const ComparisonRow = Schema.Struct({
  metric: field(Schema.Literal("elapsed", ...SegmentNames), "elapsed, or a segment name (its P95)"),
  unit: field(Schema.Literal("s", "ms"), "s for elapsed, ms for a segment"),
  before: field(Schema.Number, "the before side's median"),
  after: field(Schema.Number, "the after side's median"),
  delta: field(Schema.Number, "after − before"),
  deltaPercent: field(Schema.NullOr(Schema.Number), "(after − before) / before, in percent; null when before is 0"),
  ratio: field(Schema.NullOr(Schema.Number), "after / before; null when before is 0"),
  ci: field(Schema.NullOr(Interval), "95% bootstrap interval of the ratio (both sides resampled); null with fewer than 3 trials a side"),
  verdict: field(
    ChangeVerdict,
    "improved or regressed only when the interval excludes 1 and the change exceeds --noise; n/a when before is 0 or no interval"
  )
}).annotations({ identifier: "ComparisonRow", description: "one metric before and after a mitigation" })
export type ComparisonRow = typeof ComparisonRow.Type

/** A mitigation's name: one the run registered (built-in, or its config file's; see `catalog`). */
export const MitigationName = Schema.String

export const MitigationOrigin = Schema.Union(
  Schema.Struct({ kind: Schema.Literal("built-in") }),
  Schema.Struct({
    kind: Schema.Literal("config"),
    path: field(Schema.String, "the config file"),
    sha256: field(Schema.String, "SHA-256 of its content")
  }),
  Schema.Struct({ kind: Schema.Literal("program") })
).annotations({
  identifier: "MitigationOrigin",
  description: "where a registered mitigation came from: the project, a config file, or a program's value (`runBench`)"
})

export const CatalogEntry = Schema.Struct({
  name: field(MitigationName, "for --mitigations, the ladder and the results"),
  short: field(Schema.String, "its short name in the answer's ranking"),
  replaces: field(Schema.Literal(...Services), "the baseline service its layer replaces"),
  requires: field(Schema.Array(MitigationName), "mitigations it must run with"),
  summary: field(Schema.String, "what it changes"),
  risk: field(Schema.NullOr(Schema.String), "what adopting it risks; null when nothing"),
  noFloor: field(Schema.NullOr(Schema.String), "why the storage floor cannot run its storage work; null when it can"),
  origin: field(MitigationOrigin, "where it came from")
}).annotations({ identifier: "CatalogEntry", description: "a mitigation the run registered, as its definition describes it" })
export type CatalogEntry = typeof CatalogEntry.Type

export const Step = Schema.Struct({
  mitigation: field(Schema.String, "the set's label"),
  mitigations: field(Schema.Array(MitigationName), "the set's mitigations"),
  before: field(RunResult, "the baseline, measured beside it"),
  after: field(RunResult, "the set"),
  rows: field(Schema.Array(ComparisonRow), "elapsed and every segment's P95, before and after"),
  meetsThreshold1: field(Schema.Boolean, "the set's median elapsed time meets Threshold 1")
}).annotations({ identifier: "Step", description: "one compared mitigation set: a ladder step, or the --mitigations set" })
export type Step = typeof Step.Type

export const LadderMode = Schema.Literal("first", "full")
export type LadderMode = typeof LadderMode.Type

export const Comparisons = Schema.Struct({
  mode: field(LadderMode, "full: every step in rounds with one baseline series; first: each step beside its own, stopping at the first that meets Threshold 1"),
  steps: field(Schema.Array(Step), "the steps measured, in ladder order"),
  firstSuccess: field(Schema.NullOr(Schema.String), "the first step that met Threshold 1, if any")
}).annotations({ identifier: "Comparisons", description: "the before/after comparisons at the comparison configuration" })
export type Comparisons = typeof Comparisons.Type

export const LeafFigure = Schema.Struct({
  segment: field(SegmentName, "a leaf of fsm_net_ms"),
  p95: field(Schema.Number, "its P95, ms"),
  share: field(Schema.Number, "its fraction of the summed fsm_net_ms of all files")
}).annotations({ identifier: "LeafFigure", description: "one leaf of fsm_net_ms in the bottleneck analysis" })
export type LeafFigure = typeof LeafFigure.Type

export const Bottleneck = Schema.Struct({
  run: field(
    Schema.Struct({ concurrency: field(Count, "its concurrency"), profile: field(Schema.String, "its profile") }),
    "the run analysed: c=10 zero, or the zero run closest to c=10"
  ),
  byP95: field(LeafFigure, "the leaf with the highest P95 (the original plan's rule)"),
  byShare: field(LeafFigure, "the leaf with the largest share of all files' time"),
  agree: field(Schema.Boolean, "both rules name the same leaf"),
  leaves: field(Schema.Array(LeafFigure), "every leaf")
}).annotations({ identifier: "Bottleneck", description: "where the time outside the API goes" })
export type Bottleneck = typeof Bottleneck.Type

export const ThresholdVerdict = Schema.Literal("PASS", "FAIL", "NOT_RUN")
export type ThresholdVerdict = typeof ThresholdVerdict.Type

export const ThresholdResult = Schema.Struct({
  name: field(Schema.String, "Threshold 1 or Threshold 2"),
  profile: field(Schema.String, "the profile it is defined on"),
  concurrency: field(Count, "the concurrency it is defined at"),
  limitSeconds: field(Schema.Number, "the limit (--threshold-zero, --threshold-realistic), s"),
  measuredSeconds: field(Schema.NullOr(Schema.Number), "the configuration's median elapsed time; null when not run"),
  clock: field(Schema.NullOr(RunClock), "whether measuredSeconds is simulated time (the time warp) or real time"),
  marginSeconds: field(Schema.NullOr(Schema.Number), "limit − measured, when measured"),
  delaySeconds: field(Schema.NullOr(Schema.Number), "the profile's mean seconds per API call"),
  floorSeconds: field(Schema.NullOr(Schema.Number), "files × calls × delay / concurrency: no run can be faster (realistic only)"),
  verdict: field(ThresholdVerdict, "NOT_RUN when its configuration is not in the matrix, never PASS"),
  note: field(Schema.NullOr(Schema.String), "set when the run's conditions differ from the original plan's definition, or files gave up on the lock")
}).annotations({ identifier: "ThresholdResult", description: "one threshold of the gate" })
export type ThresholdResult = typeof ThresholdResult.Type

export const Growth = Schema.Literal("sub-linear", "linear", "super-linear")
export type Growth = typeof Growth.Type

export const ProfileScaling = Schema.Struct({
  profile: field(Schema.String, "the profile"),
  points: field(
    Schema.Array(Schema.Struct({ concurrency: field(Count, "a level run"), fsmNetP95: field(Schema.Number, "its fsm_net_ms P95, ms") })),
    "fsm_net_ms P95 per concurrency level"
  ),
  slope: field(Schema.NullOr(Schema.Number), "least-squares slope of ln(fsm_net P95) on ln(concurrency); null with fewer than two levels"),
  growth: field(Schema.NullOr(Growth), "sub-linear below 0.85, linear 0.85–1.15, super-linear above"),
  bottleneckChange: field(
    Schema.NullOr(Schema.Struct({
      from: field(Schema.Struct({ concurrency: field(Count, "c=10"), segment: field(SegmentName, "its largest leaf") }), "the largest leaf at c=10"),
      to: field(Schema.Struct({ concurrency: field(Count, "the highest level run"), segment: field(SegmentName, "its largest leaf") }), "the largest leaf at the highest level"),
      changed: field(Schema.Boolean, "the two differ"),
      lockWaitP95Ratio: field(Schema.NullOr(Schema.Number), "lock_wait_ms P95 at the highest level over at the lower")
    })),
    "whether the bottleneck leaf moves with concurrency; null with one level"
  )
}).annotations({ identifier: "ProfileScaling", description: "how fsm_net_ms grows with concurrency, per profile" })
export type ProfileScaling = typeof ProfileScaling.Type

export const CriterionVerdict = Schema.Literal("PASS", "FAIL", "NOT_EVALUATED")
export type CriterionVerdict = typeof CriterionVerdict.Type
export const GateVerdict = Schema.Literal("PASS", "FAIL", "INCOMPLETE")
export type GateVerdict = typeof GateVerdict.Type

export const Criterion = Schema.Struct({
  verdict: field(CriterionVerdict, "NOT_EVALUATED when its evidence was not measured (e.g. --ladder off for SC2)"),
  evidence: field(Schema.String, "the figures it rests on, one line")
}).annotations({ identifier: "Criterion", description: "one criterion of VLID-06" })
export type Criterion = typeof Criterion.Type

/** The gate path: A, the baseline met Threshold 1; B, it did not (the ladder decides). */
export const GatePath = Schema.NullOr(Schema.Literal("A", "B"))
export type GatePath = typeof GatePath.Type

export const Gate = Schema.Struct({
  verdict: field(GateVerdict, "PASS when SC1–SC3 all pass; FAIL when one failed; INCOMPLETE when one was not evaluated"),
  path: field(GatePath, "A: the baseline met Threshold 1; B: it did not, and the ladder decides; null when c=10 zero was not run"),
  criteria: field(
    Schema.Struct({
      SC1: field(Criterion, "throughput measured: transitions/s, elapsed and P95 at c=10 zero, integrity held"),
      SC2: field(Criterion, "the bottleneck named with evidence and at least one mitigation measured before/after"),
      SC3: field(Criterion, "the thresholds defined and met (on path B, by the first ladder step that meets Threshold 1)")
    }),
    "the three criteria"
  )
}).annotations({ identifier: "Gate", description: "the VLID-06 gate verdict" })
export type Gate = typeof Gate.Type

export const Environment = Schema.Struct({
  runtime: field(Schema.String, "node or deno"),
  runtimeVersion: field(Schema.String, "the runtime's version"),
  storeVersion: field(Schema.String, "the store and its version: SQLite 3.x, or PostgreSQL's version()"),
  driver: field(Schema.String, "the run's driver"),
  cpuModel: field(Schema.String, "the CPU as the OS names it"),
  cpuCount: field(Count, "logical CPUs"),
  memoryGiB: field(Schema.Number, "the machine's memory, GiB"),
  os: field(Schema.String, "OS, release and architecture"),
  gitCommit: field(Schema.String, "the project's commit, or unknown"),
  gitDirty: field(Schema.NullOr(Schema.Boolean), "uncommitted changes in the work tree when the run started; null when unknown")
}).annotations({ identifier: "Environment", description: "where the run was measured" })
export type Environment = typeof Environment.Type

export const ComparisonAt = Schema.Struct({
  concurrency: field(Count, "its concurrency"),
  profile: field(Schema.String, "its profile")
})

export const DocumentConfig = Schema.Struct({
  // The options recorded as they are, each described by its flag and its help (`config/recorded.ts`).
  ...recordedDocumentFields,
  concurrency: field(Schema.Array(Count), "--concurrency"),
  profiles: field(Schema.Array(Schema.String), "--profiles, with the profile file's"),
  profileDefinitions: field(Schema.Array(LatencyProfile), "every profile run, as run: its latency model per call type, failures, timeouts and rate limit"),
  realisticDelaySeconds: field(Schema.Number, "--realistic-delay"),
  db: field(Schema.String, "the database used: a file, a temporary file, or the Postgres database (password redacted)"),
  thresholdZeroSeconds: field(Schema.Number, "--threshold-zero"),
  thresholdRealisticSeconds: field(Schema.Number, "--threshold-realistic"),
  store: field(Schema.String, "where lifecycle state was kept: sqlite (a SQLite file), postgres (a PostgreSQL server), or a config's own store"),
  workers: field(Count, "the most processes a configuration's actors ran in (--workers, or the count of --runners; 1: the run's own)"),
  driver: field(Schema.String, "--driver"),
  contrast: field(Schema.NullOr(Schema.String), "the driver measured beside the run's at the comparison configuration; null for none"),
  mitigations: field(Schema.Array(MitigationName), "--mitigations: the set applied to the matrix"),
  mitigation: field(Schema.String, "the label of that set (baseline when none)"),
  ladder: field(Schema.Literal("first", "full", "off"), "--ladder"),
  trials: field(Count, "counted trials per configuration at the comparison concurrency (c=10)"),
  otherTrials: field(Count, "counted trials per configuration at the other concurrency levels"),
  failBatch: field(Schema.NullOr(Count), "--fail-batch; null when not given"),
  retryBaseSeconds: field(Schema.Number, "--retry-base"),
  transitionsPerFile: field(Count, "persisted transitions per file on the happy path"),
  apiCallsPerFile: field(Count, "API calls per file on the happy path"),
  comparisonAt: field(ComparisonAt, "where before/after comparisons are measured")
}).annotations({ identifier: "DocumentConfig", description: "the run's configuration: every flag's value as used" })
export type DocumentConfig = typeof DocumentConfig.Type

export const OutputFiles = Schema.Struct({
  results: field(Schema.String, "results-*.json"),
  mitigation: field(Schema.NullOr(Schema.String), "results-mitigation-*.json; null when nothing was compared"),
  summary: field(Schema.String, "summary-*.md"),
  report: field(Schema.NullOr(Schema.String), "report-*.html; null when none was written (an interrupted run, or one interrupted while rendering it)")
}).annotations({ identifier: "OutputFiles", description: "the names of the files the run wrote in its output folder" })
export type OutputFiles = typeof OutputFiles.Type

export const Answer = Schema.Struct({
  driver: field(Schema.String, "the driver every figure here was measured with"),
  persistenceMsPerFile: field(
    Schema.NullOr(Schema.Number),
    "mean per file of connect_ms + db_total_ms (everything persistence does), in the run named by persistenceRun, ms"
  ),
  persistenceRun: field(Schema.NullOr(ComparisonAt), "the run persistence is priced in: c=10 realistic, else c=10 zero; null when neither was run"),
  persistenceShare: field(
    Schema.NullOr(Schema.Number),
    "(elapsed − API floor) / elapsed of the c=10 realistic run: the part of the batch that is not waiting on the API; null when not run"
  ),
  floor: field(
    Schema.NullOr(Schema.Struct({
      elapsedSeconds: field(Schema.Number, "the run's elapsed time, s"),
      floorSeconds: field(Schema.Number, "files × calls × delay / concurrency, s"),
      clock: field(RunClock, "the clock elapsedSeconds is in")
    })),
    "the c=10 realistic run against its API floor"
  ),
  bottleneck: field(
    Schema.Array(Schema.Struct({
      concurrency: field(Count, "a concurrency of the zero profile"),
      leaf: field(SegmentName, "the fsm_net leaf with the largest share there"),
      share: field(Schema.Number, "its share of all files' fsm_net_ms")
    })),
    "per concurrency of the zero profile: where the time outside the API goes"
  ),
  mitigations: field(
    Schema.Array(Schema.Struct({
      set: field(Schema.String, "the set's label"),
      elapsedRatio: field(Schema.NullOr(Schema.Number), "median elapsed after / before"),
      ci: field(Schema.NullOr(Interval), "its 95% interval"),
      verdict: field(ChangeVerdict, "its verdict")
    })),
    "the compared mitigation sets, best first"
  ),
  contrast: field(
    Schema.NullOr(Schema.Struct({
      driver: field(Schema.String, "the contrast driver"),
      concurrency: field(Count, "the comparison configuration's concurrency"),
      profile: field(Schema.String, "its profile"),
      elapsedSeconds: field(Schema.Number, "the contrast baseline's median elapsed time, s"),
      lockWaitP95Ms: field(Schema.Number, "its lock_wait_ms P95, ms"),
      leaf: field(SegmentName, "its largest fsm_net leaf"),
      share: field(Schema.Number, "that leaf's share")
    })),
    "the contrast driver's baseline at the comparison configuration; null when none was run"
  ),
  drivers: Schema.optional(Schema.Array(Schema.Struct({
    name: field(Schema.String, "the run's driver, or its contrast driver"),
    summary: field(Schema.String, "what its figures stand for, in a few words (its definition's)"),
    inline: field(Schema.Boolean, "whether its connections in one process never wait for the write lock (they run inline)")
  }))).annotations({ description: "the drivers named above, as their definitions describe them; absent in documents written before it was recorded" })
}).annotations({
  identifier: "Answer",
  description: "the answer in a few figures: what persisting costs, where its time goes, which mitigation helps most (the terminal's first lines)"
})

export const Contrast = Schema.Struct({
  driver: field(Schema.String, "the contrast driver"),
  run: field(RunResult, "its baseline at the comparison configuration")
}).annotations({
  identifier: "Contrast",
  description: "another driver's baseline at the comparison configuration (c=10 zero), measured beside the run's, outside the gate"
})
export type Contrast = typeof Contrast.Type
export type Answer = typeof Answer.Type

/** What every document of a run opens with: its schema, when, where and how it was measured. */
const Header = {
  $schema: field(Schema.Literal(SCHEMA_ID), "the $id of the JSON Schema it validates against (results/schema.json)"),
  schemaVersion: field(Schema.Literal(SCHEMA_VERSION), "raised whenever the document's shape changes"),
  createdAt: field(Schema.String, "when the run started, ISO 8601 UTC"),
  partial: field(Schema.Boolean, "true when the run was interrupted: only the configurations completed before it are here, and no comparisons"),
  environment: field(Environment, "where it was measured"),
  config: field(DocumentConfig, "how it was run"),
  catalog: field(Schema.Array(CatalogEntry), "every mitigation the run registered: the built-ins, then its config file's")
}

export const CalibrationProbe = Schema.Struct({
  at: field(Schema.String, "when it was taken: start, end, or the label of the configuration measured just before it"),
  cpuMs: field(Schema.Number, "the CPU probe, ms"),
  storageMs: field(Schema.NullOr(Schema.Number), "the storage probe, ms; null when the store is not probed or the probe failed")
}).annotations({ identifier: "CalibrationProbe", description: "one probe of the machine's speed" })

export const Calibration = Schema.Struct({
  cpu: field(Schema.String, "what the CPU probe computes"),
  storage: field(Schema.NullOr(Schema.String), "what the storage probe writes; null when the store is not probed"),
  storageUnavailable: field(Schema.NullOr(Schema.String), "why there is no storage probe; null when there is one"),
  probes: field(Schema.Array(CalibrationProbe), "every probe, in the order taken: at the start, after each configuration, at the end"),
  drift: field(
    Schema.Struct({
      cpu: field(Schema.Number, "slowest ÷ fastest CPU probe, the series smoothed by a running median of three"),
      storage: field(Schema.NullOr(Schema.Number), "the same of the storage probes (reported, not judged); null without storage probes")
    }),
    "how far the machine moved during the run"
  ),
  threshold: field(Schema.Number, "a CPU drift above this means the machine moved"),
  shifted: field(Schema.Boolean, "the CPU drift was above the threshold"),
  hit: field(Schema.Array(Schema.String), "the configurations measured beside a (smoothed) CPU probe slower than the fastest by more than the threshold")
}).annotations({
  identifier: "Calibration",
  description: "the machine's speed probed during the run (a fixed computation and a loop of commits): what `compare` normalizes by"
})
export type Calibration = typeof Calibration.Type

/** The whole result document of a run. */
export const ResultsDocument = Schema.Struct({
  ...Header,
  answer: field(Answer, "the answer's figures"),
  runs: field(Schema.Array(RunResult), "one per configuration of the matrix"),
  bottleneck: field(Schema.NullOr(Bottleneck), "the bottleneck analysis; null when no zero run was measured"),
  thresholds: field(Schema.Array(ThresholdResult), "Threshold 1 and Threshold 2"),
  scaling: field(Schema.Array(ProfileScaling), "per profile"),
  comparisons: field(Schema.NullOr(Comparisons), "the before/after comparisons: ladder steps, or the --mitigations set; null with --ladder off and no set"),
  contrast: field(Schema.NullOr(Contrast), "the contrast driver's run, outside the gate; null when none was run"),
  integrity: field(
    Schema.Struct({
      ok: field(Schema.Boolean, "every run's integrity held"),
      failedRuns: field(Schema.Array(Schema.String), "the runs whose integrity failed")
    }),
    "integrity over the whole run"
  ),
  files: field(Schema.NullOr(OutputFiles), "the files written; null when none were (`runBench` without `out`)"),
  gate: field(Gate, "the verdict"),
  calibration: Schema.optional(Calibration).annotations({
    description: "the machine's probes during the run; absent in documents written before it was recorded"
  }),
  exports: Schema.optional(Schema.Struct({
    url: field(Schema.String, "--otlp, a password in it masked"),
    exports: field(Count, "the exports sent to the collector (spans and metrics, every 2 s), retries included"),
    failures: field(Count, "those that failed: an error status, a transport error, or no answer within 10 s"),
    lastFailure: field(Schema.NullOr(Schema.String), "the last failure, in words; null when none failed")
  })).annotations({
    description: "with --otlp: how the exports went up to when this document was made (the last flush, as the run stops, comes after)"
  })
}).annotations({ identifier: "ResultsDocument", title: "upload-fsm-bench result document", description: "results-*.json: the whole result document of a run" })
export type ResultsDocument = typeof ResultsDocument.Type

/** `results-mitigation-*.json`: the comparisons alone, with the baseline and every step's rows. */
export const MitigationDocument = Schema.Struct({
  ...Header,
  resultsFile: field(Schema.String, "the run's results-*.json"),
  comparisonAt: field(ComparisonAt, "where the comparisons were measured"),
  path: field(GatePath, "the gate's path"),
  mode: field(LadderMode, "the ladder's mode"),
  firstSuccess: field(Schema.NullOr(Schema.String), "the first step that met Threshold 1, if any"),
  thresholdZeroSeconds: field(Schema.Number, "Threshold 1's limit, s"),
  baseline: field(Schema.NullOr(RunResult), "the baseline run"),
  steps: field(
    Schema.Array(Schema.Struct({
      mitigation: field(Schema.String, "the set's label"),
      mitigations: field(Schema.Array(MitigationName), "the set's mitigations"),
      meetsThreshold1: field(Schema.Boolean, "the set meets Threshold 1"),
      rows: field(Schema.Array(ComparisonRow), "elapsed and every segment's P95, before and after"),
      before: field(RunResult, "the baseline measured beside it"),
      after: field(RunResult, "the set")
    })),
    "every step"
  )
}).annotations({ title: "upload-fsm-bench mitigation document", description: "results-mitigation-*.json: the comparisons alone, with the baseline and every step's rows" })
export type MitigationDocument = typeof MitigationDocument.Type
