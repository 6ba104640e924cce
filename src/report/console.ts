/**
 * The terminal report: the answer, the seed's table, then the thresholds,
 * bottleneck, WAL, scaling, mitigation and gate lines. Compact by default:
 * within 80 columns, tables cut to their main columns and prose wrapped;
 * `wide` gives every column and one line per fact. Verdicts are coloured only
 * when asked (a terminal), never in a pipe.
 */
import { HAPPY_PATH } from "../lifecycle/fsm.ts"
import * as Effect from "effect/Effect"
import { describeModel } from "../api/profiles.ts"
import type { ComparisonRow, ResultsDocument, RunResult } from "../results/schema.ts"
import { bottleneckOf } from "../verdict/bottleneck.ts"
import { answerLines } from "./answer.ts"
import { wrapText } from "./wrap.ts"
import type { Exporter } from "./exporter.ts"
import { bytes, count, ms, percent, rate, seconds, table, trialsPhrase } from "./format.ts"

/** The matrix in 80 columns: elapsed, throughput and the P95s that name contention. */
export const compactRunsTable = (result: ResultsDocument): string =>
  table(
    ["conc", "profile", "elapsed s", "trans/s", "db P95", "lock P95", "net P95", "verdict"],
    result.runs.map((r) => [
      String(r.concurrency),
      r.profile,
      `${seconds(r.elapsedSeconds)}${r.clock === "simulated" ? "*" : ""}`,
      rate(r.transitionsPerSecond),
      ms(r.segments.db_total_ms.p95),
      ms(r.segments.lock_wait_ms.p95),
      ms(r.segments.fsm_net_ms.p95),
      r.integrity.ok ? r.wal.verdict : "INTEGRITY FAIL"
    ]),
    0
  )

export const runsTable = (result: ResultsDocument): string =>
  table(
    [
      "conc",
      "profile",
      "elapsed s",
      "95% CI",
      "files/s",
      "trans/s",
      "db P50",
      "db P95",
      "lock P95",
      "fsm P95",
      "net P50",
      "net P95",
      "WAL",
      "in flight",
      "floor s",
      "eff",
      "clock",
      "verdict"
    ],
    result.runs.map((r) => [
      String(r.concurrency),
      r.profile,
      seconds(r.elapsedSeconds),
      `${seconds(r.ci.elapsedSeconds[0])}–${seconds(r.ci.elapsedSeconds[1])}`,
      rate(r.filesPerSecond),
      rate(r.transitionsPerSecond),
      ms(r.segments.db_total_ms.p50),
      ms(r.segments.db_total_ms.p95),
      ms(r.segments.lock_wait_ms.p95),
      ms(r.segments.fsm_dispatch_ms.p95),
      ms(r.segments.fsm_net_ms.p50),
      ms(r.segments.fsm_net_ms.p95),
      bytes(r.wal.bytes),
      r.accounting.meanInFlight.toFixed(1),
      r.floor === null ? "-" : seconds(r.floor.elapsedSeconds),
      efficiency(r),
      r.clock === "simulated" ? "sim" : "real",
      r.integrity.ok ? r.wal.verdict : "INTEGRITY FAIL"
    ]),
    0
  )

const efficiency = (r: RunResult) => (r.efficiency === null ? "-" : r.efficiency.toFixed(2))

/**
 * The storage floor against each run: what the same statements cost on the
 * raw driver with no harness, the run's efficiency (floor ÷ its own time) and
 * our own per-file cost (runtime_ms).
 */
