/**
 * `--otlp URL`: a run's spans and metrics received on a loopback HTTP
 * endpoint, as a collector receives them, and decoded with the OpenTelemetry
 * project's own protobuf definitions (opentelemetry-proto, as generated in
 * `@opentelemetry/otlp-transformer`), not by anything of ours.
 */
import * as http from "node:http"
import { createRequire } from "node:module"
import type { AddressInfo } from "node:net"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { cli } from "../cli/inProcess.ts"
import { tempDir } from "../helpers.ts"

interface Decoder {
  readonly decode: (bytes: Uint8Array) => unknown
  readonly toObject: (message: unknown, options: { readonly longs: StringConstructor; readonly bytes: StringConstructor }) => unknown
}
type Namespace = { readonly [key: string]: Namespace } & Partial<Decoder>

// The generated module is typed as a protobufjs Root, but is a tree of static namespaces.
const proto = createRequire(import.meta.url)("@opentelemetry/otlp-transformer/build/src/generated/root.js") as Namespace
const decoderAt = (path: string): Decoder => {
  const found = path.split(".").reduce<Namespace | undefined>((node, key) => node?.[key], proto)
  if (found?.decode === undefined || found.toObject === undefined) throw new Error(`no message ${path} in the OTLP definitions`)
  return found as Decoder
}
const decodeWith = (decoder: Decoder, body: Buffer): unknown =>
  decoder.toObject(decoder.decode(new Uint8Array(body)), { longs: String, bytes: String })

interface KeyValue {
  readonly key: string
  readonly value: { readonly stringValue?: string; readonly intValue?: string; readonly doubleValue?: number }
}
interface OtlpSpan {
  readonly name: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly traceId: string
  readonly startTimeUnixNano: string
  readonly endTimeUnixNano: string
  readonly attributes?: ReadonlyArray<KeyValue>
}
interface Resource {
  readonly attributes?: ReadonlyArray<KeyValue>
}
interface TracesRequest {
  readonly resourceSpans?: ReadonlyArray<
    { readonly resource?: Resource; readonly scopeSpans?: ReadonlyArray<{ readonly spans?: ReadonlyArray<OtlpSpan> }> }
  >
}
interface HistogramPoint {
  readonly attributes?: ReadonlyArray<KeyValue>
  readonly count: string
  readonly sum?: number
  readonly bucketCounts?: ReadonlyArray<string>
  readonly explicitBounds?: ReadonlyArray<number>
}
interface NumberPoint {
  readonly attributes?: ReadonlyArray<KeyValue>
  readonly asDouble?: number
  readonly asInt?: string
}
interface OtlpMetric {
  readonly name: string
  readonly histogram?: { readonly dataPoints?: ReadonlyArray<HistogramPoint> }
  readonly sum?: { readonly dataPoints?: ReadonlyArray<NumberPoint>; readonly isMonotonic?: boolean }
  readonly gauge?: { readonly dataPoints?: ReadonlyArray<NumberPoint> }
}
interface MetricsRequest {
  readonly resourceMetrics?: ReadonlyArray<
    { readonly resource?: Resource; readonly scopeMetrics?: ReadonlyArray<{ readonly metrics?: ReadonlyArray<OtlpMetric> }> }
  >
}

const attribute = (attributes: ReadonlyArray<KeyValue> | undefined, key: string) => {
  const value = attributes?.find((a) => a.key === key)?.value
  return value?.stringValue ?? value?.intValue ?? value?.doubleValue
}

/** Every span the collector received, with the attributes of the process that sent it (its resource's). */
const spansIn = (received: ReadonlyArray<Received>) => {
  const decoder = decoderAt("opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest")
  return received.filter((q) => q.path === "/v1/traces").flatMap((q) =>
    ((decodeWith(decoder, q.body) as TracesRequest).resourceSpans ?? []).flatMap((rs) =>
      (rs.scopeSpans ?? []).flatMap((ss) => (ss.spans ?? []).map((span) => ({ ...span, sender: rs.resource?.attributes })))
    )
  )
}

