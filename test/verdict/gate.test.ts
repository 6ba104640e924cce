import { describe, expect, it } from "@effect/vitest"
import { bottleneckOf, primaryRun } from "../../src/verdict/bottleneck.ts"
import { gateOf, sc1, sc2, sc3 } from "../../src/verdict/gate.ts"
import { checkIntegrity, happyPath } from "../../src/verdict/integrity.ts"
import { growthOf, scalingOf, slopeOf } from "../../src/verdict/scaling.ts"
import { evaluateThresholds } from "../../src/verdict/thresholds.ts"
import { walReport } from "../../src/verdict/wal.ts"
import type { StoredFile } from "../../src/store/store.ts"
import { OccConflict, StoreError } from "../../src/store/errors.ts"
import { fakeRun } from "./fixtures.ts"
import { compareSeries } from "../../src/verdict/compare.ts"
import type { Comparisons, Step } from "../../src/results/schema.ts"

describe("bottleneck", () => {
  it("is chosen among fsm_net leaves, never db_total_ms or fsm_net_ms, by P95 and by share", () => {
    const run = fakeRun({
      concurrency: 10,
      profile: "zero",
      p95: { db_total_ms: 50, fsm_net_ms: 60, lock_wait_ms: 40, write_ms: 5, connect_ms: 3 },
      totals: { fsm_net_ms: 1000, lock_wait_ms: 100, write_ms: 200, connect_ms: 500 }
    })
    const b = bottleneckOf(run)
    expect(b.byP95.segment).toBe("lock_wait_ms")
    expect(b.byShare.segment).toBe("connect_ms")
    expect(b.byShare.share).toBe(0.5)
    expect(b.agree).toBe(false)
    expect(b.leaves.map((l) => l.segment)).not.toContain("db_total_ms")
  })

  it("is named from c=10 zero when it was run, else the closest zero run", () => {
    const runs = [
      fakeRun({ concurrency: 1, profile: "zero" }),
      fakeRun({ concurrency: 10, profile: "realistic" }),
      fakeRun({ concurrency: 10, profile: "zero" }),
      fakeRun({ concurrency: 50, profile: "zero" })
    ]
    expect(primaryRun(runs)).toMatchObject({ concurrency: 10, profile: "zero" })
    expect(primaryRun(runs.filter((r) => r.concurrency !== 10))).toMatchObject({ profile: "zero" })
    expect(primaryRun([fakeRun({ concurrency: 10, profile: "realistic" })])).toMatchObject({ profile: "realistic" })
    expect(primaryRun([])).toBeUndefined()
  })
})

describe("WAL verdict", () => {
  const base = { bytesStart: 0, bytesEnd: 4096, checkpoints: 0, dbTotalMs: 1000, lockWaitP95: 1, dbTotalP95: 10 }
  it("is CLEAN when nothing was refused the lock, whatever the original plan's ratio says", () => {
    const r = walReport({ ...base, busy: 0, busyWaitMs: 0 })
    expect(r.verdict).toBe("CLEAN")
    expect(r.seedRatio).toBe(0.1)
  })
  it("is MINOR below 5% of db time spent retrying, CONTENTION above", () => {
    expect(walReport({ ...base, busy: 3, busyWaitMs: 50 }).verdict).toBe("MINOR")
    expect(walReport({ ...base, busy: 3, busyWaitMs: 51 }).verdict).toBe("CONTENTION")
  })
})

