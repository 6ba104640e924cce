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
 * storage writes nothing for them. What crosses is written once, as the
 * Schemas the actors' own types come from (`actor/part.ts`): an actor's
 * typed error crosses as itself and arrives as the class it was.
 */
import * as ClusterSchema from "@effect/cluster/ClusterSchema"
import * as Entity from "@effect/cluster/Entity"
import * as Rpc from "@effect/rpc/Rpc"
import * as Schema from "effect/Schema"
import { LatencyProfile } from "../api/profiles.ts"
import { Scenarios } from "../actor/scenario.ts"
import { ClockModes } from "../clock/apiClock.ts"
import { ActorError, FileOutcome, PartFields } from "../actor/part.ts"
import { SegmentNames } from "../metrics/segments.ts"

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

const Sample = Schema.Struct(
  Object.fromEntries(SegmentNames.map((name) => [name, Schema.Number])) as { readonly [S in (typeof SegmentNames)[number]]: typeof Schema.Number }
)

/** A file's message: run it in trial `trial`. */
export const RunFile = Schema.Struct({ trial: Schema.String, path: Schema.String })

/** What a file's message answers: its outcome and sample, or the error its actor ended with; and the runner that ran it. */
export const FileReply = Schema.Union(
  Schema.TaggedStruct("Ran", { runner: Schema.String, outcome: FileOutcome, sample: Sample }),
  Schema.TaggedStruct("Failed", { runner: Schema.String, path: Schema.String, error: ActorError })
)
export type FileReply = typeof FileReply.Type

/** What a runner measured of a trial as a whole, when it is closed: its part, who it is and how many files it ran. */
export const RunnerPart = Schema.extend(PartFields, Schema.Struct({ runner: Schema.String, files: Count }))
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
