/**
 * Watching a run while it lasts: `--metrics-port` serves the run's Effect
 * metrics in Prometheus's text format, `--otlp` exports its spans and metrics
 * to an OpenTelemetry collector over OTLP/HTTP. Both turn the live metrics on
 * (`metrics/live.ts`); `--otlp` also has every trial's actors make spans
 * (`metrics/trace.ts`). This module, and the libraries it uses, load only for
 * a run that asks for one of them.
 *
 * Prometheus: `@effect/opentelemetry`'s metric producer reads Effect's metric
 * registry at each scrape, and OpenTelemetry's own Prometheus exporter renders
 * it; the metrics stay Effect's (no second instrumentation), and the text
 * format, its names and escaping are a maintained library's, not ours.
 * OTLP: `@effect/opentelemetry`'s exporter, Effect's tracer and metrics sent
 * as protobuf, the format every collector takes.
 */
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as Metrics from "@effect/opentelemetry/Metrics"
import * as OtlpMetrics from "@effect/opentelemetry/OtlpMetrics"
import * as OtlpSerialization from "@effect/opentelemetry/OtlpSerialization"
import * as OtlpTracer from "@effect/opentelemetry/OtlpTracer"
import * as Resource from "@effect/opentelemetry/Resource"
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus"
import { liveMetrics } from "../metrics/live.ts"
import { reach } from "../process/reach.ts"
import type { ExportHealth, Watching } from "./watched.ts"

/** A metrics endpoint that cannot listen, or a collector that cannot be reached: said in one line. */
export class TelemetryUnavailable extends Data.TaggedError("TelemetryUnavailable")<{ readonly message: string }> {}

export interface TelemetryOptions {
  readonly metrics: { readonly host: string; readonly port: number } | null
  readonly otlp: string | null
  /** The service as exporters name it: the tool and its version. */
  readonly service: { readonly name: string; readonly version: string }
  /** Attributes of the run, on every series and span (its start, its driver). */
  readonly attributes: Readonly<Record<string, string>>
}

/** How long the collector may take to accept a connection at the start. */
const REACH_MS = 5_000
/** How often metrics and spans go out to the collector. */
const EXPORT_INTERVAL = "2 seconds"

const why = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

const resourceOf = (options: TelemetryOptions) => ({
  serviceName: options.service.name,
  serviceVersion: options.service.version,
  attributes: options.attributes
})

/** The Prometheus endpoint listening; closed with the scope. */
const prometheus = (host: string, port: number, options: TelemetryOptions) =>
  Effect.gen(function*() {
    const exporter = new PrometheusExporter({ host, port, preventServerStart: true })
    yield* Effect.tryPromise({
      try: () => exporter.startServer(),
      catch: (cause) => new TelemetryUnavailable({ message: `--metrics-port ${port}: cannot listen on ${host}:${port} (${why(cause)})` })
    })
    // Registered, the exporter reads Effect's registry at each scrape; released, its server is stopped.
    const producer = yield* Effect.provide(Metrics.makeProducer, Resource.layer(resourceOf(options)))
    yield* Metrics.registerProducer(producer, () => exporter)
  })

/** How long one export may take before it counts as failed (a collector that takes the connection and never answers). */
const EXPORT_TIMEOUT = "10 seconds"

/**
 * The HTTP client the exporters send with, counting what they send and what
 * fails (an error status, a transport error, no answer in time): the
 * exporter itself only logs a failure at debug level and pauses. The first
 * failure is said once on stderr; the count goes into the result document.
 */
const countingClient = (url: string, health: { exports: number; failures: number; lastFailure: string | null }) =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) =>
      HttpClient.transform(client, (response, request) => {
        const failed = (what: string) =>
          Effect.suspend(() => {
            health.failures += 1
            health.lastFailure = what
            return health.failures === 1
              ? Console.error(`--otlp ${url}: an export failed (${what}); the run goes on, and its result counts the failures`)
              : Effect.void
          })
        return Effect.suspend(() => {
          health.exports += 1
          return response
        }).pipe(
          Effect.timeoutFail({
            duration: EXPORT_TIMEOUT,
            onTimeout: () => new HttpClientError.RequestError({ request, reason: "Transport", description: `no answer within ${EXPORT_TIMEOUT}` })
          }),
          Effect.tap((r) => (r.status >= 200 && r.status < 300 ? Effect.void : failed(`HTTP ${r.status}`))),
          Effect.tapError((e) => failed(e.message)),
          // The last flush, as the run stops, is given up after a few seconds: a collector that never answered.
          Effect.onInterrupt(() => failed("no answer before the run ended"))
        )
      }))
  ).pipe(Layer.provide(FetchHttpClient.layer))

/** The collector reached; its tracer, and its metrics sent on a schedule and when the scope closes. */
const otlp = (url: string, options: TelemetryOptions) =>
  Effect.gen(function*() {
    // The URL is checked with the configuration (`otlpUrlProblem`).
    const parsed = new URL(url)
    const port = parsed.port === "" ? (parsed.protocol === "https:" ? 443 : 80) : Number(parsed.port)
    const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1")
    yield* Effect.mapError(
      reach(host, port, REACH_MS),
      (reason) => new TelemetryUnavailable({ message: `--otlp ${url}: the collector at ${host}:${port} cannot be reached (${reason})` })
    )
    const base = url.replace(/\/+$/, "")
    const resource = resourceOf(options)
    // Spans and metrics only: the run's log lines stay on its terminal.
    const health = { url, exports: 0, failures: 0, lastFailure: null as string | null }
    const exporting = Layer.merge(OtlpSerialization.layerProtobuf, countingClient(url, health))
    yield* Effect.provide(OtlpMetrics.make({ url: `${base}/v1/metrics`, resource, exportInterval: EXPORT_INTERVAL }), exporting)
    const tracer = yield* Effect.provide(OtlpTracer.make({ url: `${base}/v1/traces`, resource, exportInterval: EXPORT_INTERVAL }), exporting)
    return { tracer, exports: (): ExportHealth => ({ ...health }) }
  })

/** Everything `options` asks for, started (and stopped, flushed, when the scope closes). */
export const watching = (options: TelemetryOptions): Effect.Effect<Watching, TelemetryUnavailable, Scope.Scope> =>
  Effect.gen(function*() {
    if (options.metrics !== null) yield* prometheus(options.metrics.host, options.metrics.port, options)
    const exported = options.otlp === null ? null : yield* otlp(options.otlp, options)
    return { live: liveMetrics(), tracer: exported?.tracer ?? null, exports: exported?.exports ?? null }
  })
