/**
 * The written verdict, `summary-STAMP.md`: the seed's SUMMARY, generated
 * from the result values only.
 */
import * as Effect from "effect/Effect"
import type { ResultsDocument, Step } from "../results/schema.ts"
import { answerLines } from "./answer.ts"
import { contrastLines, environmentLine } from "./console.ts"
import type { Exporter } from "./exporter.ts"
import { ms, percent, seconds, trialsPhrase } from "./format.ts"

const mdTable = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string =>
  [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n")

const stepTable = (step: Step): string =>
  mdTable(
    ["metric", "before", "after", "delta", "delta %", "ratio (95% CI)", "verdict"],
    step.rows.map((r) => {
      const f = (x: number) => (r.unit === "s" ? `${seconds(x)} s` : `${ms(x)} ms`)
      return [
        r.metric === "elapsed" ? "elapsed" : `${r.metric} P95`,
        f(r.before),
        f(r.after),
        f(r.delta),
        r.deltaPercent === null ? "-" : `${r.deltaPercent.toFixed(1)}%`,
        r.ratio === null || r.ci === null ? "-" : `${r.ratio.toFixed(3)} (${r.ci[0].toFixed(3)}–${r.ci[1].toFixed(3)})`,
        r.verdict
      ]
    })
  )

const recommendations = (result: ResultsDocument): ReadonlyArray<string> => {
  const out: Array<string> = []
  const b = result.bottleneck
  const steps = result.comparisons?.steps ?? []
  if (result.gate.path === "A") {
    const t1 = result.thresholds.find((t) => t.name === "Threshold 1")
    out.push(
      `No mitigation is needed for the thresholds: the baseline met Threshold 1` +
        (t1?.marginSeconds == null ? "." : ` with ${seconds(t1.marginSeconds)} s to spare.`)
    )
  }
  if (result.gate.path === "B") {
    out.push(
      result.comparisons?.firstSuccess == null
        ? "No mitigation on the ladder met Threshold 1: the persistence design itself needs rethinking before the batch."
        : `Adopt ${result.comparisons.firstSuccess}: the cheapest ladder step that met Threshold 1.`
    )
  }
  for (const step of steps) {
    const elapsed = step.rows.find((r) => r.metric === "elapsed")
    if (elapsed?.verdict === "improved") {
      out.push(
        `${step.mitigation} cut elapsed time at c=${step.after.concurrency} ${step.after.profile} by ` +
          `${Math.abs(elapsed.deltaPercent ?? 0).toFixed(1)}% (ratio ${elapsed.ratio?.toFixed(3)}).`
      )
    } else if (elapsed !== undefined) {
      out.push(`${step.mitigation} made ${elapsed.verdict === "regressed" ? "elapsed time worse" : "no significant difference to elapsed time"} here.`)
    }
  }
  // What each mitigation that was measured risks, once, from the catalog.
  const measured = new Set(steps.flatMap((step) => step.mitigations))
  for (const m of measured) {
    const risk = result.catalog.find((c) => c.name === m)?.risk ?? null
    if (risk !== null) out.push(risk)
  }
  if (b !== null && !b.agree) {
    out.push(`The two bottleneck rules disagree (${b.byP95.segment} by P95, ${b.byShare.segment} by share): look at both before choosing.`)
  }
  if (result.config.store === "sqlite" && result.runs.every((r) => r.wal.busy === 0)) {
    out.push(
      `No connection ever waited for SQLite's write lock with the ${result.environment.driver} driver (all statements run on ` +
        "one thread); a driver that runs connections on their own threads is needed to see write-lock contention."
    )
  }
  return out
}

/** Where the lifecycle state was kept, in words: the store, its database, and the shared connections. */
const storePhrase = (result: ResultsDocument): string =>
  (result.config.store === "postgres"
    ? `${result.environment.storeVersion}, database ${result.config.db}; lock_wait_ms is the BEGIN's round trip ` +
      "(no database-wide write lock), row locks are inside write_ms"
    : `${result.environment.storeVersion} file (${result.config.db}), driver ${result.config.driver}`) +
  `; shared-connection pool of ${result.config.poolSize}; ` +
  (result.config.workers > 1
    ? `actors in up to ${result.config.workers} worker processes (runners on @effect/cluster), the files shared between them (each run's count in the table's processes column)`
    : "actors in this one process")

/** The head: the verdict, the answer, what the gate is, and where and how the run was measured. */
const headSection = (result: ResultsDocument): ReadonlyArray<string> => {
  const g = result.gate
  return [
    `# VLID-06 gate: ${g.verdict}`,
    "",
    ...(result.partial
      ? [
        `**Partial results**: the run was interrupted; ${result.runs.length} configuration(s) completed and are below, ` +
        "the comparisons were not reached, and the verdicts judge only what was measured.",
        ""
      ]
      : []),
    "```",
    ...answerLines(result),
    "```",
    "",
    "*VLID-06* is the validation gate of the original plan this tool re-creates. It passes when its three criteria " +
    "pass: *SC1* throughput measured, *SC2* the bottleneck named and a mitigation measured before/after, *SC3* the " +
    `thresholds met: *Threshold 1* (T1), the zero profile at c=10 within ${result.config.thresholdZeroSeconds} s, and ` +
    `*Threshold 2* (T2), the realistic profile at c=10 within ${result.config.thresholdRealisticSeconds} s. Path A: the ` +
    "baseline meets T1; path B: it does not, and the mitigation ladder decides. (The run's `seed` is another thing: " +
    "the seed of its random choices.)",
    "",
    `Generated from \`${result.files?.results ?? "(no file)"}\` (${result.createdAt}).`,
    "",
    `- Machine: ${environmentLine(result)}`,
    `- Store: ${storePhrase(result)}`,
    `- Config: ${result.config.files} files, concurrency ${result.config.concurrency.join(", ")}, profiles ` +
    `${result.config.profiles.join(", ")} (realistic: ${result.config.realisticDelaySeconds} s per API call), seed ` +
    `${result.config.seed}, mitigation ${result.config.mitigation}, ${trialsPhrase(result.config)}`,
    `- Path: ${
      g.path === "A"
        ? "A: the baseline met Threshold 1; the matrix confirms it at every concurrency, and a mitigation was still measured for SC2"
        : g.path === "B"
        ? "B: the baseline missed Threshold 1; the mitigation ladder was walked"
        : "none: no baseline measured at c=10 zero"
    }`,
    "",
    "## Criteria",
    "",
    ...(["SC1", "SC2", "SC3"] as const).map((k) => `- **${k} ${g.criteria[k].verdict}**: ${g.criteria[k].evidence}`),
    ""
  ]
}

/** SC1: every configuration's throughput, its floor and efficiency, and the contrast. */
const throughputSection = (result: ResultsDocument): ReadonlyArray<string> => [
  "## SC1: throughput",
  "",
  mdTable(
    ["concurrency", "profile", "mitigation", "processes", "elapsed s (95% CI)", "clock", "transitions/s", "fsm_net P95 ms", "db P95 ms", "lock P95 ms", "floor s", "efficiency", "runtime_ms mean", "integrity"],
    result.runs.map((r) => [
      String(r.concurrency),
      r.profile,
      r.mitigation,
      String(r.workers),
      `${seconds(r.elapsedSeconds)} (${seconds(r.ci.elapsedSeconds[0])}–${seconds(r.ci.elapsedSeconds[1])})`,
      r.clock,
      r.transitionsPerSecond.toFixed(0),
      ms(r.segments.fsm_net_ms.p95),
      ms(r.segments.db_total_ms.p95),
      ms(r.segments.lock_wait_ms.p95),
      r.floor === null ? "-" : seconds(r.floor.elapsedSeconds),
      r.efficiency === null ? "-" : r.efficiency.toFixed(2),
      ms(r.segments.runtime_ms.mean),
      r.integrity.ok ? `${r.indexed} indexed, ${r.transitions} transitions` : "FAILED"
    ])
  ),
  "",
  "*Floor*: the storage floor, the same statements (same driver, connections, guard and writer, same files and " +
  "transitions) run by a plain loop on the raw driver, one file after another, with no Effect and no API: what the " +
  "storage work alone costs. *Efficiency*: floor ÷ the run's own time (elapsed less any simulated time skipped); " +
  "the rest is this tool's harness and the contention concurrency brings. *runtime_ms*: our own per-file cost " +
  "(fiber scheduling, effect interpretation, bookkeeping).",
  "",
  ...contrastLines(result).flatMap((line) => [
    `${line}.` + (result.config.driver === "threaded"
      ? " The threaded driver runs each connection on its own thread, as production's async driver did, so " +
        "concurrent transactions really wait for SQLite's write lock; an inline driver runs every statement on the " +
        "one JavaScript thread, where a transaction always ends before the next begins, so none ever waits."
      : ""),
    ""
  ])
]

/** One ladder step: against the baseline, its floor and efficiency, its table and any recovery. */
const stepSection = (step: Step, i: number): ReadonlyArray<string> => [
  `### Step ${i + 1}: ${step.mitigation}`,
  "",
  `Against the baseline at c=${step.after.concurrency} ${step.after.profile}, ${step.after.trials} trials each, ` +
  `alternating. Threshold 1 ${step.meetsThreshold1 ? "met" : "not met"} (median ${seconds(step.after.elapsedSeconds)} s).` +
  (step.after.floor === null || step.after.efficiency === null
    ? ""
    : ` Storage floor ${seconds(step.after.floor.elapsedSeconds)} s, efficiency ${step.after.efficiency.toFixed(2)}` +
      (step.before.efficiency === null ? "." : ` (baseline ${step.before.efficiency.toFixed(2)}).`)),
  "",
  stepTable(step),
  "",
  ...(step.after.recovery === null
    ? []
    : [
      `Recovery (median per trial): ${step.after.recovery.failedCommits} failed batch commit(s) lost ` +
      `${step.after.recovery.lostTransitions} transitions; ${step.after.recovery.inconsistentFiles} files believed a ` +
      `state the database did not hold and ${step.after.recovery.failedFiles} stopped on an error; ` +
      `${step.after.recovery.redoneFiles} redone from the database, integrity ${step.after.integrity.ok ? "held" : "FAILED"}.`,
      ""
    ])
]

/** SC2: the bottleneck with its leaves, and every ladder step. */
const bottleneckSection = (result: ResultsDocument): ReadonlyArray<string> => {
  const c = result.comparisons
  return [
    "## SC2: bottleneck and mitigation",
    "",
    ...(result.bottleneck === null
      ? ["No bottleneck: no run measured."]
      : [
        `At c=${result.bottleneck.run.concurrency} ${result.bottleneck.run.profile}, by the original plan's rule (highest P95 leaf of ` +
        `fsm_net): **${result.bottleneck.byP95.segment}** (P95 ${ms(result.bottleneck.byP95.p95)} ms); by share of fsm_net ` +
        `time: **${result.bottleneck.byShare.segment}** (${percent(result.bottleneck.byShare.share)}).`,
        "",
        mdTable(
          ["leaf", "P95 ms", "share of fsm_net"],
          result.bottleneck.leaves.map((l) => [l.segment, ms(l.p95), percent(l.share)])
        )
      ]),
    "",
    ...(c === null ? ["No mitigation was measured (--ladder off)."] : c.steps.flatMap(stepSection)),
    `Per-segment before/after with every trial: \`${c === null ? "(none)" : result.files?.mitigation ?? "(no file)"}\`.`,
    ""
  ]
}

/** SC3: each threshold against its measurement. */
const thresholdSection = (result: ResultsDocument): ReadonlyArray<string> => {
  const c = result.comparisons
  const t1 = result.thresholds.find((t) => t.name === "Threshold 1")
  return [
    "## SC3: thresholds",
    "",
    mdTable(
      ["threshold", "profile", "concurrency", "limit s", "measured s", "margin s", "verdict", "note"],
      result.thresholds.map((t) => [
        t.name,
        t.profile,
        String(t.concurrency),
        String(t.limitSeconds),
        t.measuredSeconds === null ? "not run" : `${seconds(t.measuredSeconds)}${t.clock === "simulated" ? " (simulated)" : ""}`,
        t.marginSeconds === null ? "-" : seconds(t.marginSeconds),
        t.verdict,
        [t.note, t.floorSeconds === null ? null : `floor ${seconds(t.floorSeconds)} s`].filter((x) => x !== null).join("; ")
      ])
    ),
    ...(result.gate.path === "B" && t1 !== undefined
      ? ["", `Threshold 1 on path B: ${c?.firstSuccess == null ? "no ladder step met it" : `met with ${c.firstSuccess}`}.`]
      : []),
    ""
  ]
}

/** The rest: scaling, final states and transitions, the WAL, and the recommendations. */
const closingSections = (result: ResultsDocument): ReadonlyArray<string> => [
  "## Scaling across concurrency",
  "",
  ...result.scaling.flatMap((s) => [
    `- **${s.profile}**: fsm_net P95 ${s.points.map((p) => `${ms(p.fsmNetP95)} ms at c=${p.concurrency}`).join(", ")}` +
    (s.slope === null ? "; one level only." : `; log-log slope ${s.slope.toFixed(2)}: **${s.growth}**.`) +
    (s.bottleneckChange === null
      ? ""
      : ` Bottleneck at c=${s.bottleneckChange.to.concurrency}: ${s.bottleneckChange.to.segment} ` +
        `(${s.bottleneckChange.changed ? `changed from ${s.bottleneckChange.from.segment} at` : "unchanged from"} c=${s.bottleneckChange.from.concurrency}); ` +
        `lock-wait P95 ×${s.bottleneckChange.lockWaitP95Ratio ?? "-"} from c=${s.bottleneckChange.from.concurrency}.`)
  ]),
  "",
  "## Final states and transitions",
  "",
  mdTable(
    ["concurrency", "profile", "final states", "transitions by type"],
    result.runs.map((r) => [
      String(r.concurrency),
      r.profile,
      Object.entries(r.integrity.finalStates).filter(([, n]) => n > 0).map(([s, n]) => `${s} ${n}`).join(", "),
      Object.entries(r.transitionsByEvent).filter(([, n]) => n > 0).map(([e, n]) => `${e} ${n}`).join(", ")
    ])
  ),
  "",
  "## WAL",
  "",
  ...result.runs.map((r) =>
    `- c=${r.concurrency} ${r.profile}: ${r.wal.verdict}, ${r.wal.busy} SQLITE_BUSY in ${r.trials} trial(s), WAL ${r.wal.bytes} bytes at the end`
  ),
  "",
  "## Recommendations",
  "",
  ...recommendations(result).map((r) => `- ${r}`),
  ""
]

export const summaryMarkdown = (result: ResultsDocument): string =>
  [
    ...headSection(result),
    ...throughputSection(result),
    ...bottleneckSection(result),
    ...thresholdSection(result),
    ...closingSections(result)
  ].join("\n")

export const markdownExporter: Exporter = {
  name: "summary",
  file: (suffix) => `summary-${suffix}.md`,
  render: (doc) => Effect.succeed(summaryMarkdown(doc))
}
