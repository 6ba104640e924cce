/**
 * The actors' spans, made through Effect's own tracer: a span per file
 * (`Effect.withSpan`, so a user's mitigation that makes spans of its own sees
 * them nest under the file's), its segments as child spans (the connection
 * opened and closed, each read, queue wait, lock wait and write of each
 * transition, each API call and backoff), in the run's clock (simulated time
 * under the warp), under a span per trial. Whatever tracer the run has gets
 * them: OpenTelemetry's OTLP exporter for `--otlp`, the recording one below
 * for `--trace`, both at once. Off by default: actors make spans only when
 * `Tracing` says so, and otherwise do nothing more than check it.
 */
import * as Context from "effect/Context"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"

/** Whether the actors make spans: off unless a run asked for a trace or an OTLP export. */
export class Tracing extends Context.Reference<Tracing>()("upload-fsm-bench/Tracing", {
  defaultValue: () => ({ enabled: false })
}) {}

/** The attribute that marks a file's span, and holds its runner slot (the file's track in a Chrome trace). */
export const SLOT_ATTRIBUTE = "upload_fsm.slot"

/** A span as the Chrome trace shows it. */
export interface Span {
  readonly name: string
  /** The runner slot the file ran on: its track. */
  readonly slot: number
  readonly startNs: bigint
  readonly endNs: bigint
  /** The file's own span is "file"; its segments are "segment". */
  readonly category: "file" | "segment"
  readonly args?: Readonly<Record<string, string | number>>
}

/** The spans of a traced trial, and which trial it was. */
export interface TrialTrace {
  readonly label: string
  readonly slots: number
  readonly spans: ReadonlyArray<Span>
}

/**
 * A tracer that keeps every span `inner` makes (and makes them with `inner`,
 * so that an exporter beside it still gets them): `--trace`'s view of one
 * trial's spans.
 */
export const recordingTracer = (inner: Tracer.Tracer): Tracer.Tracer & { readonly spans: () => ReadonlyArray<Tracer.Span> } => {
  const made: Array<Tracer.Span> = []
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind, options) => {
      const span = inner.span(name, parent, context, links, startTime, kind, options)
      made.push(span)
      return span
    },
    context: inner.context
  })
  return Object.assign(tracer, { spans: () => made })
}

const argsOf = (span: Tracer.Span): Record<string, string | number> => {
  const args: Record<string, string | number> = {}
  for (const [key, value] of span.attributes) {
    if (key === SLOT_ATTRIBUTE) continue
    if (typeof value === "string" || typeof value === "number") args[key] = value
  }
  return args
}

/** The ended spans of files (marked with their slot) and of their segments, as the Chrome trace shows them. */
export const traceSpans = (spans: ReadonlyArray<Tracer.Span>): ReadonlyArray<Span> => {
  const slots = new Map<string, number>()
  for (const span of spans) {
    const slot = span.attributes.get(SLOT_ATTRIBUTE)
    if (typeof slot === "number") slots.set(span.spanId, slot)
  }
  const out: Array<Span> = []
  for (const span of spans) {
    if (span.status._tag !== "Ended") continue
    const own = slots.get(span.spanId)
    const parent = Option.getOrUndefined(span.parent)
    const slot = own ?? (parent === undefined ? undefined : slots.get(parent.spanId))
    if (slot === undefined) continue
    const args = argsOf(span)
    out.push({
      name: span.name,
      slot,
      startNs: span.status.startTime,
      endNs: span.status.endTime,
      category: own === undefined ? "segment" : "file",
      ...(Object.keys(args).length === 0 ? {} : { args })
    })
  }
  return out
}

/** The spans as a Chrome trace-event document (`traceEvents`, complete events in µs from the first span). */
export const traceEvents = (
  spans: ReadonlyArray<Span>,
  meta: { readonly process: string; readonly slots: number }
): unknown => {
  const origin = spans.reduce((min, s) => (s.startNs < min ? s.startNs : min), spans[0]?.startNs ?? 0n)
  const us = (ns: bigint) => Number(ns - origin) / 1000
  return {
    displayTimeUnit: "ms",
    traceEvents: [
      { name: "process_name", ph: "M", pid: 1, tid: 0, args: { name: meta.process } },
      ...Array.from({ length: meta.slots }, (_, slot) => ({
        name: "thread_name",
        ph: "M",
        pid: 1,
        tid: slot + 1,
        args: { name: `runner slot ${slot + 1}` }
      })),
      ...spans.map((s) => ({
        name: s.name,
        cat: s.category,
        ph: "X",
        pid: 1,
        tid: s.slot + 1,
        ts: us(s.startNs),
        dur: Math.max(0, Number(s.endNs - s.startNs) / 1000),
        ...(s.args === undefined ? {} : { args: s.args })
      }))
    ]
  }
}
