/**
 * Progress of a run, as a service: a line when each trial ends, and a live
 * per-file view of the running trial for whoever watches (a terminal). The
 * CLI decides where it goes (`cli/progress.ts`); tests run silent.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { FileProgress } from "../actor/runner.ts"

/** Where a trial stands in its run. */
export interface TrialPosition {
  /** 1-based. */
  readonly index: number
  /** Trials the plan holds; an upper bound when the ladder may stop early. */
  readonly planned: number
  readonly upperBound: boolean
  readonly lowerBound: boolean
  /** Whether the trial's times are simulated (the time warp over a profile that waits). */
  readonly simulated: boolean
}

export interface ProgressShape {
  /** One line, when a trial ends. */
  readonly line: (text: string) => Effect.Effect<void>
  /** Live per-file progress of the trial called `label`; null when nobody watches. */
  readonly files: (label: string, position: TrialPosition) => FileProgress | null
}

export class Progress extends Context.Tag("upload-fsm-bench/Progress")<Progress, ProgressShape>() {}

export const silent: Layer.Layer<Progress> = Layer.succeed(Progress, { line: () => Effect.void, files: () => null })
