/**
 * The answer first: a few plain lines, each within 80 columns, that
 * open the terminal report and the summary. They say what persisting costs,
 * where its time goes, which mitigation helps most (measured ratio and
 * interval), and which driver the figures are for.
 */
import type { CatalogEntry, ResultsDocument } from "../results/schema.ts"
import { measuredRuns, ms, percent, runName, seconds, shortLabel } from "./format.ts"
import { wrapText } from "./wrap.ts"

type Ranked = ResultsDocument["answer"]["mitigations"][number]

const ratio = (catalog: ReadonlyArray<CatalogEntry>) => (m: Ranked) =>
  m.elapsedRatio === null
    ? `${shortLabel(m.set, catalog)} n/a`
    : `${shortLabel(m.set, catalog)} ${m.elapsedRatio.toFixed(2)}` + (m.ci === null ? "" : ` (${m.ci[0].toFixed(2)}–${m.ci[1].toFixed(2)})`)

/** Ranked sets grouped by verdict (improved ones first, as ranked), so that three steps fit two lines. */
const fixesOf = (ranked: ReadonlyArray<Ranked>, catalog: ReadonlyArray<CatalogEntry>): string => {
  const group = (prefix: string, verdicts: ReadonlyArray<Ranked["verdict"]>) => {
    const members = ranked.filter((m) => verdicts.includes(m.verdict))
    return members.length === 0 ? [] : [prefix + members.map(ratio(catalog)).join(", ")]
  }
  return `Mitigations, elapsed × (95% CI): ${
    [...group("", ["improved"]), ...group("within noise: ", ["no significant change", "n/a"]), ...group("worse: ", ["regressed"])]
      .join("; ")
  }`
}

const driverLine = (doc: ResultsDocument): string => {
  const a = doc.answer
  const described = (driver: string) => a.drivers?.find((d) => d.name === driver)
  // A driver's figures, in words: what kind of system they stand for (its definition's summary).
  const driverNote = (driver: string): string => described(driver)?.summary ?? ""
  // Whether a driver's connections in one process never contend for the write lock (it runs them inline).
  const inline = (driver: string): boolean => described(driver)?.inline === true
  const c = a.contrast
  const workers = doc.config.workers
  const extra = [
    ...(doc.config.poolSize > 1 ? [`shared pool of ${doc.config.poolSize}`] : []),
    ...(workers > 1 ? [`up to ${workers} processes`] : [])
  ].map((part) => `, ${part}`).join("")
  // Inline connections wait for each other only across processes.
  const note = workers > 1 && inline(a.driver)
    ? "inline in each process; the processes contend for the write lock"
    : driverNote(a.driver)
  // With a contrast the note is cut to its gist, so that the line stays one line.
  return doc.config.store === "postgres"
    ? `Store: ${doc.environment.storeVersion.replace(/ \(.*\)$/, "")} (${note})${extra}`
    : c === null
    ? `Driver: ${a.driver}${note === "" ? "" : ` (${note})`}${extra}`
    : `Driver: ${a.driver}${a.driver === "threaded" ? " (as production)" : ""}${extra}; ` +
      `${inline(c.driver) ? "inline " : ""}${c.driver} at c=${c.concurrency} ${c.profile}: ${seconds(c.elapsedSeconds)} s`
}

/**
 * The machine's warnings, one line each and only when there is one: the
 * probes moved during the run (by how much, which configurations it hit),
 * and the configurations whose trials were unstable.
 */
export const machineLines = (doc: ResultsDocument): ReadonlyArray<string> => {
  const c = doc.calibration
  const moved = c === undefined || !c.shifted
    ? []
    : [
      `Machine moved during the run: its all-core CPU probe drifted ${c.drift.cpu.toFixed(1)}× (over ${c.threshold}×)` +
      (c.hit.length === 0 ? "" : `; hit: ${c.hit.join(", ")}`) + ". Rerun on a quiet machine to trust these."
    ]
  const unstable = measuredRuns(doc).filter((r) => r.stability?.unstable === true)
  // The three least steady by name, the rest counted: the line stays a line.
  const named = [...unstable].sort((a, b) => (b.stability?.cv ?? 0) - (a.stability?.cv ?? 0)).slice(0, 3)
  const shaky = unstable.length === 0
    ? []
    : [
      `Unstable trials: ${
        named.map((r) =>
          `${runName(r)} (CV ${percent(r.stability?.cv ?? 0)}` +
          ((r.stability?.outliers.length ?? 0) > 0 ? `, ${r.stability?.outliers.length} outlier(s)` : "") + ")"
        ).join(", ")
      }${unstable.length > named.length ? ` and ${unstable.length - named.length} more (the HTML report draws each trial)` : ""}`
    ]
  return [...moved, ...shaky].flatMap((line) => wrapText(line, 80, 2))
}

export const answerLines = (doc: ResultsDocument): ReadonlyArray<string> => {
  const a = doc.answer
  const persistence = a.persistenceMsPerFile === null || a.persistenceRun === null
    ? "Persistence: not measured at c=10"
    : `Persistence ${ms(a.persistenceMsPerFile)} ms/file` +
      (a.floor === null || a.persistenceShare === null
        ? ` (c=${a.persistenceRun.concurrency} ${a.persistenceRun.profile})`
        : `; c=10 realistic ${seconds(a.floor.elapsedSeconds)} s, API floor ${seconds(a.floor.floorSeconds)} s: ` +
          `+${percent(a.persistenceShare)}`)
  // c=10 and the highest level above it, as the seed reads scaling; else what was run.
  const shown = a.bottleneck.filter((b, i, all) => b.concurrency === 10 || (i === all.length - 1 && b.concurrency > 10))
  const where = a.bottleneck.length === 0
    ? "Time goes to: no zero-profile run measured"
    : `Time goes to: ${(shown.length > 0 ? shown : a.bottleneck).map((b) => `c=${b.concurrency} ${b.leaf} ${percent(b.share)}`).join(", ")} of fsm_net`
  const fixes = a.mitigations.length === 0 ? "Mitigations: none measured (--ladder off)" : fixesOf(a.mitigations, doc.catalog)
  return [
    ...wrapText(persistence, 80, 2),
    ...wrapText(where, 80, 2),
    ...wrapText(fixes, 80, 2),
    ...wrapText(driverLine(doc), 80, 2),
    ...machineLines(doc)
  ]
}
