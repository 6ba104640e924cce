/**
 * What crosses between the run's process and its runners on
 * `@effect/cluster`: two entity types and the Schemas of their messages.
 *
 * - `File`: one per file, addressed by its path and sharded across the
 *   runners; its one message runs the file's actor under the trial's strategy
 *   on whichever runner holds its shard, and replies with its sample.
 * - `Runner`: one per runner, pinned to it (its shard group is its own, see
 *   `runnerGroup`): it opens a trial (builds the strategy, once per trial per
 *   runner) and closes it (the writer flushed, any recovery, the strategy torn
 *   down) with what the runner measured as a whole.
 *
 * Every message is volatile (the cluster's default): the cluster's message
 * storage writes nothing for them. Typed errors cross as their tag and fields
 * and are made again here as the class they were.
 */
import * as ClusterSchema from "@effect/cluster/ClusterSchema"
import * as Entity from "@effect/cluster/Entity"
import * as Rpc from "@effect/rpc/Rpc"
import * as Schema from "effect/Schema"
import { LatencyProfile } from "../api/profiles.ts"
import { Scenarios } from "../actor/scenario.ts"
import { ClockModes } from "../clock/apiClock.ts"
import { Events, IllegalTransition, isEvent, isState, States } from "../lifecycle/fsm.ts"
import { SegmentNames } from "../metrics/segments.ts"
import { Recovery, StrategyNames } from "../results/schema.ts"
import { OccConflict, StoreError } from "../store/errors.ts"
import type { FileFailure } from "../actor/runner.ts"

/** The shard group of the runner at `address`: its `Runner` entity's, which no other runner serves. */
export const runnerGroup = (address: string): string => `runner@${address}`

const Count = Schema.Number

/** How a runner builds a trial (a Layer cannot cross a process: its parts do). */
export const TrialSpec = Schema.Struct({
  /** Unique within the run's process: a file's message names the trial it belongs to. */
  trial: Schema.String,
  /** The concurrency of this runner's recovery passes (its share of the trial's). */
  concurrency: Count,
  dbPath: Schema.String,
  profile: LatencyProfile,
  seed: Schema.Number,
  retry: Schema.Struct({ maxAttempts: Count, baseSeconds: Schema.Number }),
  scenario: Schema.Literal(...Scenarios),
  clock: Schema.Literal(...ClockModes),
  labels: Schema.Record({ key: Schema.String, value: Schema.String }),
  mitigations: Schema.Array(Schema.String),
  batch: Schema.Struct({ batchSize: Count, failBatch: Schema.NullOr(Count) }),
  poolSize: Count,
  /** The run's span of the trial, when its spans are exported (`--otlp`): a runner that exports too hangs its files' spans under it. */
  parentSpan: Schema.optional(Schema.Struct({ traceId: Schema.String, spanId: Schema.String }))
})
export type TrialSpec = typeof TrialSpec.Type

/** A typed error as it crosses: its tag and its own fields. */
export const ErrorData = Schema.Struct({
  _tag: Schema.String,
  fields: Schema.Record({ key: Schema.String, value: Schema.Unknown })
})
export type ErrorData = typeof ErrorData.Type

const Sample = Schema.Struct(
  Object.fromEntries(SegmentNames.map((name) => [name, Schema.Number])) as { readonly [S in (typeof SegmentNames)[number]]: typeof Schema.Number }
)

const Outcome = Schema.Struct({
  path: Schema.String,
  machine: Schema.Struct({ state: Schema.Literal(...States), version: Count }),
  persisted: Count,
  events: Schema.Array(Schema.Literal(...Events)),
  apiCalls: Count,
  busyEvents: Count,
  busyWaitMs: Schema.Number,
  startVersion: Count
})

/** A file's message: run it in trial `trial`. */
export const RunFile = Schema.Struct({ trial: Schema.String, path: Schema.String })

/** What a file's message answers: its outcome and sample, or the error its actor ended with; and the runner that ran it. */
export const FileReply = Schema.Union(
  Schema.TaggedStruct("Ran", { runner: Schema.String, outcome: Outcome, sample: Sample }),
  Schema.TaggedStruct("Failed", { runner: Schema.String, path: Schema.String, error: ErrorData })
)
export type FileReply = typeof FileReply.Type

/** What a runner measured of a trial as a whole, when it is closed. */
export const RunnerPart = Schema.Struct({
  runner: Schema.String,
  /** From the trial's opening on this runner to its strategy's teardown, on the trial's clock. */
  elapsedMs: Schema.Number,
  skippedMs: Schema.Number,
  files: Count,
  maxInFlight: Count,
  strategy: StrategyNames,
  /** Each file's last outcome here (after recovery, if it was redone), and the failures no recovery repaired. */
  outcomes: Schema.Array(Outcome),
  failures: Schema.Array(Schema.Struct({ path: Schema.String, error: ErrorData })),
  ledger: Schema.Array(Schema.Tuple(Schema.String, Count)),
  byEvent: Schema.Array(Schema.Tuple(Schema.Literal(...Events), Count)),
  recovery: Schema.NullOr(Recovery),
  api: Schema.Struct({
    calls: Count,
    failures: Count,
    timeouts: Count,
    rateLimited: Count,
    admittedAtMs: Schema.Array(Schema.Number)
  })
})
export type RunnerPart = typeof RunnerPart.Type

/** A runner that could not do what it was asked: said in one line. */
export class RunnerFailure extends Schema.TaggedError<RunnerFailure>()("RunnerFailure", { detail: Schema.String }) {
  override get message(): string {
    return this.detail
  }
}

export const File = Entity.make("File", [
  Rpc.make("Run", { payload: RunFile, success: FileReply, error: RunnerFailure })
])

export const Runner = Entity.make("Runner", [
  Rpc.make("Open", { payload: TrialSpec, success: Schema.Void, error: RunnerFailure }),
  Rpc.make("Close", { payload: { trial: Schema.String }, success: RunnerPart, error: RunnerFailure })
]).annotate(ClusterSchema.ShardGroup, (entityId) => runnerGroup(entityId))

/** A typed error's tag and own fields (the `message` getter is the class's, not a field). */
export const errorData = (error: { readonly _tag: string }): ErrorData => ({
  _tag: error._tag,
  fields: Object.fromEntries(Object.entries(error).filter(([key]) => key !== "_tag"))
})

const str = (v: unknown): string => String(v)

/** The store error a runner failed with, made again; any other error becomes one saying what it was. */
export const storeErrorOf = (data: ErrorData): StoreError =>
  data._tag === "StoreError"
    ? new StoreError({
      operation: str(data.fields["operation"]),
      detail: str(data.fields["detail"]),
      ...(data.fields["lockTimeout"] === true ? { lockTimeout: true as const } : {})
    })
    : new StoreError({ operation: "runner", detail: `${data._tag}: ${str(data.fields["message"] ?? JSON.stringify(data.fields))}` })

/** An actor's failure, made again as the class it was (a store error when its fields are not what that class holds). */
export const actorError = (data: ErrorData): FileFailure["error"] => {
  const f = data.fields
  if (data._tag === "OccConflict" && isEvent(f["event"]) && isState(f["expectedState"])) {
    return new OccConflict({
      path: str(f["path"]),
      event: f["event"],
      expectedState: f["expectedState"],
      expectedVersion: Number(f["expectedVersion"])
    })
  }
  if (data._tag === "IllegalTransition" && isState(f["state"]) && isEvent(f["event"])) {
    return new IllegalTransition({ state: f["state"], event: f["event"] })
  }
  return storeErrorOf(data)
}