export const floorLines = (result: ResultsDocument, wide = true): ReadonlyArray<string> => {
  const measured = result.runs.filter((r) => r.floor !== null)
  if (measured.length === 0) return []
  const about =
    "Storage floor (the same statements on the raw driver, one file after another, no Effect, no API; storage work only)"
  if (wide) {
    return measured.map((r) =>
      `${about}, c=${r.concurrency} ${r.profile} ${r.mitigation}: ${seconds(r.floor?.elapsedSeconds ?? 0)} s; ` +
      `efficiency ${efficiency(r)}; runtime_ms (our own cost) mean ${ms(r.segments.runtime_ms.mean)} ms per file`
    )
  }
  const floors = [...new Set(measured.map((r) => r.floor?.elapsedSeconds ?? 0))]
  return [
    `${about}: ${floors.map((f) => `${seconds(f)} s`).join(", ")}; efficiency (floor ÷ the run's own time) ` +
    measured.map((r) => `c=${r.concurrency} ${r.profile} ${efficiency(r)}`).join(", ") +
    `; runtime_ms (our own cost) mean ` +
    `${ms(Math.min(...measured.map((r) => r.segments.runtime_ms.mean)))}–${ms(Math.max(...measured.map((r) => r.segments.runtime_ms.mean)))} ms per file`
  ]
}

/**
 * The contrast driver's baseline beside the run's own at the same
 * configuration: what the figures would have said on a driver of the other
 * kind. Outside the gate.
 */
export const contrastLines = (result: ResultsDocument): ReadonlyArray<string> => {
  const c = result.contrast
  if (c === null) return []
  const own = result.runs.find((r) => r.concurrency === c.run.concurrency && r.profile === c.run.profile && r.mitigation === "baseline") ??
    result.comparisons?.steps[0]?.before
  const figures = (r: RunResult) => {
    const largest = bottleneckOf(r).byShare
    return `${seconds(r.elapsedSeconds)} s, lock P95 ${ms(r.segments.lock_wait_ms.p95)} ms, ` +
      `largest leaf ${largest.segment} ${percent(largest.share)}`
  }
  return [
    `Contrast (outside the gate), baseline at c=${c.run.concurrency} ${c.run.profile}: ${c.driver} ${figures(c.run)}` +
    (own === undefined ? "" : `; ${result.config.driver} ${figures(own)}`) +
    (c.run.integrity.ok ? "" : "; contrast INTEGRITY FAILED")
  ]
}

export const thresholdLines = (result: ResultsDocument): ReadonlyArray<string> =>
  result.thresholds.map((t) =>
    t.measuredSeconds === null
      ? `${t.name} (${t.profile}, c=${t.concurrency}, limit ${t.limitSeconds} s): NOT RUN`
      : `${t.name} (${t.profile}, c=${t.concurrency}): ${seconds(t.measuredSeconds)} s${
        t.clock === "simulated" ? " (simulated time)" : ""
      } against a limit of ` +
        `${t.limitSeconds} s: ${t.verdict}` +
        (t.floorSeconds === null ? "" : `; floor ${seconds(t.floorSeconds)} s`) +
        (t.note === null ? "" : `; ${t.note}`)
  )

export const bottleneckLines = (result: ResultsDocument): ReadonlyArray<string> => {
  const b = result.bottleneck
  if (b === null) return ["Bottleneck: no run measured"]
  const where = `c=${b.run.concurrency} ${b.run.profile}`
  return [
    `Bottleneck (${where}, original plan's rule, highest P95 leaf of fsm_net): ${b.byP95.segment} at P95 ${ms(b.byP95.p95)} ms`,
    `Bottleneck (${where}, largest share of fsm_net time): ${b.byShare.segment} with ${percent(b.byShare.share)}`,
    ...(b.agree ? [] : [`The two rules disagree: ${b.byP95.segment} has the worst tail, ${b.byShare.segment} costs the most in total.`])
  ]
}

export const walLines = (result: ResultsDocument): ReadonlyArray<string> =>
  result.runs.map((r) =>
    `WAL c=${r.concurrency} ${r.profile}: ${r.wal.verdict}, ${count(r.wal.busy)} SQLITE_BUSY in ${r.trials} trial(s), ` +
    `${ms(r.wal.busyWaitMs)} ms retrying (${percent(r.wal.busyShareOfDb)} of db time), ` +
    `lock/db P95 ${percent(r.wal.seedRatio)}, WAL ${bytes(r.wal.bytesStart)} → ${bytes(r.wal.bytes)}, ` +
    `${r.wal.checkpoints ?? "?"} checkpoints restarted it`
  )

