/**
 * `report-STAMP.html`: one self-contained page (no script, no network at view
 * time) with the answer and four charts drawn from the result document alone:
 * each segment's distribution per concurrency (ECDF, from the per-file
 * histograms), where each file's time goes (the leaves of fsm_net, mean per
 * file, stacked) per configuration, the mitigations' before/after ratios with
 * their 95% intervals (a forest plot), and scaling across concurrency. The
 * charts are Vega-Lite specs rendered to inline SVG when the page is written.
 */
import * as Effect from "effect/Effect"
import { createRequire } from "node:module"
import type { TopLevelSpec } from "vega-lite"
import { Worker } from "node:worker_threads"
import { bucketLowerMs, BUCKETS_PER_DECADE } from "../metrics/histogram.ts"
import { fsmNetLeaves, type SegmentName } from "../metrics/segments.ts"
import type { ResultsDocument } from "../results/schema.ts"
import { answerLines } from "./answer.ts"
import { environmentLine } from "./console.ts"
import type { Exporter } from "./exporter.ts"
import { measuredRuns, runName, shortLabel, trialsPhrase } from "./format.ts"

/** Segments whose distributions are drawn: the file's whole wall time, its non-API part, and the leaves under it. */
const distributionSegments: ReadonlyArray<SegmentName> = ["total_wall_ms", "fsm_net_ms", ...fsmNetLeaves]

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

const configLabel = (r: { readonly concurrency: number; readonly profile: string }) => `c=${r.concurrency} ${r.profile}`

/** Each run's ECDF per segment: at each bucket's upper edge, the fraction of files at or below it. */
const ecdfRows = (doc: ResultsDocument) =>
  doc.runs.flatMap((run) =>
    distributionSegments.flatMap((segment) => {
      const h = run.distribution[segment]
      const total = h.zero + h.buckets.reduce((n, [, c]) => n + c, 0)
      let seen = h.zero
      const row = (ms: number, fraction: number) => ({
        profile: run.profile,
        concurrency: String(run.concurrency),
        segment,
        ms,
        fraction
      })
      const first = h.buckets[0]
      // The step up from the files at or below 0 starts at the first bucket's lower edge, so that a run whose
      // files all fall in one bucket still draws a step.
      return total === 0 || first === undefined
        ? []
        : [
          row(bucketLowerMs(first[0]), h.zero / total),
          ...h.buckets.map(([i, c]) => {
            seen += c
            return row(bucketLowerMs(i + 1), seen / total)
          })
        ]
    })
  )

const distributionSpec = (doc: ResultsDocument, profile: string): TopLevelSpec => ({
  $schema: "https://vega.github.io/schema/vega-lite/v5.json",
  title: `Per-file time by segment, ${profile} profile (ECDF; log buckets, ${BUCKETS_PER_DECADE} per decade)`,
  data: { values: ecdfRows(doc).filter((r) => r.profile === profile) },
  facet: { field: "segment", type: "nominal", sort: [...distributionSegments], title: null },
  columns: 4,
  resolve: { scale: { x: "independent" } },
  spec: {
    width: 190,
    height: 120,
    mark: { type: "line", interpolate: "step-after" },
    encoding: {
      x: { field: "ms", type: "quantitative", scale: { type: "log" }, title: "ms" },
      y: { field: "fraction", type: "quantitative", title: "files ≤ x", scale: { domain: [0, 1] } },
      color: { field: "concurrency", type: "nominal", title: "concurrency", sort: null }
    }
  }
})

const breakdownSpec = (doc: ResultsDocument): TopLevelSpec => ({
  $schema: "https://vega.github.io/schema/vega-lite/v5.json",
  title: "Where each file's time goes outside the API: mean per file, leaves of fsm_net_ms",
  data: {
    // The contrast driver's baseline last, named by its driver.
    values: [
      ...doc.runs.map((run) => ({ run, label: configLabel(run) })),
      ...(doc.contrast === null ? [] : [{ run: doc.contrast.run, label: `${configLabel(doc.contrast.run)}, ${doc.contrast.driver}` }])
    ].flatMap(({ run, label }) =>
      fsmNetLeaves.map((leaf) => ({
        configuration: label,
        leaf,
        ms: run.segmentTotalsMs[leaf] / Math.max(1, run.integrity.files)
      }))
    )
  },
  width: 560,
  height: { step: 26 },
  mark: "bar",
  encoding: {
    y: { field: "configuration", type: "nominal", sort: null, title: null, axis: { labelLimit: 240 } },
    x: { field: "ms", type: "quantitative", stack: "zero", title: "ms per file (mean)" },
    color: { field: "leaf", type: "nominal", sort: [...fsmNetLeaves], title: "segment" },
    order: { field: "leaf", sort: "ascending" }
  }
})

