/**
 * The result document, as one Effect Schema: what `results-*.json` holds,
 * written with this Schema's encoder and read back (by compare) with its
 * decoder. `results/schema.json` is exported from it (`jsonSchema.ts`).
 * Every other module takes its result types from here, so the document has
 * one definition. Raising SCHEMA_VERSION is how a change of shape is told.
 */
import * as Schema from "effect/Schema"
import { LatencyProfile } from "../api/profiles.ts"
import { Scenarios } from "../actor/scenario.ts"
import { ClockModes } from "../clock/apiClock.ts"
import { Events, States } from "../lifecycle/fsm.ts"
import { SegmentNames } from "../metrics/segments.ts"
import { Services } from "../mitigations/define.ts"

export const SCHEMA_VERSION = 7
/** The `$id` of `results/schema.json`, and the `$schema` every results file carries. */
export const SCHEMA_ID = `urn:upload-fsm-bench:results:${SCHEMA_VERSION}`

const Count = Schema.Number
export const Interval = Schema.Tuple(Schema.Number, Schema.Number).annotations({ identifier: "Interval" })
export type Interval = typeof Interval.Type

export const SegmentName = Schema.Literal(...SegmentNames)
/** A value per segment, keyed by segment name. */
export const BySegment = <A, I>(value: Schema.Schema<A, I>) => Schema.Record({ key: SegmentName, value })
const ByEvent = Schema.Record({ key: Schema.Literal(...Events), value: Count })
const ByState = Schema.Record({ key: Schema.Literal(...States), value: Count })

export const SegmentStats = Schema.Struct({
  p50: Schema.Number,
  p95: Schema.Number,
  p99: Schema.Number,
  mean: Schema.Number,
  min: Schema.Number,
  max: Schema.Number
}).annotations({ identifier: "SegmentStats" })
export type SegmentStats = typeof SegmentStats.Type

/** Per-file values of a segment in log buckets (see `metrics/histogram.ts`): enough to redraw their distribution. */
export const Histogram = Schema.Struct({
  zero: Count,
  buckets: Schema.Array(Schema.Tuple(Count, Count))
}).annotations({ identifier: "Histogram" })

export const WalVerdict = Schema.Literal("CLEAN", "MINOR", "CONTENTION")
export type WalVerdict = typeof WalVerdict.Type

export const WalReport = Schema.Struct({
  /** WAL file size after seeding (the WAL is truncated then) and at the end of the run, connections still open. */
  bytesStart: Count,
  bytes: Count,
  /** Checkpoints that restarted the WAL during the run (null when unknown). */
  checkpoints: Schema.NullOr(Count),
  busy: Count,
  busyWaitMs: Schema.Number,
  busyShareOfDb: Schema.Number,
  /** lock_wait P95 / db_total P95: the seed's contention ratio. */
  seedRatio: Schema.Number,
  verdict: WalVerdict
}).annotations({ identifier: "WalReport" })
export type WalReport = typeof WalReport.Type

export const Integrity = Schema.Struct({
  ok: Schema.Boolean,
  files: Count,
  indexed: Count,
  /** Files per final state. */
  finalStates: ByState,
  /** Transitions persisted, counted from the rows' versions. */
  transitions: Count,
  /** The first problems found (at most 20), each one line. */
  problems: Schema.Array(Schema.String),
  problemCount: Count,
  /**
   * Files that gave up waiting for SQLite's write lock (its 5 s timeout):
   * not a problem with the data (their rows must still match what was
   * committed), but files the run did not finish; a threshold fails on them.
   */
  lockTimeouts: Count,
  /**
   * Files whose actor stopped on an OCC conflict (its write found the row
   * at another state or version): each is also a problem. Every actor owns
   * its file, so any is a lost update somewhere, never contention.
   */
  occConflicts: Count
}).annotations({ identifier: "Integrity" })
export type Integrity = typeof Integrity.Type

