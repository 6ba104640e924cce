/**
 * How a trial's actors are executed beyond this process: runners (other
 * processes, other hosts) that share its files and give back one merged
 * part. Without an `Executor` in the context, every actor is a fiber of the
 * run's own process. The actors know only this tag; `cluster/` provides it
 * on `@effect/cluster`.
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { Recorder } from "../metrics/recorder.ts"
import type { StoreError } from "../store/errors.ts"
export type { ClusterTrial }
import type { ActorsPart, ClusterTrial, ExperimentSpec, PartsSpec } from "./part.ts"

export interface ExecutorShape {
  readonly runners: ReadonlyArray<string>
  /** One trial's files across the runners, merged into one part. */
  readonly runTrial: (
    spec: Pick<ExperimentSpec, "dbPath" | "concurrency" | "profile" | "seed" | "retry" | "scenario" | "clock" | "labels">,
    parts: PartsSpec,
    paths: ReadonlyArray<string>,
    recorder: Recorder
  ) => Effect.Effect<ActorsPart, StoreError>
}

export class Executor extends Context.Tag("upload-fsm-bench/Executor")<Executor, ExecutorShape>() {}
