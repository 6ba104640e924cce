/**
 * The flags that watch a process while it runs (`bench`, and a `runner` of
 * its own), and the `watching` they ask for: the exporters' modules are
 * imported only when one of them is given.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { TOOL } from "../identity.ts"
import type { TelemetryUnavailable } from "../telemetry/telemetry.ts"
import type { Watching } from "../telemetry/watched.ts"
import { integer, text } from "./flags.ts"

export const watchFlags = {
  metricsPort: integer("metrics-port", {
    group: "watch",
    description: "while the run lasts, live metrics for Prometheus at http://HOST:N/metrics (docs/watching.md)",
    bounds: { min: 1, max: 65535 },
    fallback: undefined
  }),
  metricsHost: text("metrics-host", {
    group: "watch",
    pseudo: "HOST",
    description: "where --metrics-port listens",
    fallback: "127.0.0.1"
  }),
  otlp: text("otlp", {
    group: "watch",
    pseudo: "URL",
    description: "export spans and live metrics over OTLP/HTTP to a collector (http://HOST:4318)",
    fallback: undefined
  })
}

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
    Effect.promise(() => import("../telemetry/telemetry.ts")),
    ({ watching }) => watching({ ...spec, service: TOOL, attributes })
  )

/** The line that says where the Prometheus endpoint is. */
export const endpointLine = (metrics: NonNullable<WatchSpec["metrics"]>): string =>
  `live metrics for Prometheus: http://${metrics.host.includes(":") ? `[${metrics.host}]` : metrics.host}:${metrics.port}/metrics`