/** What a failed batch commit cost, and what it took to repair. */
export const Recovery = Schema.Struct({
  failedCommits: Count,
  /** Transitions reported persisted to actors, then rolled back. */
  lostTransitions: Count,
  /** Files whose actor finished believing a state the database does not hold. */
  inconsistentFiles: Count,
  /** Files whose actor stopped on an error (e.g. an OCC conflict after its earlier write was lost). */
  failedFiles: Count,
  /** Files re-hydrated from the database and driven to the end again. */
  redoneFiles: Count,
  redoneApiCalls: Count,
  passes: Count,
  seconds: Schema.Number
}).annotations({ identifier: "Recovery" })
export type Recovery = typeof Recovery.Type

export const StrategyNames = Schema.Struct({ connections: Schema.String, guard: Schema.String, writer: Schema.String }).annotations({ identifier: "StrategyNames" })
export type StrategyNames = typeof StrategyNames.Type

export const RunClock = Schema.Literal("simulated", "real")

/** One trial of one configuration, as exact statistics over its files. */
export const Trial = Schema.Struct({
  concurrency: Count,
  profile: Schema.String,
  /** Mean seconds per API call of the profile's models (0 for zero). */
  delaySeconds: Schema.Number,
  mitigation: Schema.String,
  strategy: StrategyNames,
  elapsedSeconds: Schema.Number,
  filesPerSecond: Schema.Number,
  /** Persisted transitions (3 per file on the happy path). */
  transitions: Count,
  transitionsPerSecond: Schema.Number,
  indexed: Count,
  maxInFlight: Count,
  /** The processes its actors ran in: 1, or the workers that shared its files (`--workers`). */
  workers: Count,
  segments: BySegment(SegmentStats),
  /** Sum over files of each segment, in ms: what the share-of-time bottleneck rule reads. */
  segmentTotalsMs: BySegment(Schema.Number),
  /** Every file's value of each segment, in log buckets (a combined run: all its counted trials). */
  distribution: BySegment(Histogram),
  /**
   * Files' summed wall time, and that over elapsed: how many files were in
   * flight on average (below the concurrency when the runner refills a slot late).
   */
  accounting: Schema.Struct({ fileSeconds: Schema.Number, meanInFlight: Schema.Number }),
  wal: WalReport,
  integrity: Integrity,
  recovery: Schema.NullOr(Recovery),
  /** "simulated" when the time warp skipped API waits: elapsed, segments and thresholds are then simulated time. */
  clock: RunClock,
  /** Simulated seconds the warp skipped (0 in real time). */
  skippedSeconds: Schema.Number,
  /** API calls answered, failed ones (errors, timeouts), and 429 answers from the rate limit. */
  api: Schema.Struct({ calls: Count, failures: Count, timeouts: Count, rateLimited: Count }),
  /** Transitions committed per event. */
  transitionsByEvent: ByEvent
}).annotations({ identifier: "Trial" })
export type Trial = typeof Trial.Type

export const TrialSummary = Schema.Struct({
  elapsedSeconds: Schema.Number,
  segments: BySegment(SegmentStats),
  wal: Schema.Struct({ bytes: Count, busy: Count, verdict: WalVerdict }),
  integrityOk: Schema.Boolean,
  recovery: Schema.NullOr(Recovery)
}).annotations({ identifier: "TrialSummary" })
export type TrialSummary = typeof TrialSummary.Type

/** A configuration's trials combined: medians, with 95% bootstrap intervals, and every trial kept. */
/**
 * The storage floor of a configuration (`floor/floor.ts`): its statements run
 * by a plain loop on the raw driver, one file after another, no Effect.
 */
export const Floor = Schema.Struct({
  /** The median of the loop's runs. */
  elapsedSeconds: Schema.Number,
  /** Each run of the loop, in seconds. */
  runs: Schema.NonEmptyArray(Schema.Number),
  /** Transitions the loop wrote per run (the configuration's last counted trial's, replayed). */
  transitions: Count
}).annotations({ identifier: "Floor" })
export type Floor = typeof Floor.Type

