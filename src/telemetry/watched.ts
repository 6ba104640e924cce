/**
 * What a watched process is given (`telemetry.ts` starts it): its live
 * metrics on, and the tracer its spans go to when they are exported. Light:
 * it loads none of the exporters.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Tracer from "effect/Tracer"
import { LiveMetrics, type LiveShape } from "../metrics/live.ts"

/** How the exports to an OTLP collector went so far: how many were sent, how many failed, and the last failure. */
export interface ExportHealth {
  readonly url: string
  readonly exports: number
  readonly failures: number
  readonly lastFailure: string | null
}

/** The run's OTLP exports as they stand now (null: nothing exported), for the result document. */
export class Exports extends Context.Reference<Exports>()("upload-fsm-bench/Exports", {
  defaultValue: (): (() => ExportHealth | null) => () => null
}) {}

export interface Watching {
  readonly live: LiveShape
  readonly tracer: Tracer.Tracer | null
  /** How the OTLP exports went so far; null without --otlp. */
  readonly exports: (() => ExportHealth) | null
}

/** `effect` watched: its live metrics kept, its spans (where it makes them) sent to the tracer, its exports' health at hand. */
export const watchedBy = (w: Watching) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  effect.pipe(
    Effect.provideService(LiveMetrics, w.live),
    Effect.provideService(Exports, w.exports ?? (() => null)),
    (e) => (w.tracer === null ? e : Effect.withTracer(e, w.tracer))
  )