/** The metrics of one OTLP metrics request, with the attributes of the process that sent them. */
const metricsIn = (request: Received) => {
  const decoder = decoderAt("opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest")
  return ((decodeWith(decoder, request.body) as MetricsRequest).resourceMetrics ?? []).flatMap((rm) =>
    (rm.scopeMetrics ?? []).flatMap((sm) => (sm.metrics ?? []).map((metric) => ({ ...metric, sender: rm.resource?.attributes })))
  )
}

interface Received {
  readonly path: string
  readonly type: string
  readonly body: Buffer
}

/**
 * A collector's OTLP/HTTP receiving end: every request's path, content type
 * and body, answered 200 (or `status`; or never, with null); closed after the test.
 */
const collectorAnswering = (status: number | null) => Effect.map(
  Effect.acquireRelease(
    Effect.async<{ readonly server: http.Server; readonly received: Array<Received> }>((resume) => {
      const received: Array<Received> = []
      const server = http.createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (c: Buffer) => chunks.push(c))
        req.on("end", () => {
          received.push({ path: req.url ?? "", type: String(req.headers["content-type"]), body: Buffer.concat(chunks) })
          if (status !== null) res.writeHead(status, { "content-type": "application/x-protobuf" }).end()
        })
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ server, received })))
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ),
  ({ server, received }) => ({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received })
)
const collector = collectorAnswering(200)