export const RunResult = Schema.Struct({
  ...Trial.fields,
  /** Null when the floor was not measured: `floorUnavailable` says why. */
  floor: Schema.NullOr(Floor),
  /**
   * Why this configuration has no floor (and so no efficiency): a mitigation
   * that declares none, or the floor's loop failing; null when it has one.
   */
  floorUnavailable: Schema.NullOr(Schema.String),
  /**
   * floor.elapsedSeconds ÷ the run's own time (elapsed less the simulated time
   * the warp skipped), median over trials: 1 would be no cost beyond the
   * storage work.
   */
  efficiency: Schema.NullOr(Schema.Number),
  trials: Count,
  warmup: Count,
  ci: Schema.Struct({
    elapsedSeconds: Interval,
    segments: BySegment(Schema.Struct({ p50: Interval, p95: Interval, p99: Interval }))
  }),
  trialResults: Schema.NonEmptyArray(TrialSummary)
}).annotations({ identifier: "RunResult" })
export type RunResult = typeof RunResult.Type

export const ChangeVerdict = Schema.Literal("improved", "regressed", "no significant change", "n/a")
export type ChangeVerdict = typeof ChangeVerdict.Type

export const ComparisonRow = Schema.Struct({
  /** "elapsed" or a segment name (its P95). */
  metric: Schema.Literal("elapsed", ...SegmentNames),
  unit: Schema.Literal("s", "ms"),
  before: Schema.Number,
  after: Schema.Number,
  delta: Schema.Number,
  /** (after − before) / before, in percent; null when before is 0. */
  deltaPercent: Schema.NullOr(Schema.Number),
  ratio: Schema.NullOr(Schema.Number),
  ci: Schema.NullOr(Interval),
  verdict: ChangeVerdict
}).annotations({ identifier: "ComparisonRow" })
export type ComparisonRow = typeof ComparisonRow.Type

/** A mitigation's name: one the run registered (built-in, or its config file's; see `catalog`). */
export const MitigationName = Schema.String

/** Where a registered mitigation came from: the project, a config file (its path and content hash), or a program's value. */
export const MitigationOrigin = Schema.Union(
  Schema.Struct({ kind: Schema.Literal("built-in") }),
  Schema.Struct({ kind: Schema.Literal("config"), path: Schema.String, sha256: Schema.String }),
  Schema.Struct({ kind: Schema.Literal("program") })
).annotations({ identifier: "MitigationOrigin" })

/** A mitigation the run registered, as its definition describes it. */
export const CatalogEntry = Schema.Struct({
  name: MitigationName,
  short: Schema.String,
  /** The baseline service its layer replaces. */
  replaces: Schema.Literal(...Services),
  /** Mitigations it must run with. */
  requires: Schema.Array(MitigationName),
  summary: Schema.String,
  /** What adopting it risks; null when nothing. */
  risk: Schema.NullOr(Schema.String),
  /** Why the storage floor cannot run its storage work; null when it can. */
  noFloor: Schema.NullOr(Schema.String),
  origin: MitigationOrigin
}).annotations({ identifier: "CatalogEntry" })
export type CatalogEntry = typeof CatalogEntry.Type

export const Step = Schema.Struct({
  mitigation: Schema.String,
  mitigations: Schema.Array(MitigationName),
  before: RunResult,
  after: RunResult,
  rows: Schema.Array(ComparisonRow),
  meetsThreshold1: Schema.Boolean
}).annotations({ identifier: "Step" })
export type Step = typeof Step.Type

export const LadderMode = Schema.Literal("first", "full")
export type LadderMode = typeof LadderMode.Type

