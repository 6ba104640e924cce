/**
 * The comparison of two result documents: the machines' normalization, the
 * fail rules, the ladder's steps and the one-sided names, on synthetic
 * documents (no run, no clock).
 */
import { describe, expect, it } from "vitest"
import * as Either from "effect/Either"
import type { ResultsDocument, RunResult } from "../../src/results/schema.ts"
import { compareResults, CPU_ELASTICITY, parseFailOn, RAW_RULES, rulesText } from "../../src/verdict/compareResults.ts"
import { verdictLine } from "../../src/verdict/verdictLine.ts"
import { fakeDocument, fakeRun } from "./fixtures.ts"

const run = (elapsed: ReadonlyArray<number>, mitigation = "baseline"): RunResult => ({
  ...fakeRun({ concurrency: 10, profile: "zero", trialElapsed: elapsed }),
  mitigation
})

/** A document whose machine's probes all read `cpuMs` and `storageMs`. */
const withMachine = (doc: ResultsDocument, cpuMs: number, storageMs: number | null): ResultsDocument => ({
  ...doc,
  calibration: {
    cpu: "test",
    storage: storageMs === null ? null : "test",
    storageUnavailable: storageMs === null ? "test" : null,
    probes: ["start", "c=10 zero baseline", "end"].map((at) => ({ at, cpuMs, storageMs })),
    drift: { cpu: 1, storage: storageMs === null ? null : 1 },
    threshold: 2,
    shifted: false,
    hit: []
  }
})

const base = [1.0, 1.02, 0.98, 1.01, 0.99]
const times = (xs: ReadonlyArray<number>, f: number) => xs.map((x) => x * f)

