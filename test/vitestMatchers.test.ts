/** The vitest matchers a user's suite extends `expect` with: each passes and fails as it says. */
import { describe, expect, it } from "vitest"
import type { ResultsDocument } from "../src/results/schema.ts"
import { benchMatchers, parseRules } from "../src/vitest.ts"
import { fakeDocument, fakeRun } from "./verdict/fixtures.ts"

expect.extend(benchMatchers)

const run = (elapsed: ReadonlyArray<number>) => fakeRun({ concurrency: 10, profile: "zero", trialElapsed: elapsed })
const withGate = (doc: ResultsDocument, verdict: "PASS" | "FAIL"): ResultsDocument => ({
  ...doc,
  gate: {
    ...doc.gate,
    verdict,
    criteria: {
      ...doc.gate.criteria,
      SC1: { verdict, evidence: verdict === "PASS" ? "c=10 zero 1.0 s ≤ 300 s" : "c=10 zero 400 s > 300 s" }
    }
  }
})

describe("vitest matchers", () => {
  const base = fakeDocument([run([1.0, 1.02, 0.98, 1.01, 0.99])])

  it("toPassGate passes a PASS and fails a FAIL, naming the failing criterion", () => {
    expect(withGate(base, "PASS")).toPassGate()
    expect(() => expect(withGate(base, "FAIL")).toPassGate()).toThrow(/expected the gate to pass, but it is FAIL:\n {2}SC1 FAIL: c=10 zero 400 s > 300 s/)
    expect(withGate(base, "FAIL")).not.toPassGate()
    expect(() => expect({ hello: 1 }).toPassGate()).toThrow(/expected a result document/)
  })

  it("toHoldAgainst passes the same figures and fails a regression beyond the rule", () => {
    const same = fakeDocument([run([1.01, 0.99, 1.0, 1.02, 0.98])])
    const slower = fakeDocument([run([1.3, 1.32, 1.28, 1.31, 1.29])])
    expect(same).toHoldAgainst(base)
    expect(() => expect(slower).toHoldAgainst(base)).toThrow(/REGRESSED: c=10 zero baseline elapsed \+30\.0% \(elapsed:\+5%\)/)
    // A rule wide enough lets it through.
    expect(slower).toHoldAgainst(base, { failOn: parseRules("elapsed:+50%") })
    expect(() => parseRules("elapsed")).toThrow(/fail rules: 'elapsed' is not a rule/)
  })
})