export const Comparisons = Schema.Struct({
  mode: LadderMode,
  steps: Schema.Array(Step),
  /** The first step that met Threshold 1, if any. */
  firstSuccess: Schema.NullOr(Schema.String)
}).annotations({ identifier: "Comparisons" })
export type Comparisons = typeof Comparisons.Type

export const LeafFigure = Schema.Struct({
  segment: SegmentName,
  p95: Schema.Number,
  /** Fraction of the summed fsm_net_ms of all files. */
  share: Schema.Number
}).annotations({ identifier: "LeafFigure" })
export type LeafFigure = typeof LeafFigure.Type

export const Bottleneck = Schema.Struct({
  run: Schema.Struct({ concurrency: Count, profile: Schema.String }),
  byP95: LeafFigure,
  byShare: LeafFigure,
  agree: Schema.Boolean,
  leaves: Schema.Array(LeafFigure)
}).annotations({ identifier: "Bottleneck" })
export type Bottleneck = typeof Bottleneck.Type

export const ThresholdVerdict = Schema.Literal("PASS", "FAIL", "NOT_RUN")
export type ThresholdVerdict = typeof ThresholdVerdict.Type

export const ThresholdResult = Schema.Struct({
  name: Schema.String,
  profile: Schema.String,
  concurrency: Count,
  limitSeconds: Schema.Number,
  measuredSeconds: Schema.NullOr(Schema.Number),
  /** Whether measuredSeconds is simulated time (the time warp) or real time. */
  clock: Schema.NullOr(RunClock),
  /** limit − measured, when measured. */
  marginSeconds: Schema.NullOr(Schema.Number),
  delaySeconds: Schema.NullOr(Schema.Number),
  /** Files × calls × delay / concurrency: no run can be faster (realistic only). */
  floorSeconds: Schema.NullOr(Schema.Number),
  verdict: ThresholdVerdict,
  /** Set when the run's conditions differ from the seed's definition. */
  note: Schema.NullOr(Schema.String)
}).annotations({ identifier: "ThresholdResult" })
export type ThresholdResult = typeof ThresholdResult.Type

export const Growth = Schema.Literal("sub-linear", "linear", "super-linear")
export type Growth = typeof Growth.Type

export const ProfileScaling = Schema.Struct({
  profile: Schema.String,
  points: Schema.Array(Schema.Struct({ concurrency: Count, fsmNetP95: Schema.Number })),
  /** null when fewer than two concurrency levels were run. */
  slope: Schema.NullOr(Schema.Number),
  growth: Schema.NullOr(Growth),
  bottleneckChange: Schema.NullOr(Schema.Struct({
    from: Schema.Struct({ concurrency: Count, segment: SegmentName }),
    to: Schema.Struct({ concurrency: Count, segment: SegmentName }),
    changed: Schema.Boolean,
    lockWaitP95Ratio: Schema.NullOr(Schema.Number)
  }))
}).annotations({ identifier: "ProfileScaling" })
export type ProfileScaling = typeof ProfileScaling.Type

export const CriterionVerdict = Schema.Literal("PASS", "FAIL", "NOT_EVALUATED")
export type CriterionVerdict = typeof CriterionVerdict.Type
export const GateVerdict = Schema.Literal("PASS", "FAIL", "INCOMPLETE")
export type GateVerdict = typeof GateVerdict.Type

export const Criterion = Schema.Struct({ verdict: CriterionVerdict, evidence: Schema.String }).annotations({ identifier: "Criterion" })
export type Criterion = typeof Criterion.Type

/** The gate path: A, the baseline met Threshold 1; B, it did not (the ladder decides). */
export const GatePath = Schema.NullOr(Schema.Literal("A", "B"))
export type GatePath = typeof GatePath.Type

export const Gate = Schema.Struct({
  verdict: GateVerdict,
  path: GatePath,
  criteria: Schema.Struct({ SC1: Criterion, SC2: Criterion, SC3: Criterion })
}).annotations({ identifier: "Gate" })
export type Gate = typeof Gate.Type

