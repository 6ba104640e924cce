/**
 * A trace of one trial's actors, for Perfetto or chrome://tracing: a span per
 * file on its runner slot's track, with its segments as child spans (the
 * connection opened and closed, each read, queue wait, lock wait and write of
 * each transition, each API call and backoff), in the run's clock (simulated
 * time under the warp). Off by default: a run records one only for `--trace`,
 * and the actor then reads the clock around each step; otherwise it does
 * nothing more than before.
 */
import * as Context from "effect/Context"

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

export interface TraceShape {
  readonly enabled: boolean
  readonly add: (span: Span) => void
}

/** Where the actors' spans go: nowhere unless a recording trace is provided. */
export class Trace extends Context.Reference<Trace>()("upload-fsm-bench/Trace", {
  defaultValue: (): TraceShape => ({ enabled: false, add: () => undefined })
}) {}

/** A trace that keeps every span, for one trial. */
export const recordingTrace = (): TraceShape & { readonly spans: ReadonlyArray<Span> } => {
  const spans: Array<Span> = []
  return { enabled: true, add: (span) => void spans.push(span), spans }
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