describe("--otlp", () => {
  it.scopedLive("exports each file's span with its segments under the trial's span, and the segment histograms, as OTLP protobuf", () =>
    Effect.gen(function*() {
      const { url, received } = yield* collector
      const r = yield* cli(
        "bench", "--files", "12", "--concurrency", "4", "--profiles", "zero", "--trials", "1", "--warmup", "0",
        "--ladder", "off", "--contrast", "off", "--out", tempDir(), "--otlp", url
      )
      expect(r.stderr).not.toContain("cannot be reached")
      expect([0, 1]).toContain(r.code)

      const traces = received.filter((q) => q.path === "/v1/traces")
      const metrics = received.filter((q) => q.path === "/v1/metrics")
      expect(traces.length).toBeGreaterThan(0)
      expect(metrics.length).toBeGreaterThan(0)
      for (const q of [...traces, ...metrics]) expect(q.type).toBe("application/x-protobuf")

      const spans = spansIn(received)
      const trials = spans.filter((s) => s.name === "trial")
      expect(trials).toHaveLength(1)
      const trial = trials[0]
      if (trial === undefined) return
      expect(attribute(trial.attributes, "concurrency")).toBe("4")
      expect(attribute(trial.attributes, "profile")).toBe("zero")
      // Its metric series carry the same run label (the process may hold other runs' series: a test worker's).
      const run = attribute(trial.attributes, "run")
      expect(run).toMatch(/#1$/)

      // A span per file, each a child of the trial's, in its trace.
      const files = spans.filter((s) => s.parentSpanId === trial.spanId && attribute(s.attributes, "upload_fsm.slot") !== undefined)
      expect(files).toHaveLength(12)
      for (const f of files) expect(f.traceId).toBe(trial.traceId)

      // One file's tree: its segments, children of its span and inside it in time; a happy file's three
      // transitions each wrote, and both API calls are there.
      const file = files[0]
      if (file === undefined) return
      expect(attribute(file.attributes, "state")).toBe("indexed")
      expect(attribute(file.attributes, "version")).toBe("3")
      const segments = spans.filter((s) => s.parentSpanId === file.spanId)
      const names = segments.map((s) => s.name)
      expect(names.filter((n) => n === "write")).toHaveLength(3)
      expect(names).toContain("upload")
      expect(names).toContain("import")
      expect(names).toContain("guard read")
      for (const s of segments) {
        expect(BigInt(s.startTimeUnixNano) >= BigInt(file.startTimeUnixNano)).toBe(true)
        expect(BigInt(s.endTimeUnixNano) <= BigInt(file.endTimeUnixNano)).toBe(true)
      }
      const events = segments.filter((s) => s.name === "write").map((s) => attribute(s.attributes, "event"))
      expect(events).toEqual(["start_upload", "complete_upload", "complete_processing"])

      // The segment histograms and the files-done counter, as the last export had them.
      const last = metrics[metrics.length - 1]
      if (last === undefined) return
      const all = metricsIn(last)
      const segment = all.find((m) => m.name === "upload_fsm_segment_ms")
      const lockWait = segment?.histogram?.dataPoints?.find((p) =>
        attribute(p.attributes, "segment") === "lock_wait_ms" && attribute(p.attributes, "run") === run &&
        attribute(p.attributes, "phase") === undefined
      )
      expect(lockWait?.count).toBe("12")
      const buckets = (lockWait?.bucketCounts ?? []).reduce((sum, c) => sum + Number(c), 0)
      expect(buckets).toBe(12)
      expect(lockWait?.explicitBounds?.[0]).toBe(0.001)
      const done = all.find((m) => m.name === "upload_fsm_files_done")
      expect(done?.sum?.isMonotonic).toBe(true)
      const indexed = (done?.sum?.dataPoints ?? []).filter((p) =>
        attribute(p.attributes, "state") === "indexed" && attribute(p.attributes, "run") === run
      )
      expect(indexed.reduce((sum, p) => sum + (p.asDouble ?? Number(p.asInt ?? 0)), 0)).toBe(12)
    }))

  it.scopedLive("with --workers, each runner exports its files' spans under the run's trial span, and its actors in flight", () =>
    Effect.gen(function*() {
      const { url, received } = yield* collector
      const r = yield* cli(
        "bench", "--files", "16", "--concurrency", "4", "--profiles", "zero", "--trials", "1", "--warmup", "0",
        "--ladder", "off", "--contrast", "off", "--driver", "threaded", "--workers", "2", "--out", tempDir(), "--otlp", url
      )
      expect(r.stderr).not.toContain("cannot be reached")
      expect([0, 1]).toContain(r.code)
      const spans = spansIn(received)
      const trial = spans.find((s) => s.name === "trial")
      if (trial === undefined) return expect.fail("no trial span")
      // The trial's span is the run's; its files' spans come from the two runners, each under it, in its trace.
      expect(attribute(trial.sender, "upload_fsm.runner")).toBeUndefined()
      const files = spans.filter((s) => s.parentSpanId === trial.spanId && attribute(s.attributes, "upload_fsm.slot") !== undefined)
      expect(files).toHaveLength(16)
      for (const f of files) expect(f.traceId).toBe(trial.traceId)
      const senders = new Set(files.map((f) => attribute(f.sender, "upload_fsm.runner")))
      expect(senders.size).toBe(2)
      for (const runner of senders) expect(runner).toMatch(/^127\.0\.0\.1:\d+$/)
      // Each file's segments under it, from the same runner.
      for (const f of files) {
        const writes = spans.filter((s) => s.parentSpanId === f.spanId && s.name === "write")
        expect(writes).toHaveLength(3)
        for (const w of writes) expect(attribute(w.sender, "upload_fsm.runner")).toBe(attribute(f.sender, "upload_fsm.runner"))
      }
      // Each runner's in-flight gauge, labelled with the runner, back to 0 at the trial's end.
      const inFlight = received.filter((q) => q.path === "/v1/metrics").flatMap(metricsIn)
        .filter((m) => m.name === "upload_fsm_actors_in_flight")
      const last = new Map<string, number>()
      for (const m of inFlight) {
        for (const p of m.gauge?.dataPoints ?? []) {
          const runner = attribute(p.attributes, "runner")
          if (typeof runner === "string") last.set(runner, p.asDouble ?? Number(p.asInt ?? 0))
        }
      }
      expect(new Set(last.keys())).toEqual(senders)
      for (const actors of last.values()) expect(actors).toBe(0)
    }))

  it.effect("refuses a URL that is not one, a collector that does not answer, or runners' ports beyond 65535, before measuring anything", () =>
    Effect.gen(function*() {
      const notUrl = yield* cli("bench", "--files", "5", "--out", tempDir(), "--otlp", "localhost-4318")
      expect(notUrl.code).toBe(2)
      expect(notUrl.stderr).toContain("--otlp localhost-4318: not a URL")
      const closed = yield* cli("bench", "--files", "5", "--out", tempDir(), "--otlp", "http://127.0.0.1:1")
      expect(closed.code).toBe(2)
      expect(closed.stderr).toContain("--otlp http://127.0.0.1:1: the collector at 127.0.0.1:1 cannot be reached")
      expect(closed.stderr).not.toContain("trial 1/")
      // A runner of its own checks the URL the same way, before it registers anywhere.
      const runner = yield* cli("runner", "--listen", "127.0.0.1:7400", "--cluster-url", "postgresql://h/c", "--otlp", "ftp://h:4318")
      expect(runner.code).toBe(2)
      expect(runner.stderr).toContain("--otlp ftp://h:4318: an http:// or https:// URL")
      // A host to listen on without a port to listen at is refused, not ignored (the runner as the bench).
      const host = yield* cli("runner", "--listen", "127.0.0.1:7400", "--cluster-url", "postgresql://h/c", "--metrics-host", "0.0.0.0")
      expect(host.code).toBe(2)
      expect(host.stderr.trim()).toBe("error: --metrics-host 0.0.0.0: only with --metrics-port N (the endpoint it is where to listen for)")
      // Local runners serve their metrics on the ports after the run's: none may lie beyond 65535.
      const beyond = yield* cli("bench", "--files", "5", "--out", tempDir(), "--workers", "2", "--metrics-port", "65534")
      expect(beyond.code).toBe(2)
      expect(beyond.stderr).toContain("--metrics-port 65534: with --workers 2, the runners' endpoints take the ports after it, beyond 65535")
    }))
})

describe("--otlp when the collector fails", () => {
  // Files of a second each: the run lasts past the exporters' first round (every 2 s), before its document is made.
  const slow = JSON.stringify({ name: "slow", upload: { kind: "constant", seconds: 0.5 }, import: { kind: "constant", seconds: 0.5 } })
  const run = (url: string) =>
    cli(
      "bench", "--files", "12", "--concurrency", "4", "--profile", slow, "--profiles", "slow", "--clock", "real", "--trials", "1",
      "--warmup", "0", "--ladder", "off", "--contrast", "off", "--json", "--out", tempDir(), "--otlp", url
    )
  const failureLines = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("--otlp "))

  it.scopedLive("a collector answering 500: said once on stderr, counted in the document, and the run goes on", () =>
    Effect.gen(function*() {
      const { url, received } = yield* collectorAnswering(500)
      const r = yield* run(url)
      expect([0, 1]).toContain(r.code)
      expect(received.length).toBeGreaterThan(0)
      expect(failureLines(r.stderr)).toEqual([`--otlp ${url}: an export failed (HTTP 500); the run goes on, and its result counts the failures`])
      const doc = JSON.parse(r.stdout)
      expect(doc.exports.url).toBe(url)
      expect(doc.exports.failures).toBeGreaterThan(0)
      expect(doc.exports.exports).toBeGreaterThanOrEqual(doc.exports.failures)
      expect(doc.exports.lastFailure).toBe("HTTP 500")
    }))

  it.scopedLive("a collector that never answers: said once on stderr when the run ends, not waited on", () =>
    Effect.gen(function*() {
      const { url, received } = yield* collectorAnswering(null)
      const r = yield* run(url)
      expect([0, 1]).toContain(r.code)
      expect(received.length).toBeGreaterThan(0)
      const lines = failureLines(r.stderr)
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(new RegExp(`^--otlp ${url.replaceAll(".", "\\.")}: an export failed \\(`))
    }))
})
