/**
 * Progress of a run, as a service: a line when each trial ends, and a live
 * per-file view of the running trial for whoever watches (a terminal). The
 * CLI decides where it goes (`cli/progress.ts`); tests run silent.
 */
import { Context, Effect, Layer } from "effect"
import type { FileProgress } from "../actor/runner.ts"

export interface ProgressShape {
  /** One line, when a trial ends. */
  readonly line: (text: string) => Effect.Effect<void>
  /** Live per-file progress of the trial called `label`; null when nobody watches. */
  readonly files: (label: string) => FileProgress | null
}

export class Progress extends Context.Tag("upload-fsm-bench/Progress")<Progress, ProgressShape>() {}

export const silent: Layer.Layer<Progress> = Layer.succeed(Progress, { line: () => Effect.void, files: () => null })
