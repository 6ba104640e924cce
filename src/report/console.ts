/** The terminal report: the seed's table, then the thresholds, bottleneck, WAL, scaling and gate lines. */
import type { BenchResult } from "../gate/bench.ts"
import { bytes, count, ms, percent, seconds, table } from "./format.ts"

export const runsTable = (result: BenchResult): string =>
  table(
    [
      "conc",
      "profile",
      "elapsed s",
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
      "verdict"
    ],
    result.runs.map((r) => [
      String(r.concurrency),
      r.profile,
      seconds(r.elapsedSeconds),
      count(r.filesPerSecond),
      count(r.transitionsPerSecond),
      ms(r.segments.db_total_ms.p50),
      ms(r.segments.db_total_ms.p95),
      ms(r.segments.lock_wait_ms.p95),
      ms(r.segments.fsm_dispatch_ms.p95),
      ms(r.segments.fsm_net_ms.p50),
      ms(r.segments.fsm_net_ms.p95),
      bytes(r.wal.bytes),
      r.accounting.meanInFlight.toFixed(1),
      r.integrity.ok ? r.wal.verdict : "INTEGRITY FAIL"
    ]),
    0
  )

export const thresholdLines = (result: BenchResult): ReadonlyArray<string> =>
  result.thresholds.map((t) =>
    t.measuredSeconds === null
      ? `${t.name} (${t.profile}, c=${t.concurrency}, limit ${t.limitSeconds} s): NOT RUN`
      : `${t.name} (${t.profile}, c=${t.concurrency}): ${seconds(t.measuredSeconds)} s against a limit of ` +
        `${t.limitSeconds} s: ${t.verdict}` +
        (t.floorSeconds === null ? "" : `; floor ${seconds(t.floorSeconds)} s`) +
        (t.note === null ? "" : `; ${t.note}`)
  )

export const bottleneckLines = (result: BenchResult): ReadonlyArray<string> => {
  const b = result.bottleneck
  if (b === null) return ["Bottleneck: no run measured"]
  const where = `c=${b.run.concurrency} ${b.run.profile}`
  return [
    `Bottleneck (${where}, seed's rule, highest P95 leaf of fsm_net): ${b.byP95.segment} at P95 ${ms(b.byP95.p95)} ms`,
    `Bottleneck (${where}, largest share of fsm_net time): ${b.byShare.segment} with ${percent(b.byShare.share)}`,
    ...(b.agree ? [] : [`The two rules disagree: ${b.byP95.segment} has the worst tail, ${b.byShare.segment} costs the most in total.`])
  ]
}

export const walLines = (result: BenchResult): ReadonlyArray<string> =>
  result.runs.map((r) =>
    `WAL c=${r.concurrency} ${r.profile}: ${r.wal.verdict}, ${count(r.wal.busy)} SQLITE_BUSY, ` +
    `${ms(r.wal.busyWaitMs)} ms retrying (${percent(r.wal.busyShareOfDb)} of db time), ` +
    `lock/db P95 ${percent(r.wal.seedRatio)}, WAL ${bytes(r.wal.bytesStart)} → ${bytes(r.wal.bytes)}`
  )

export const scalingLines = (result: BenchResult): ReadonlyArray<string> =>
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

export const gateLines = (result: BenchResult): ReadonlyArray<string> => [
  `Gate VLID-06: ${result.gate.verdict}`,
  ...(["SC1", "SC2", "SC3"] as const).map((k) => `  ${k} ${result.gate.criteria[k].verdict}: ${result.gate.criteria[k].evidence}`),
  ...(result.integrity.ok ? [] : [`Integrity check FAILED for: ${result.integrity.failedRuns.join(", ")}`]),
  ...result.runs.flatMap((r) => r.integrity.problems.map((p) => `  c=${r.concurrency} ${r.profile}: ${p}`))
]

export const environmentLine = (result: BenchResult): string => {
  const e = result.environment
  return `${e.runtime} ${e.runtimeVersion}, SQLite ${e.sqliteVersion} (${e.driver}), ${e.cpuCount} × ${e.cpuModel}, ` +
    `${e.memoryGiB} GiB, ${e.os}, commit ${e.gitCommit.slice(0, 12)}${e.gitDirty === true ? " (dirty)" : ""}`
}

export const consoleReport = (result: BenchResult): string =>
  [
    `upload-fsm-bench: ${result.config.files} files, seed ${result.config.seed}, mitigation ${result.config.mitigation}` +
    ` (times in ms unless marked)`,
    environmentLine(result),
    "",
    runsTable(result),
    "",
    ...thresholdLines(result),
    ...bottleneckLines(result),
    ...walLines(result),
    ...scalingLines(result),
    "",
    ...gateLines(result)
  ].join("\n")