const forestSpec = (doc: ResultsDocument): TopLevelSpec | null => {
  const steps = doc.comparisons?.steps ?? []
  const rows = steps.flatMap((step) =>
    step.rows
      .filter((r) => r.ratio !== null && r.ci !== null)
      .map((r) => ({
        step: shortLabel(step.mitigation, doc.catalog),
        metric: r.metric === "elapsed" ? "elapsed" : `${r.metric} P95`,
        ratio: r.ratio,
        lo: r.ci?.[0],
        hi: r.ci?.[1],
        verdict: r.verdict
      }))
  )
  if (rows.length === 0) return null
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: `Mitigations at c=${doc.config.comparisonAt.concurrency} ${doc.config.comparisonAt.profile}: ratio after/before, 95% CI`,
    data: { values: rows },
    facet: { column: { field: "step", type: "nominal", sort: null, title: null } },
    spec: {
      width: 230,
      height: { step: 18 },
      layer: [
        { mark: { type: "rule", strokeDash: [4, 3], color: "#888" }, encoding: { x: { datum: 1 } } },
        {
          mark: "rule",
          encoding: {
            y: { field: "metric", type: "nominal", sort: null, title: null },
            x: { field: "lo", type: "quantitative", scale: { zero: true }, title: "ratio after/before" },
            x2: { field: "hi" }
          }
        },
        {
          mark: { type: "point", filled: true },
          encoding: {
            y: { field: "metric", type: "nominal", sort: null },
            x: { field: "ratio", type: "quantitative" },
            color: {
              field: "verdict",
              type: "nominal",
              legend: { labelLimit: 240 },
              scale: { domain: ["improved", "no significant change", "regressed"], range: ["#2a9d4b", "#777777", "#d0342c"] }
            }
          }
        }
      ]
    }
  }
}

const scalingSpec = (doc: ResultsDocument): TopLevelSpec => ({
  $schema: "https://vega.github.io/schema/vega-lite/v5.json",
  title: "Scaling: P95 per file across concurrency",
  data: {
    values: doc.runs.flatMap((run) =>
      (["fsm_net_ms", "db_total_ms", "lock_wait_ms"] as const).map((segment) => ({
        profile: run.profile,
        concurrency: run.concurrency,
        segment,
        p95: Math.max(run.segments[segment].p95, 1e-4)
      }))
    )
  },
  facet: { column: { field: "profile", type: "nominal", title: null } },
  spec: {
    width: 260,
    height: 180,
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "concurrency", type: "quantitative", scale: { type: "log" }, title: "concurrency" },
      y: { field: "p95", type: "quantitative", scale: { type: "log" }, title: "P95 ms (log)" },
      color: { field: "segment", type: "nominal", title: "segment" }
    }
  }
})

/** Every configuration's trials, one point each (an outlier marked), with its median: how far they spread. */
const trialsSpec = (doc: ResultsDocument): TopLevelSpec => {
  const runs = measuredRuns(doc)
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: "Each counted trial's elapsed time (| the median; red: an outlier, modified Z over 3.5)",
    data: {
      values: runs.flatMap((run) =>
        run.trialResults.map((t, i) => ({
          configuration: runName(run),
          seconds: t.elapsedSeconds,
          median: run.elapsedSeconds,
          kind: run.stability?.outliers.includes(i) === true ? "outlier" : "trial"
        }))
      )
    },
    width: 520,
    layer: [
      {
        mark: { type: "point", filled: true, opacity: 0.7 },
        encoding: {
          x: { field: "seconds", type: "quantitative", scale: { type: "log" }, title: "elapsed s (log)" },
          y: { field: "configuration", type: "nominal", sort: null, title: null, axis: { labelLimit: 320 } },
          color: { field: "kind", type: "nominal", scale: { domain: ["trial", "outlier"], range: ["#4c78a8", "#e45756"] }, title: null }
        }
      },
      {
        mark: { type: "tick", color: "#222", thickness: 2 },
        encoding: {
          x: { field: "median", type: "quantitative" },
          y: { field: "configuration", type: "nominal", sort: null }
        }
      }
    ]
  }
}

