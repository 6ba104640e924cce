/**
 * `--trace FILE`: one trial's actors as a Chrome trace-event document, for
 * ui.perfetto.dev or chrome://tracing: a track per runner slot, a span per
 * file with its segments as child spans (see `metrics/trace.ts`).
 */
import { traceEvents, type TrialTrace } from "../metrics/trace.ts"

export const traceJson = (trace: TrialTrace): string =>
  `${JSON.stringify(traceEvents(trace.spans, { process: `upload-fsm-bench ${trace.label}`, slots: trace.slots }))}\n`