describe("scaling", () => {
  it("fits the log-log slope and names the growth", () => {
    expect(slopeOf([[1, 2], [10, 20], [100, 200]])).toBeCloseTo(1, 12)
    expect(slopeOf([[1, 5], [10, 5]])).toBeCloseTo(0, 12)
    expect(slopeOf([[1, 1], [10, 100]])).toBeCloseTo(2, 12)
    expect(slopeOf([[10, 1]])).toBeNull()
    expect(growthOf(0.5)).toBe("sub-linear")
    expect(growthOf(1.1)).toBe("linear")
    expect(growthOf(1.3)).toBe("super-linear")
  })

  it("reports whether the bottleneck changes between c=10 and the highest concurrency", () => {
    const [zero] = scalingOf([
      fakeRun({ concurrency: 1, profile: "zero", p95: { fsm_net_ms: 1, write_ms: 0.5 } }),
      fakeRun({ concurrency: 10, profile: "zero", p95: { fsm_net_ms: 10, write_ms: 0.5, lock_wait_ms: 0.2 } }),
      fakeRun({ concurrency: 50, profile: "zero", p95: { fsm_net_ms: 50, write_ms: 0.5, lock_wait_ms: 4 } })
    ])
    expect(zero?.growth).toBe("linear")
    expect(zero?.bottleneckChange).toMatchObject({
      from: { concurrency: 10, segment: "write_ms" },
      to: { concurrency: 50, segment: "lock_wait_ms" },
      changed: true,
      lockWaitP95Ratio: 20
    })
  })
})

describe("thresholds and gate", () => {
  const limits = { zeroSeconds: 300, realisticSeconds: 21_600 }

  it("passes, fails and marks unrun thresholds", () => {
    const [t1, t2] = evaluateThresholds([fakeRun({ concurrency: 10, profile: "zero", elapsedSeconds: 1.5 })], limits, 818)
    expect(t1).toMatchObject({ verdict: "PASS", measuredSeconds: 1.5, marginSeconds: 298.5 })
    expect(t2).toMatchObject({ verdict: "NOT_RUN", measuredSeconds: null })
    const [slow] = evaluateThresholds([fakeRun({ concurrency: 10, profile: "zero", elapsedSeconds: 301 })], limits, 818)
    expect(slow?.verdict).toBe("FAIL")
    // In time, but not every file done: some gave up waiting for the write lock.
    const [short] = evaluateThresholds([fakeRun({ concurrency: 10, profile: "zero", elapsedSeconds: 1.5, lockTimeouts: 22 })], limits, 818)
    expect(short).toMatchObject({ verdict: "FAIL", note: "22 of 818 files gave up waiting for the write lock" })
  })

  it("labels a realistic run at another delay than the original plan's, and gives its floor", () => {
    const [, t2] = evaluateThresholds(
      [fakeRun({ concurrency: 10, profile: "realistic", elapsedSeconds: 8.4, delaySeconds: 0.05 })],
      limits,
      818
    )
    expect(t2?.floorSeconds).toBeCloseTo(8.18, 10)
    expect(t2?.note).toContain("0.05 s per API call")
  })

  const step = (mitigation: string, elapsedSeconds: number, limit = 300): Step => {
    const before = fakeRun({ concurrency: 10, profile: "zero", elapsedSeconds: 2 })
    const after = fakeRun({ concurrency: 10, profile: "zero", elapsedSeconds })
    return {
      mitigation,
      mitigations: ["in-memory-guards"],
      before,
      after,
      rows: compareSeries(before, after, { noise: 0.05, seed: 1 }),
      meetsThreshold1: elapsedSeconds <= limit
    }
  }

  it("is INCOMPLETE, never PASS, while SC2 has no mitigation measured", () => {
    const runs = [
      fakeRun({ concurrency: 10, profile: "zero", elapsedSeconds: 1 }),
      fakeRun({ concurrency: 10, profile: "realistic", elapsedSeconds: 330 })
    ]
    const primary = primaryRun(runs)
    const thresholds = evaluateThresholds(runs, limits, 818)
    const gate = gateOf({ SC1: sc1(primary), SC2: sc2(primary && bottleneckOf(primary), []), SC3: sc3(thresholds, null, "A") }, "A")
    expect(gate.criteria.SC1.verdict).toBe("PASS")
    expect(gate.criteria.SC2.verdict).toBe("NOT_EVALUATED")
    expect(gate.criteria.SC3.verdict).toBe("PASS")
    expect(gate.verdict).toBe("INCOMPLETE")
  })

  it("passes on path A once a mitigation is measured, citing the mitigation file", () => {
    const runs = [
      fakeRun({ concurrency: 10, profile: "zero", elapsedSeconds: 1 }),
      fakeRun({ concurrency: 10, profile: "realistic", elapsedSeconds: 330 })
    ]
    const primary = primaryRun(runs)
    const ladder: Comparisons = { mode: "first", steps: [step("in-memory-guards", 0.9)], firstSuccess: "in-memory-guards" }
    const sc2Result = sc2(primary && bottleneckOf(primary), ladder.steps)
    expect(sc2Result.verdict).toBe("PASS")
    expect(sc2Result.evidence).toContain("in-memory-guards vs baseline")
    expect(sc2Result.evidence).toContain("before/after per segment in the mitigation file")
    const gate = gateOf({ SC1: sc1(primary), SC2: sc2Result, SC3: sc3(evaluateThresholds(runs, limits, 818), ladder, "A") }, "A")
    expect(gate.verdict).toBe("PASS")
  })

  it("on path B, Threshold 1 is met by the first successful ladder step, and fails when none succeeds", () => {
    const runs = [
      fakeRun({ concurrency: 10, profile: "zero", elapsedSeconds: 400 }),
      fakeRun({ concurrency: 10, profile: "realistic", elapsedSeconds: 330 })
    ]
    const thresholds = evaluateThresholds(runs, limits, 818)
    const rescued: Comparisons = {
      mode: "first",
      steps: [step("in-memory-guards", 350), step("in-memory-guards+shared-connection", 100)],
      firstSuccess: "in-memory-guards+shared-connection"
    }
    const passed = sc3(thresholds, rescued, "B")
    expect(passed.verdict).toBe("PASS")
    expect(passed.evidence).toContain("met with in-memory-guards+shared-connection")
    const hopeless: Comparisons = { mode: "first", steps: [step("a", 350), step("b", 320), step("c", 310)], firstSuccess: null }
    const failed = sc3(thresholds, hopeless, "B")
    expect(failed.verdict).toBe("FAIL")
    expect(failed.evidence).toContain("no mitigation met it either")
    // On path A the matrix's own Threshold 1 verdict stands.
    expect(sc3(thresholds, rescued, "A").verdict).toBe("FAIL")
  })

  it("is FAIL when a threshold fails or the measured run lost integrity", () => {
    const runs = [fakeRun({ concurrency: 10, profile: "zero", elapsedSeconds: 400 })]
    const failing = gateOf(
      { SC1: sc1(runs[0]), SC2: sc2(undefined, []), SC3: sc3(evaluateThresholds(runs, limits, 818), null, "B") },
      "B"
    )
    expect(failing.verdict).toBe("FAIL")
    const broken = sc1(fakeRun({ concurrency: 10, profile: "zero", integrityOk: false }))
    expect(broken.verdict).toBe("FAIL")
  })
})

