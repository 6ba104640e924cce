/**
 * Every Effect metric a run can update, described once: the metrics are made
 * from these (`recorder.ts`, `live.ts`), and `docs/reference/metrics.md` is
 * written from them. `live` says whether the metric is kept only when a run
 * asks for an exporter (`--metrics-port`, `--otlp`); the segment histogram is
 * always kept (a test checks it against the raw samples). `prometheus` is how
 * the series reach Prometheus (OpenTelemetry's exporter adds `_total` to a
 * counter, `_bucket`, `_sum` and `_count` to a histogram).
 */
export const MetricDefinitions = {
  segment: {
    name: "upload_fsm_segment_ms",
    kind: "histogram",
    live: false,
    prometheus: ["upload_fsm_segment_ms_bucket", "upload_fsm_segment_ms_sum", "upload_fsm_segment_ms_count"],
    description: "per-file segment time in milliseconds",
    tags: ["segment", "run", "profile", "concurrency", "mitigation", "phase (a recovery pass only)"]
  },
  filesDone: {
    name: "upload_fsm_files_done",
    kind: "counter",
    live: true,
    prometheus: ["upload_fsm_files_done_total"],
    description: "files whose actor finished, by the state it left them in (`error`: the actor failed; a recovery pass may redo it)",
    tags: ["run", "profile", "concurrency", "mitigation", "runner", "state"]
  },
  transitions: {
    name: "upload_fsm_transitions_persisted",
    kind: "counter",
    live: true,
    prometheus: ["upload_fsm_transitions_persisted_total"],
    description:
      "lifecycle transitions whose write returned success to their actor (with batched writes: applied, commit pending), by event",
    tags: ["run", "profile", "concurrency", "mitigation", "runner", "event"]
  },
  busy: {
    name: "upload_fsm_sqlite_busy",
    kind: "counter",
    live: true,
    prometheus: ["upload_fsm_sqlite_busy_total"],
    description: "SQLITE_BUSY answers while acquiring the write lock (the time they cost is in the lock_wait_ms histogram)",
    tags: ["run", "profile", "concurrency", "mitigation", "runner"]
  },
  inFlight: {
    name: "upload_fsm_actors_in_flight",
    kind: "gauge",
    live: true,
    prometheus: ["upload_fsm_actors_in_flight"],
    description: "actors running now in the process that serves it: the run's own, or on a runner's endpoint (`--workers`, " +
      "`runner --metrics-port`) that runner's",
    tags: ["run", "profile", "concurrency", "mitigation", "runner (a runner's endpoint only)"]
  },
  trialRunning: {
    name: "upload_fsm_trial_running",
    kind: "gauge",
    live: true,
    prometheus: ["upload_fsm_trial_running"],
    description: "1 while the trial runs, 0 after: which configuration and trial the run is at",
    tags: ["run", "profile", "concurrency", "mitigation", "driver", "trial"]
  },
  trialsPlanned: {
    name: "upload_fsm_trials_planned",
    kind: "gauge",
    live: true,
    prometheus: ["upload_fsm_trials_planned"],
    description: "trials the run's plan holds, warm-ups and the contrast driver's included (with `--ladder first`, an upper bound: the ladder may stop early)",
    tags: []
  },
  trialsDone: {
    name: "upload_fsm_trials_done",
    kind: "counter",
    live: true,
    prometheus: ["upload_fsm_trials_done_total"],
    description: "trials finished so far",
    tags: []
  }
} as const