/** The machine's probes in the order taken, each as a share of its kind's fastest: where the machine moved. */
const probesSpec = (doc: ResultsDocument): TopLevelSpec | null => {
  const probes = doc.calibration?.probes ?? []
  if (probes.length < 2) return null
  const fastest = (xs: ReadonlyArray<number>) => Math.min(...xs)
  const cpu = fastest(probes.map((p) => p.cpuMs))
  const storage = probes.flatMap((p) => (p.storageMs === null ? [] : [p.storageMs]))
  const storageFastest = storage.length === 0 ? 0 : fastest(storage)
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: `The machine's probes, ÷ the fastest of each (a smoothed CPU drift over ${doc.calibration?.threshold ?? 2}× means it moved)`,
    data: {
      values: probes.flatMap((p, order) => [
        { order, at: `${order + 1}. ${p.at}`, probe: "CPU", ratio: cpu > 0 ? p.cpuMs / cpu : 1 },
        ...(p.storageMs === null || storageFastest <= 0 ? [] : [{ order, at: `${order + 1}. ${p.at}`, probe: "storage", ratio: p.storageMs / storageFastest }])
      ])
    },
    width: 520,
    height: 160,
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "at", type: "ordinal", sort: null, title: null, axis: { labelAngle: -30, labelLimit: 240 } },
      y: { field: "ratio", type: "quantitative", scale: { zero: false }, title: "÷ fastest" },
      color: { field: "probe", type: "nominal", title: null }
    }
  }
}

/**
 * The charts are drawn in a thread of their own: Vega takes seconds over
 * them, and the process's own thread must stay free to answer a signal at
 * once (under `npx tsx`, a child that does not acknowledge a signal within
 * tens of milliseconds is killed outright). Vega and Vega-Lite are CommonJS
 * packages, loaded by the thread from the paths resolved here.
 */
const require = createRequire(import.meta.url)

const RENDER_THREAD = `
const { parentPort, workerData } = require("node:worker_threads")
const vega = require(workerData.vega)
const vegaLite = require(workerData.vegaLite)
parentPort.on("message", async (specs) => {
  try {
    const svgs = []
    for (const spec of specs) {
      const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: "none" })
      svgs.push(await view.toSVG())
      view.finalize()
    }
    parentPort.postMessage({ svgs })
  } catch (e) {
    parentPort.postMessage({ error: String((e && e.stack) || e) })
  }
})
`

/** Every spec drawn as SVG in a thread that is stopped when done, or at once when the drawing is interrupted. */
const toSvgs = (specs: ReadonlyArray<TopLevelSpec>): Effect.Effect<ReadonlyArray<string>> =>
  Effect.acquireUseRelease(
    Effect.sync(() => new Worker(RENDER_THREAD, { eval: true, workerData: { vega: require.resolve("vega"), vegaLite: require.resolve("vega-lite") } })),
    (thread) =>
      Effect.async<ReadonlyArray<string>>((resume) => {
        thread.once("message", (reply: { readonly svgs?: ReadonlyArray<string>; readonly error?: string }) =>
          resume(reply.svgs === undefined ? Effect.dieMessage(`drawing the report's charts: ${reply.error}`) : Effect.succeed(reply.svgs)))
        thread.once("error", (error) => resume(Effect.die(error)))
        thread.postMessage(specs)
      }),
    (thread) => Effect.promise(() => thread.terminate())
  )

export const reportHtml = (doc: ResultsDocument): Effect.Effect<string> =>
  Effect.gen(function*() {
    const profiles = [...new Set(doc.runs.map((r) => r.profile))]
    const forest = forestSpec(doc)
    const probes = probesSpec(doc)
    const charts: ReadonlyArray<readonly [string, TopLevelSpec]> = [
      ...profiles.map((p) => [`Distributions, ${p}`, distributionSpec(doc, p)] as const),
      ["Where the time goes", breakdownSpec(doc)],
      ...(forest === null ? [] : [["Mitigations", forest] as const]),
      ["Scaling", scalingSpec(doc)],
      ["Trials", trialsSpec(doc)],
      ...(probes === null ? [] : [["The machine", probes] as const])
    ]
    const svgs = yield* toSvgs(charts.map(([, spec]) => spec))
    const rendered = charts.map(([heading], i) => `<section class="chart"><h2>${escape(heading)}</h2>\n${svgs[i] ?? ""}</section>`)
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>upload-fsm-bench: VLID-06 ${escape(doc.gate.verdict)} (${escape(doc.createdAt)})</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1100px; }
pre { background: #f5f5f5; padding: 10px 12px; overflow-x: auto; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
.meta { color: #555; }
</style>
</head>
<body>
<h1>VLID-06 gate: ${escape(doc.gate.verdict)}${doc.gate.path === null ? "" : ` (path ${doc.gate.path})`}</h1>
<pre class="answer">${escape(answerLines(doc).join("\n"))}</pre>
<p class="meta">${escape(environmentLine(doc))}; ${doc.config.files} files, ${trialsPhrase(doc.config)}. ${doc.files === null ? "" : `Generated from <code>${escape(doc.files.results)}</code>.`}</p>
${rendered.join("\n")}
</body>
</html>
`
  })

export const htmlExporter: Exporter = {
  name: "report",
  file: (suffix) => `report-${suffix}.html`,
  render: reportHtml
}