describe("integrity check", () => {
  const row = (path: string, version: number, state: StoredFile["state"] = "indexed"): StoredFile => ({
    path,
    state,
    version,
    hasFileId: true,
    hasDocId: true,
    hasError: false,
    attempts: 1,
    round: 1
  })

  it("accepts N indexed files at version 3", () => {
    const r = checkIntegrity({
      expectedFiles: 2,
      stored: [row("a", 3), row("b", 3)],
      ledger: new Map([["a", 3], ["b", 3]]),
      failures: [],
      expect: happyPath(3)
    })
    expect(r).toMatchObject({ ok: true, indexed: 2, transitions: 6 })
  })

  it("catches a lost transition, a missing row and a count that disagrees with the actor", () => {
    const r = checkIntegrity({
      expectedFiles: 3,
      stored: [row("a", 3), row("b", 2, "processing")],
      ledger: new Map([["a", 4], ["b", 2]]),
      failures: [],
      expect: happyPath(3)
    })
    expect(r.ok).toBe(false)
    expect(r.problems.join("\n")).toContain("expected 3 rows, found 2")
    expect(r.problems.join("\n")).toContain("b: state processing")
    expect(r.problems.join("\n")).toContain("a: 4 transitions committed, row has version 3")
    expect(r.problems.join("\n")).toContain("b: version 2, expected 3")
    expect(r.problems.join("\n")).toContain("5 transitions in the rows' versions, 6 committed")
    expect(r.finalStates).toMatchObject({ indexed: 1, processing: 1 })
  })

  it("a file that gave up waiting for the write lock is counted apart, its row held to what it committed; another failure is a problem", () => {
    const timeout = new StoreError({ operation: "BEGIN IMMEDIATE", detail: "write lock not acquired after 5000 ms", lockTimeout: true })
    const check = (b: StoredFile, ledgerB: number, error: StoreError) =>
      checkIntegrity({
        expectedFiles: 2,
        stored: [row("a", 3), b],
        ledger: new Map([["a", 3], ["b", ledgerB]]),
        failures: [{ path: "b", error }],
        expect: happyPath(3)
      })
    const gaveUp = check(row("b", 1, "uploading"), 1, timeout)
    expect(gaveUp).toMatchObject({ ok: true, lockTimeouts: 1, indexed: 1, transitions: 4 })
    // Its row must still match what was committed.
    expect(check(row("b", 2, "processing"), 1, timeout).problems.join()).toContain("b: 1 transitions committed, row has version 2")
    // Any other store error is an actor failure: a problem.
    const other = check(row("b", 1, "uploading"), 1, new StoreError({ operation: "COMMIT", detail: "disk I/O error" }))
    expect(other).toMatchObject({ ok: false, lockTimeouts: 0 })
    expect(other.problems.join()).toContain("b: actor failed: StoreError: COMMIT: disk I/O error")
    // An OCC conflict is counted as one, and is a problem too.
    const conflict = checkIntegrity({
      expectedFiles: 2,
      stored: [row("a", 3), row("b", 1, "uploading")],
      ledger: new Map([["a", 3], ["b", 1]]),
      failures: [{ path: "b", error: new OccConflict({ path: "b", event: "complete_upload", expectedState: "uploading", expectedVersion: 0 }) }],
      expect: happyPath(3)
    })
    expect(conflict).toMatchObject({ ok: false, occConflicts: 1, lockTimeouts: 0 })
    expect(other.occConflicts).toBe(0)
  })

  it("under reupload, an indexed file the scenario sends round again must be in round 2; one it does not, in round 1", () => {
    const expectReupload = { terminal: ["indexed", "failed"] as Array<"indexed" | "failed">, exactVersion: null, maxAttempts: 3, secondRound: (p: string) => p === "a" }
    const check = (a: StoredFile, b: StoredFile) =>
      checkIntegrity({ expectedFiles: 2, stored: [a, b], ledger: new Map([["a", a.version], ["b", b.version]]), failures: [], expect: expectReupload })
    expect(check({ ...row("a", 7), round: 2 }, row("b", 3)).ok).toBe(true)
    expect(check(row("a", 3), row("b", 3)).problems).toEqual(["a: indexed in round 1; the scenario sends it round again"])
    expect(check({ ...row("a", 7), round: 2 }, { ...row("b", 7), round: 2 }).problems).toEqual(["b: in round 2; the scenario sends it round once"])
  })

  it("with failures allowed: a file may end failed after all its attempts, with its error", () => {
    const failedRow = (attempts: number, hasError: boolean): StoredFile => ({
      path: "f",
      state: "failed",
      version: 6,
      hasFileId: true,
      hasDocId: false,
      hasError,
      attempts,
      round: 1
    })
    const expect3 = { terminal: ["indexed", "failed"] as const, exactVersion: null, maxAttempts: 3, secondRound: null }
    const check = (r: StoredFile) =>
      checkIntegrity({ expectedFiles: 1, stored: [r], ledger: new Map([["f", 6]]), failures: [], expect: { ...expect3, terminal: [...expect3.terminal] } })
    expect(check(failedRow(3, true)).ok).toBe(true)
    expect(check(failedRow(2, true)).problems.join()).toContain("failed after 2 of 3 attempts")
    expect(check(failedRow(3, false)).problems.join()).toContain("no error message")
    // The plain happy path allows no failed file at all.
    expect(checkIntegrity({ expectedFiles: 1, stored: [failedRow(3, true)], ledger: new Map([["f", 6]]), failures: [], expect: happyPath(3) }).ok).toBe(false)
  })
})
