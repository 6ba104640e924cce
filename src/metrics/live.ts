/**
 * The run's live view, for someone watching a long run (`--metrics-port`,
 * `--otlp`): files done, transitions by event, SQLITE_BUSY answers, actors in
 * flight, by configuration and runner, and the trial now running. These are
 * Effect metrics like the segment histograms (`recorder.ts`), but nothing
 * updates them unless a run asks for an exporter: the default `LiveMetrics`
 * is off, and the batch runner and the cluster client look at it once per
 * trial, so a run that watches nothing pays for none of it.
 */
import * as Context from "effect/Context"
import * as Metric from "effect/Metric"
import * as MetricKey from "effect/MetricKey"
import * as MetricLabel from "effect/MetricLabel"
import { MetricDefinitions } from "./definitions.ts"
import type { RunLabels } from "./recorder.ts"

/** What a finished file tells the live view: its last state, its committed events, its busy answers; or that its actor failed. */
export interface FileDone {
  readonly state: string
  readonly events: ReadonlyArray<string>
  readonly busyEvents: number
}

/** One trial's live metrics: its labels baked into every key, so that an update looks nothing up by tags. */
export interface TrialMetrics {
  /** A file finished (`null`: its actor failed) on `runner` ("local" in the run's own process). */
  readonly fileDone: (file: FileDone | null, runner: string) => void
  readonly inFlight: (actors: number) => void
}

export interface LiveShape {
  readonly enabled: boolean
  readonly trial: (labels: RunLabels) => TrialMetrics
}

const nothing: TrialMetrics = { fileDone: () => undefined, inFlight: () => undefined }

/** Whether, and how, a run's live metrics are kept: off unless an exporter asked for them. */
export class LiveMetrics extends Context.Reference<LiveMetrics>()("upload-fsm-bench/LiveMetrics", {
  defaultValue: (): LiveShape => ({ enabled: false, trial: () => nothing })
}) {}

const labelsOf = (tags: Readonly<Record<string, string>>) => Object.entries(tags).map(([k, v]) => MetricLabel.make(k, v))

const counter = (definition: { readonly name: string; readonly description: string }, tags: Readonly<Record<string, string>>) =>
  Metric.fromMetricKey(MetricKey.taggedWithLabels(MetricKey.counter(definition.name, { description: definition.description, incremental: true }), labelsOf(tags)))

const gauge = (definition: { readonly name: string; readonly description: string }, tags: Readonly<Record<string, string>>) =>
  Metric.fromMetricKey(MetricKey.taggedWithLabels(MetricKey.gauge(definition.name, { description: definition.description }), labelsOf(tags)))

/** A counter per distinct key, made on first use. */
const keyed = <M>(make: (key: string) => M) => {
  const made = new Map<string, M>()
  return (key: string): M => {
    const known = made.get(key)
    if (known !== undefined) return known
    const fresh = make(key)
    made.set(key, fresh)
    return fresh
  }
}

/** The live view on: each trial's metrics made once, each series on its first update. */
export const liveMetrics = (): LiveShape => ({
  enabled: true,
  trial: (labels) => {
    const files = keyed((key) => {
      const [runner = "", state = ""] = key.split("\u0000")
      return counter(MetricDefinitions.filesDone, { ...labels, runner, state })
    })
    const transitions = keyed((key) => {
      const [runner = "", event = ""] = key.split("\u0000")
      return counter(MetricDefinitions.transitions, { ...labels, runner, event })
    })
    const busy = keyed((runner) => counter(MetricDefinitions.busy, { ...labels, runner }))
    const inFlight = gauge(MetricDefinitions.inFlight, labels)
    return {
      fileDone: (file, runner) => {
        files(`${runner}\u0000${file === null ? "error" : file.state}`).unsafeUpdate(1, [])
        if (file === null) return
        for (const event of file.events) transitions(`${runner}\u0000${event}`).unsafeUpdate(1, [])
        if (file.busyEvents > 0) busy(runner).unsafeUpdate(file.busyEvents, [])
      },
      inFlight: (actors) => inFlight.unsafeUpdate(actors, [])
    }
  }
})

/** The trial now running, and how far the run is: set by the bench around each trial. */
export const trialGauges = {
  running: (labels: Readonly<Record<string, string>>) => gauge(MetricDefinitions.trialRunning, labels),
  planned: gauge(MetricDefinitions.trialsPlanned, {}),
  done: counter(MetricDefinitions.trialsDone, {})
}