/** The WAL in one line when no run ever waited for the lock; else a line per run. */
const compactWalLines = (result: ResultsDocument): ReadonlyArray<string> => {
  if (result.runs.some((r) => r.wal.busy > 0)) return walLines(result)
  const range = (xs: ReadonlyArray<number>, f: (x: number) => string) => {
    const lo = f(Math.min(...xs))
    const hi = f(Math.max(...xs))
    return lo === hi ? lo : `${lo}–${hi}`
  }
  return [
    `WAL: CLEAN in every run (no SQLITE_BUSY); ${range(result.runs.map((r) => r.wal.bytes), bytes)} at the end, ` +
    `${range(result.runs.map((r) => r.wal.checkpoints ?? 0), String)} checkpoints restarted it per run`
  ]
}

export const scalingLines = (result: ResultsDocument): ReadonlyArray<string> =>
  result.scaling.map((s) => {
    const head = s.slope === null
      ? `Scaling ${s.profile}: one concurrency level only, no slope`
      : `Scaling ${s.profile}: fsm_net P95 ${s.points.map((p) => `${ms(p.fsmNetP95)} ms @ c=${p.concurrency}`).join(", ")}; ` +
        `log-log slope ${s.slope.toFixed(2)}: ${s.growth}`
    const change = s.bottleneckChange
    return change === null
      ? head
      : `${head}; bottleneck c=${change.from.concurrency} ${change.from.segment} → c=${change.to.concurrency} ` +
        `${change.to.segment} (${change.changed ? "changed" : "unchanged"}); lock-wait P95 ×${change.lockWaitP95Ratio ?? "-"}`
  })

const value = (row: ComparisonRow, x: number) => (row.unit === "s" ? seconds(x) : ms(x))

/** Before/after in 80 columns: the ratio and its interval say it; the deltas are in the wide table and the files. */
export const compactComparisonTable = (rows: ReadonlyArray<ComparisonRow>): string =>
  table(
    ["metric", "before", "after", "ratio", "95% CI", "verdict"],
    rows.map((row) => [
      row.metric === "elapsed" ? "elapsed (s)" : `${row.metric} P95`,
      value(row, row.before),
      value(row, row.after),
      row.ratio === null ? "-" : row.ratio.toFixed(3),
      row.ci === null ? "-" : `${row.ci[0].toFixed(2)}–${row.ci[1].toFixed(2)}`,
      row.verdict
    ]),
    1
  )

export const comparisonTable = (rows: ReadonlyArray<ComparisonRow>): string =>
  table(
    ["metric", "before", "after", "delta", "delta %", "ratio", "95% CI", "verdict"],
    rows.map((row) => [
      row.metric === "elapsed" ? "elapsed (s)" : `${row.metric} P95`,
      value(row, row.before),
      value(row, row.after),
      value(row, row.delta),
      row.deltaPercent === null ? "-" : `${row.deltaPercent.toFixed(1)}%`,
      row.ratio === null ? "-" : row.ratio.toFixed(3),
      row.ci === null ? "-" : `${row.ci[0].toFixed(3)}–${row.ci[1].toFixed(3)}`,
      row.verdict
    ]),
    1
  )

export const recoveryLine = (label: string, run: RunResult): ReadonlyArray<string> => {
  const r = run.recovery
  return r === null
    ? []
    : [
      `Recovery (${label}, median per trial): ${r.failedCommits} failed batch commit(s) lost ${r.lostTransitions} ` +
      `transitions; ${r.inconsistentFiles} files finished believing a state the database did not hold and ` +
      `${r.failedFiles} stopped on an error; ${r.redoneFiles} files re-hydrated and redone (${r.redoneApiCalls} API calls ` +
      `repeated) in ${r.passes} pass(es), ${seconds(r.seconds)} s; integrity afterwards: ` +
      `${run.integrity.ok ? "held in every trial" : "FAILED"}`
    ]
}

