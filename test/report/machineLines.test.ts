/** The first screen's warnings about the machine: said when there is something to say, and only then. */
import { describe, expect, it } from "vitest"
import { answerLines, machineLines } from "../../src/report/answer.ts"
import type { ResultsDocument } from "../../src/results/schema.ts"
import { fakeDocument, fakeRun } from "../verdict/fixtures.ts"

const calibration = (shifted: boolean): NonNullable<ResultsDocument["calibration"]> => ({
  cpu: "test",
  storage: "test",
  storageUnavailable: null,
  probes: [],
  drift: { cpu: shifted ? 2.5 : 1.2, storage: 1.4 },
  threshold: 2,
  shifted,
  hit: shifted ? ["c=10 zero ladder", "c=50 zero baseline"] : []
})

const steady = { cv: 0.02, outliers: [], unstable: false }

describe("the machine's lines on the first screen", () => {
  it("say nothing for a steady run on a steady machine", () => {
    const doc: ResultsDocument = { ...fakeDocument([{ ...fakeRun({ concurrency: 10, profile: "zero" }), stability: steady }]), calibration: calibration(false) }
    expect(machineLines(doc)).toEqual([])
  })

  it("name a machine that moved, by how much and what it hit, and the unstable configurations, within 80 columns", () => {
    const shaky = { ...fakeRun({ concurrency: 50, profile: "zero" }), stability: { cv: 0.414, outliers: [2], unstable: true } }
    const doc: ResultsDocument = {
      ...fakeDocument([{ ...fakeRun({ concurrency: 10, profile: "zero" }), stability: steady }, shaky]),
      calibration: calibration(true)
    }
    const lines = machineLines(doc)
    expect(lines.join(" ").replace(/\s+/g, " ")).toBe(
      "Machine moved during the run: its all-core CPU probe drifted 2.5× (over 2×); hit: c=10 zero ladder, c=50 zero baseline. " +
        "Rerun on a quiet machine to trust these. Unstable trials: c=50 zero baseline (CV 41.4%, 1 outlier(s))"
    )
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80)
    // On the first screen, after the answer's own lines.
    expect(answerLines(doc).slice(-lines.length)).toEqual(lines)
  })

  it("name the three least steady configurations and count the rest", () => {
    const runs = [10, 20, 30, 40, 50].map((c, i) => ({
      ...fakeRun({ concurrency: c, profile: "zero" }),
      stability: { cv: 0.11 + i / 100, outliers: [], unstable: true }
    }))
    const doc: ResultsDocument = { ...fakeDocument(runs), calibration: calibration(false) }
    expect(machineLines(doc).join(" ").replace(/\s+/g, " ")).toBe(
      "Unstable trials: c=50 zero baseline (CV 15.0%), c=40 zero baseline (CV 14.0%), c=30 zero baseline (CV 13.0%) " +
        "and 2 more (the HTML report draws each trial)"
    )
  })
})
