/**
 * What a watched process is given (`telemetry.ts` starts it): its live
 * metrics on, and the tracer its spans go to when they are exported. Light:
 * it loads none of the exporters.
 */
import * as Effect from "effect/Effect"
import type * as Tracer from "effect/Tracer"
import { LiveMetrics, type LiveShape } from "../metrics/live.ts"

export interface Watching {
  readonly live: LiveShape
  readonly tracer: Tracer.Tracer | null
}

/** `effect` watched: its live metrics kept, its spans (where it makes them) sent to the tracer. */
export const watchedBy = (w: Watching) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  effect.pipe(Effect.provideService(LiveMetrics, w.live), (e) => (w.tracer === null ? e : Effect.withTracer(e, w.tracer)))