export const comparisonLines = (result: ResultsDocument, wide = true): ReadonlyArray<string> => {
  const c = result.comparisons
  if (c === null) return ["No mitigation compared (--ladder off)."]
  const at = `c=${result.config.comparisonAt.concurrency} ${result.config.comparisonAt.profile}`
  return [
    `Mitigations at ${at}: ${c.mode === "first" ? "ladder, stopping at the first step that meets Threshold 1" : "every step measured"}; ` +
    `${result.config.trials} trials each after ${result.config.warmup} warm-up, ` +
    `${c.mode === "full" ? "in rounds of the baseline and every step" : "baseline and mitigation alternating"}; ` +
    `verdicts need the 95% CI to exclude 1 and a change above ${percent(result.config.noise)}`,
    ...c.steps.flatMap((step, i) => [
      "",
      `Step ${i + 1}: ${step.mitigation} (${step.after.strategy.connections} connection, ${step.after.strategy.guard} guard, ` +
      `${step.after.strategy.writer} writer): median elapsed ${seconds(step.after.elapsedSeconds)} s, ` +
      `Threshold 1 ${step.meetsThreshold1 ? "met" : "not met"}` +
      (step.after.floor === null
        ? ""
        : `; storage floor ${seconds(step.after.floor.elapsedSeconds)} s, efficiency ${efficiency(step.after)} ` +
          `(baseline ${efficiency(step.before)})`),
      wide ? comparisonTable(step.rows) : compactComparisonTable(step.rows),
      ...recoveryLine(step.mitigation, step.after)
    ]),
    "",
    c.firstSuccess === null
      ? `No step met Threshold 1 (${result.config.thresholdZeroSeconds} s).`
      : `First step to meet Threshold 1: ${c.firstSuccess}.`
  ]
}

export const gateLines = (result: ResultsDocument): ReadonlyArray<string> => [
  `Gate VLID-06: ${result.gate.verdict}` +
  (result.gate.path === null
    ? ""
    : result.gate.path === "A"
    ? " (path A: the baseline met Threshold 1)"
    : " (path B: the baseline missed Threshold 1; the ladder was walked)"),
  ...(["SC1", "SC2", "SC3"] as const).map((k) => `  ${k} ${result.gate.criteria[k].verdict}: ${result.gate.criteria[k].evidence}`),
  ...(result.integrity.ok ? [] : [`Integrity check FAILED for: ${result.integrity.failedRuns.join(", ")}`]),
  ...result.runs.flatMap((r) => r.integrity.problems.map((p) => `  c=${r.concurrency} ${r.profile}: ${p}`))
]

export const environmentLine = (result: ResultsDocument): string => {
  const e = result.environment
  return `${e.runtime} ${e.runtimeVersion}, ${e.storeVersion} (${e.driver}), ${e.cpuCount} × ${e.cpuModel}, ` +
    `${e.memoryGiB} GiB, ${e.os}, commit ${e.gitCommit.slice(0, 12)}${e.gitDirty === true ? " (dirty)" : ""}`
}

const describeProfile = (p: ResultsDocument["config"]["profileDefinitions"][number]) =>
  p.name === "zero"
    ? "zero (no delay)"
    : `${p.name} (upload ${describeModel(p.upload)}, import ${describeModel(p.import)}` +
      `${p.rateLimitPerMinute === null ? "" : `, at most ${p.rateLimitPerMinute} calls/min`}` +
    `${p.failureProbability.upload > 0 || p.failureProbability.import > 0 ? `, failing ${p.failureProbability.upload}/${p.failureProbability.import}` : ""}` +
    `${p.timeoutSeconds.upload !== null || p.timeoutSeconds.import !== null ? `, timeouts ${p.timeoutSeconds.upload ?? "-"}/${p.timeoutSeconds.import ?? "-"} s` : ""})`

