/** Number formatting and naming shared by the reports. */
import type { ResultsDocument, RunResult } from "../results/schema.ts"

export const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : "-")

export const seconds = (x: number): string => (x >= 100 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3))

/** An integer with thousands separators (by hand: the first toLocaleString call loads ICU data, about 0.4 s). */
export const count = (x: number): string => {
  const n = Math.round(x)
  return `${n < 0 ? "-" : ""}${String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",")}`
}

/** A rate: whole numbers when large, two significant decimals when small. */
export const rate = (x: number): string => (x >= 100 ? count(x) : x >= 10 ? x.toFixed(1) : x.toFixed(2))

export const bytes = (x: number): string =>
  x >= 2 ** 20 ? `${(x / 2 ** 20).toFixed(1)} MiB` : x >= 1024 ? `${(x / 1024).toFixed(1)} KiB` : `${x} B`

export const percent = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`

/** A plain-text table: right-aligned numbers, left-aligned first columns. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, leftColumns = 0): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ").trimEnd()
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n")
}

/** How many trials each median is of: "median of 5 trials after 1 warm-up", or per level when c=10 has more. */
export const trialsPhrase = (config: {
  readonly trials: number
  readonly otherTrials: number
  readonly warmup: number
  readonly comparisonAt: { readonly concurrency: number }
}): string =>
  `median of ${config.trials} trials` +
  (config.otherTrials === config.trials ? "" : ` at c=${config.comparisonAt.concurrency}, ${config.otherTrials} elsewhere,`) +
  ` after ${config.warmup} warm-up`

/** A set's label ("in-memory-guards+shared-connection") in its catalog's short names ("guards+shared"); unknown names as they are. */
export const shortLabel = (label: string, catalog: ReadonlyArray<{ readonly name: string; readonly short: string }>): string =>
  label.split("+").map((m) => catalog.find((c) => c.name === m)?.short ?? m).join("+")

/** A configuration's name: `c=10 zero baseline`. */
export const runName = (r: { readonly concurrency: number; readonly profile: string; readonly mitigation: string }): string =>
  `c=${r.concurrency} ${r.profile} ${r.mitigation}`

/** Every configuration the document measured, once each: the matrix's runs, then the ladder steps' sets. */
export const measuredRuns = (doc: ResultsDocument): ReadonlyArray<RunResult> =>
  [...doc.runs, ...(doc.comparisons?.steps ?? []).map((s) => s.after)]
    .filter((r, i, all) => all.findIndex((o) => runName(o) === runName(r)) === i)