export const Environment = Schema.Struct({
  runtime: Schema.String,
  runtimeVersion: Schema.String,
  storeVersion: Schema.String,
  driver: Schema.String,
  cpuModel: Schema.String,
  cpuCount: Count,
  memoryGiB: Schema.Number,
  os: Schema.String,
  gitCommit: Schema.String,
  /** Uncommitted changes in the work tree when the run started. */
  gitDirty: Schema.NullOr(Schema.Boolean)
}).annotations({ identifier: "Environment" })
export type Environment = typeof Environment.Type

export const ComparisonAt = Schema.Struct({ concurrency: Count, profile: Schema.String })

export const DocumentConfig = Schema.Struct({
  files: Count,
  concurrency: Schema.Array(Count),
  profiles: Schema.Array(Schema.String),
  /** Every profile run, as run: its latency model per call type and rate limit. */
  profileDefinitions: Schema.Array(LatencyProfile),
  realisticDelaySeconds: Schema.Number,
  quick: Schema.Boolean,
  seed: Schema.Number,
  db: Schema.String,
  thresholdZeroSeconds: Schema.Number,
  thresholdRealisticSeconds: Schema.Number,
  /** Where lifecycle state was kept: a SQLite file, or a PostgreSQL server. */
  store: Schema.Literal("sqlite", "postgres"),
  /** Connections behind the shared-connection mitigation. */
  poolSize: Count,
  /** The most processes a configuration's actors ran in (`--workers`; 1: the run's own). */
  workers: Count,
  driver: Schema.String,
  /** The driver measured beside the run's at the comparison configuration, for contrast; null for none. */
  contrast: Schema.NullOr(Schema.String),
  mitigations: Schema.Array(MitigationName),
  /** The label of the set applied to the matrix ("baseline" when none). */
  mitigation: Schema.String,
  ladder: Schema.Literal("first", "full", "off"),
  /** Counted trials per configuration at the comparison concurrency (c=10). */
  trials: Count,
  /** Counted trials per configuration at the other concurrency levels. */
  otherTrials: Count,
  warmup: Count,
  noise: Schema.Number,
  batchSize: Count,
  failBatch: Schema.NullOr(Count),
  clock: Schema.Literal(...ClockModes),
  scenario: Schema.Literal(...Scenarios),
  maxAttempts: Count,
  retryBaseSeconds: Schema.Number,
  transitionsPerFile: Count,
  apiCallsPerFile: Count,
  /** Where before/after comparisons are measured. */
  comparisonAt: ComparisonAt
}).annotations({ identifier: "DocumentConfig" })
export type DocumentConfig = typeof DocumentConfig.Type

export const OutputFiles = Schema.Struct({
  results: Schema.String,
  /** Null when nothing was compared (no mitigation file). */
  mitigation: Schema.NullOr(Schema.String),
  summary: Schema.String,
  /** Null when no HTML report was written (an interrupted run, or one interrupted while rendering it). */
  report: Schema.NullOr(Schema.String)
}).annotations({ identifier: "OutputFiles" })
export type OutputFiles = typeof OutputFiles.Type

