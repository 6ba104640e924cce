/**
 * What watches a process while it runs (`bench`, and a `runner` of its own;
 * their options are `watchOptions`): the exporters' modules are imported
 * only when one is asked for.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { TOOL } from "../process/identity.ts"
import type { TelemetryUnavailable } from "./telemetry.ts"
import { type Watching, watchedBy } from "./watched.ts"

/** What a process is asked to export: a Prometheus endpoint, an OTLP collector, or both. */
export interface WatchSpec {
  readonly metrics: { readonly host: string; readonly port: number } | null
  readonly otlp: string | null
}

export const asksToWatch = (spec: WatchSpec): boolean => spec.metrics !== null || spec.otlp !== null

/** What the `index`-th local runner (from 0) of a watched run exports: the run's collector, its own endpoint at the run's port + index + 1. */
export const runnerWatch = (spec: WatchSpec, index: number): WatchSpec => ({
  metrics: spec.metrics === null ? null : { host: spec.metrics.host, port: spec.metrics.port + index + 1 },
  otlp: spec.otlp
})

/** The exporters `spec` asks for, started for the scope, the process's own attributes on what they send. */
export const startWatching = (
  spec: WatchSpec,
  attributes: Readonly<Record<string, string>>
): Effect.Effect<Watching, TelemetryUnavailable, Scope.Scope> =>
  Effect.flatMap(
    Effect.promise(() => import("./telemetry.ts")),
    ({ watching }) => watching({ ...spec, service: TOOL, attributes })
  )

/** The line that says where the Prometheus endpoint is. */
export const endpointLine = (metrics: NonNullable<WatchSpec["metrics"]>): string =>
  `live metrics for Prometheus: http://${metrics.host.includes(":") ? `[${metrics.host}]` : metrics.host}:${metrics.port}/metrics`

/**
 * `effect` run watched as `spec` asks: the endpoint listening (and the
 * collector reached) before it starts, `started` run once they are, and
 * both closed when it ends. Without anything asked, `effect` as it is.
 */
export const watchRun = <A, E, R>(
  spec: WatchSpec,
  attributes: Readonly<Record<string, string>>,
  started: Effect.Effect<void>,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | TelemetryUnavailable, R> =>
  !asksToWatch(spec) ? effect : Effect.scoped(
    Effect.flatMap(Effect.zipLeft(startWatching(spec, attributes), started), (watching) => watchedBy(watching)(effect))
  )