export const apiLines = (result: ResultsDocument): ReadonlyArray<string> =>
  result.runs
    .filter((r) => r.api.rateLimited > 0 || r.api.failures > 0 || r.api.timeouts > 0)
    .map((r) =>
      `API c=${r.concurrency} ${r.profile}: ${r.api.calls} calls, ${r.api.failures} failed, ${r.api.timeouts} timed out, ` +
      `${r.api.rateLimited} answered 429 (medians over trials)`
    )

/** Final states and transitions by type, for runs that left the plain happy path. */
export const lifecycleLines = (result: ResultsDocument): ReadonlyArray<string> =>
  result.runs
    .filter((r) => r.integrity.finalStates.indexed !== r.integrity.files || Object.entries(r.transitionsByEvent).some(([e, n]) => n > 0 && !(HAPPY_PATH as ReadonlyArray<string>).includes(e)))
    .map((r) =>
      `Lifecycle c=${r.concurrency} ${r.profile}: final states ${
        Object.entries(r.integrity.finalStates).filter(([, n]) => n > 0).map(([s, n]) => `${s} ${n}`).join(", ")
      }; transitions ${Object.entries(r.transitionsByEvent).filter(([, n]) => n > 0).map(([e, n]) => `${e} ${n}`).join(", ")}`
    )

export interface ConsoleOptions {
  /** Every column and one line per fact, however long. */
  readonly wide: boolean
  /** ANSI colours on verdicts: for a terminal only. */
  readonly color: boolean
}

const paint = (color: boolean) => (line: string) =>
  !color
    ? line
    : line
      .replace(/\b(PASS|CLEAN|improved)\b/g, "\x1b[32m$1\x1b[0m")
      .replace(/\b(FAIL|FAILED|INTEGRITY FAIL|CONTENTION|regressed)\b/g, "\x1b[31m$1\x1b[0m")
      .replace(/\b(INCOMPLETE|MINOR|NOT RUN)\b/g, "\x1b[33m$1\x1b[0m")

export const consoleReport = (result: ResultsDocument, options: ConsoleOptions = { wide: true, color: false }): string => {
  // Compact: each prose line wrapped within 80 columns (tables are built to fit).
  const prose = (lines: ReadonlyArray<string>) => (options.wide ? lines : lines.flatMap((l) => wrapText(l, 80, 4)))
  return [
    ...answerLines(result),
    "",
    ...prose([
      `upload-fsm-bench: ${result.config.files} files, seed ${result.config.seed}, mitigation ${result.config.mitigation}, ` +
      `${trialsPhrase(result.config)} (times in ms unless marked)`,
      environmentLine(result),
      `Profiles: ${result.config.profileDefinitions.map(describeProfile).join("; ")}`
    ]),
    "",
    options.wide ? runsTable(result) : compactRunsTable(result),
    ...(options.wide || !result.runs.some((r) => r.clock === "simulated") ? [] : ["* simulated time (the time warp)"]),
    "",
    ...prose([
      ...thresholdLines(result),
      ...floorLines(result, options.wide),
      ...contrastLines(result),
      ...bottleneckLines(result),
      ...(options.wide ? walLines(result) : compactWalLines(result)),
      ...apiLines(result),
      ...lifecycleLines(result),
      ...scalingLines(result),
      ...result.runs.flatMap((r) => recoveryLine(`c=${r.concurrency} ${r.profile} ${r.mitigation}`, r))
    ]),
    "",
    ...comparisonLines(result, options.wide).flatMap((l) => (l.includes("\n") ? [l] : prose([l]))),
    "",
    ...prose(gateLines(result))
  ].map(paint(options.color)).join("\n")
}

export const consoleExporter = (options: ConsoleOptions): Exporter => ({
  name: "console",
  file: null,
  render: (doc) => Effect.succeed(consoleReport(doc, options))
})