/** The answer in a few figures: what persisting costs, where its time goes, which mitigation helps most. */
export const Answer = Schema.Struct({
  /** The driver every figure here was measured with. */
  driver: Schema.String,
  /** Mean per file of connect_ms + db_total_ms (everything persistence does), in the run named by `persistenceRun`. */
  persistenceMsPerFile: Schema.NullOr(Schema.Number),
  persistenceRun: Schema.NullOr(ComparisonAt),
  /**
   * (elapsed − API floor) / elapsed of the c=10 realistic run: the part of the
   * batch that is not waiting on the API (persistence, FSM and harness);
   * null when that run was not measured.
   */
  persistenceShare: Schema.NullOr(Schema.Number),
  /** The c=10 realistic run against its floor (files × calls × delay / concurrency). */
  floor: Schema.NullOr(Schema.Struct({ elapsedSeconds: Schema.Number, floorSeconds: Schema.Number, clock: RunClock })),
  /** Per concurrency of the zero profile: the fsm_net leaf with the largest share of all files' time. */
  bottleneck: Schema.Array(Schema.Struct({ concurrency: Count, leaf: SegmentName, share: Schema.Number })),
  /** The compared mitigation sets, best first: elapsed ratio after/before with its 95% interval and verdict. */
  mitigations: Schema.Array(Schema.Struct({
    set: Schema.String,
    elapsedRatio: Schema.NullOr(Schema.Number),
    ci: Schema.NullOr(Interval),
    verdict: ChangeVerdict
  })),
  /** The contrast driver's baseline at the comparison configuration, in the same terms; null when none was run. */
  contrast: Schema.NullOr(Schema.Struct({
    driver: Schema.String,
    concurrency: Count,
    profile: Schema.String,
    elapsedSeconds: Schema.Number,
    lockWaitP95Ms: Schema.Number,
    leaf: SegmentName,
    share: Schema.Number
  }))
}).annotations({ identifier: "Answer" })

/** Another driver's baseline at the comparison configuration (c=10 zero), measured for contrast with the run's. */
export const Contrast = Schema.Struct({ driver: Schema.String, run: RunResult }).annotations({ identifier: "Contrast" })
export type Contrast = typeof Contrast.Type
export type Answer = typeof Answer.Type

/** What every document of a run opens with: its schema, when, where and how it was measured. */
const Header = {
  $schema: Schema.Literal(SCHEMA_ID),
  schemaVersion: Schema.Literal(SCHEMA_VERSION),
  createdAt: Schema.String,
  /** True when the run was interrupted: only the configurations completed before it are here, and no comparisons. */
  partial: Schema.Boolean,
  environment: Environment,
  config: DocumentConfig,
  /** Every mitigation the run registered: the built-ins, then its config file's. */
  catalog: Schema.Array(CatalogEntry)
}

/** The whole result document of a run. */
export const ResultsDocument = Schema.Struct({
  ...Header,
  answer: Answer,
  runs: Schema.Array(RunResult),
  bottleneck: Schema.NullOr(Bottleneck),
  thresholds: Schema.Array(ThresholdResult),
  scaling: Schema.Array(ProfileScaling),
  /** The before/after comparisons: ladder steps, or the --mitigations set; null with --ladder off and no set. */
  comparisons: Schema.NullOr(Comparisons),
  /** The contrast driver's run, outside the gate; null when none was run. */
  contrast: Schema.NullOr(Contrast),
  integrity: Schema.Struct({ ok: Schema.Boolean, failedRuns: Schema.Array(Schema.String) }),
  /** The names of the run's files in its output folder; null when it wrote none (`runBench` without `out`). */
  files: Schema.NullOr(OutputFiles),
  gate: Gate
}).annotations({ identifier: "ResultsDocument", title: "upload-fsm-bench result document" })
export type ResultsDocument = typeof ResultsDocument.Type

/** `results-mitigation-*.json`: the comparisons alone, with the baseline and every step's rows. */
export const MitigationDocument = Schema.Struct({
  ...Header,
  resultsFile: Schema.String,
  comparisonAt: ComparisonAt,
  path: GatePath,
  mode: LadderMode,
  firstSuccess: Schema.NullOr(Schema.String),
  thresholdZeroSeconds: Schema.Number,
  baseline: Schema.NullOr(RunResult),
  steps: Schema.Array(Schema.Struct({
    mitigation: Schema.String,
    mitigations: Schema.Array(MitigationName),
    meetsThreshold1: Schema.Boolean,
    rows: Schema.Array(ComparisonRow),
    before: RunResult,
    after: RunResult
  }))
})
export type MitigationDocument = typeof MitigationDocument.Type