describe("compareResults", () => {
  it("by default fails on elapsed only: a segment's regression alone is information, not a failure", () => {
    const before = fakeDocument([run(base)])
    // Elapsed as before; every segment's P95 doubled.
    type Summary = RunResult["trialResults"][number]
    const doubled = (t: Summary): Summary => ({
      ...t,
      segments: Object.fromEntries(Object.entries(t.segments).map(([k, v]) => [k, { ...v, p95: v.p95 * 2 }])) as Summary["segments"]
    })
    const [first, ...rest] = run(base).trialResults
    const slowerSegments: RunResult = { ...run(base), trialResults: [doubled(first), ...rest.map(doubled)] }
    const result = compareResults(before, fakeDocument([slowerSegments]))
    expect(result?.failures).toEqual([])
    expect(result?.configurations[0]?.rows.filter((r) => r.verdict === "regressed").length).toBeGreaterThan(0)
    // The raw rule (every row) fails them all.
    const raw = compareResults(before, fakeDocument([slowerSegments]), { failOn: RAW_RULES, machine: "raw" })
    expect(raw?.failures.length).toBe(raw?.configurations[0]?.rows.filter((r) => r.verdict === "regressed").length)
  })

  it("a rule's share is its own threshold: +20% fails elapsed:+10% and passes elapsed:+30%", () => {
    const before = fakeDocument([run(base)])
    const after = fakeDocument([run(times(base, 1.2))])
    const fails = compareResults(before, after, { failOn: Either.getOrThrow(parseFailOn("elapsed:+10%")) })
    expect(fails?.failures.map((f) => [f.configuration, f.row.metric, f.rule.share])).toEqual([["c=10 zero baseline", "elapsed", 0.1]])
    expect(verdictLine(fails!)).toMatch(/^REGRESSED: c=10 zero baseline elapsed \+20\.0% \(elapsed:\+10%\)$/)
    expect(compareResults(before, after, { failOn: Either.getOrThrow(parseFailOn("elapsed:+30%")) })?.failures).toEqual([])
  })

  it("normalizes by the machines when their probes differ by more than the noise, and says so", () => {
    // The after side's all-core CPU probe reads slower by enough that the run should be 1.5× slower (elapsed moves with
    // the probe to the power CPU_ELASTICITY), and the run is 1.5× slower: no regression once normalized.
    const slowerCpu = 10 * 1.5 ** (1 / CPU_ELASTICITY)
    const before = withMachine(fakeDocument([run(base)]), 10, 40)
    const after = withMachine(fakeDocument([run(times(base, 1.5))]), slowerCpu, 20)
    const result = compareResults(before, after)!
    expect(result.machine.cpu).toBeCloseTo(slowerCpu / 10, 6)
    expect(result.machine.storage).toBeCloseTo(0.5, 6)
    expect(result.machine.factor).toBeCloseTo(1.5, 6)
    expect(result.machine.normalized).toBe(true)
    expect(result.machine.says).toBe(
      `after's machine was 1.50× slower for this run (CPU probe ${(slowerCpu / 10).toFixed(2)}×, storage probe 0.50×; elapsed moves ` +
        `with the CPU probe to the power ${CPU_ELASTICITY}); the verdicts rest on the figures divided by it`
    )
    expect(result.failures).toEqual([])
    expect(result.explainedByMachine).toBe(1)
    expect(result.configurations[0]?.normalized?.[0]?.ratio).toBeCloseTo(1, 2)
    expect(verdictLine(result)).toContain("normalized, no rule broken (the raw figures broke 1)")
    // Raw, the same pair regresses.
    expect(compareResults(before, after, { machine: "raw" })?.failures.length).toBe(1)
  })

  it("a real regression survives normalization: 1.5× slower code on a machine that explains 1.2×", () => {
    const before = withMachine(fakeDocument([run(base)]), 10, 40)
    const after = withMachine(fakeDocument([run(times(base, 1.5 * 1.2))]), 10 * 1.2 ** (1 / CPU_ELASTICITY), 40)
    const result = compareResults(before, after)!
    expect(result.machine.normalized).toBe(true)
    expect(result.failures.map((f) => f.row.metric)).toEqual(["elapsed"])
    expect(result.failures[0]?.row.ratio).toBeCloseTo(1.5, 2)
  })

  it("does not normalize when the machines agree within the noise, nor without probes on a side", () => {
    const before = withMachine(fakeDocument([run(base)]), 10, 40)
    // A CPU probe 10% slower moves this run's elapsed by 1.1^0.4, under 5%.
    const close = withMachine(fakeDocument([run(base)]), 11, 80)
    expect(compareResults(before, close)?.machine.normalized).toBe(false)
    expect(compareResults(before, close)?.machine.says).toBe("the machines agree within the noise (after ÷ before: CPU probe 1.10×, storage probe 2.00×)")
    const bare = fakeDocument([run(base)])
    const none = compareResults(before, bare)!
    expect(none.machine.factor).toBeNull()
    expect(none.machine.says).toBe("no machine figures to normalize by (after has no probes)")
    // CPU alone where one side has no storage probe.
    const cpuOnly = compareResults(before, withMachine(fakeDocument([run(base)]), 20, null))!
    expect(cpuOnly.machine.storage).toBeNull()
    expect(cpuOnly.machine.factor).toBeCloseTo(2 ** CPU_ELASTICITY, 6)
  })

  it("covers the ladder's steps and names what only one side has", () => {
    const step = (mitigation: string, after: ReadonlyArray<number>) => ({
      mitigation,
      mitigations: [mitigation],
      before: run(base),
      after: run(after, mitigation),
      rows: [],
      meetsThreshold1: true
    })
    const withSteps = (doc: ResultsDocument, steps: ReadonlyArray<ReturnType<typeof step>>): ResultsDocument => ({
      ...doc,
      comparisons: { mode: "full", steps, firstSuccess: null }
    })
    const before = withSteps(fakeDocument([run(base)]), [step("in-memory-guards", base), step("shared-connection", base)])
    const after = withSteps(fakeDocument([run(base)]), [step("in-memory-guards", times(base, 1.3)), step("batched-writes", base)])
    const result = compareResults(before, after)!
    expect(result.configurations.map((c) => [c.kind, c.mitigation])).toEqual([["matrix", "baseline"], ["step", "in-memory-guards"]])
    expect(result.failures.map((f) => f.configuration)).toEqual(["c=10 zero in-memory-guards (ladder step)"])
    expect(result.onlyBefore).toEqual(["c=10 zero shared-connection (ladder step)"])
    expect(result.onlyAfter).toEqual(["c=10 zero batched-writes (ladder step)"])
  })
})

describe("parseFailOn", () => {
  it("reads --fail-on's spelling, with or without .p95, and writes it back", () => {
    const rules = Either.getOrThrow(parseFailOn("elapsed:+10%, lock_wait_ms.p95:+20%,db_total_ms:7.5%"))
    expect(rules).toEqual([
      { metric: "elapsed", share: 0.1 },
      { metric: "lock_wait_ms", share: 0.2 },
      { metric: "db_total_ms", share: 0.075 }
    ])
    expect(rulesText(rules)).toBe("elapsed:+10%,lock_wait_ms.p95:+20%,db_total_ms.p95:+7.5%")
  })

  it("refuses a bad rule in one line naming it", () => {
    for (const [text, says] of [
      ["elapsed", "'elapsed' is not a rule: write METRIC:+N%"],
      ["nope_ms:+10%", "'nope_ms' is not a metric"],
      ["elapsed.p95:+10%", "elapsed has no .p95"],
      ["elapsed:+0%", "the share must be above 0%"],
      [" , ", "no rule given"]
    ] as const) {
      expect(Either.getLeft(parseFailOn(text))._tag).toBe("Some")
      expect(Either.match(parseFailOn(text), { onLeft: (e) => e, onRight: () => "" })).toContain(says)
    }
  })
})
