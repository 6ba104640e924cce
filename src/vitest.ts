/**
 * Vitest matchers for result documents, for a user's own suite:
 *
 *     import { expect } from "vitest"
 *     import { benchMatchers } from "upload-fsm-bench/vitest"
 *     expect.extend(benchMatchers)
 *
 *     expect(doc).toPassGate()
 *     expect(doc).toHoldAgainst(baseline("main"), { failOn: parseRules("elapsed:+10%") })
 *
 * `toPassGate`: the gate's verdict is PASS (its failing criteria in the
 * message otherwise). `toHoldAgainst`: `compareResults` breaks no fail rule
 * (the machines normalized as `compare` does); the broken rules and the
 * machine's line in the message otherwise.
 */
import * as Either from "effect/Either"
// The module the matchers' types are declared into (types only: nothing of vitest is loaded at run time).
import type {} from "vitest"
import { baselineFolder, readBaseline } from "./results/baselines.ts"
import { type ResultsDocument } from "./results/schema.ts"
import { type CompareOptions, compareResults, type FailRule, parseFailOn } from "./verdict/compareResults.ts"
import { verdictLine } from "./verdict/verdictLine.ts"

interface MatcherResult {
  readonly pass: boolean
  readonly message: () => string
}

const isDocument = (value: unknown): value is ResultsDocument =>
  typeof value === "object" && value !== null && "gate" in value && "runs" in value && "schemaVersion" in value

const notADocument = (name: string): MatcherResult => ({
  pass: false,
  message: () => `${name}: expected a result document (runBench's value, or decodeResults' of a results-*.json)`
})

/** `--fail-on`'s spelling as rules, for `toHoldAgainst`'s options; throws on a bad spelling (a test's typo). */
export const parseRules = (text: string): ReadonlyArray<FailRule> =>
  Either.getOrThrowWith(parseFailOn(text), (e) => new Error(`fail rules: ${e}`))

/**
 * Saved baseline `name` (`bench --save-baseline NAME`) from `folder`
 * (`results/baselines` by default); throws the one-line reason when there is
 * none, or it is no result document.
 */
export const baseline = (name: string, folder: string = baselineFolder("results")): ResultsDocument =>
  Either.getOrThrowWith(readBaseline(folder, name), (e) => new Error(e))

export const benchMatchers = {
  toPassGate(received: unknown): MatcherResult {
    if (!isDocument(received)) return notADocument("toPassGate")
    const { gate } = received
    const failing = Object.entries(gate.criteria).filter(([, c]) => c.verdict !== "PASS").map(([name, c]) => `${name} ${c.verdict}: ${c.evidence}`)
    return {
      pass: gate.verdict === "PASS",
      message: () =>
        gate.verdict === "PASS"
          ? "expected the gate not to pass, but it passed"
          : `expected the gate to pass, but it is ${gate.verdict}:\n  ${failing.join("\n  ")}`
    }
  },
  toHoldAgainst(received: unknown, baseline: ResultsDocument, options: CompareOptions = {}): MatcherResult {
    if (!isDocument(received)) return notADocument("toHoldAgainst")
    const result = compareResults(baseline, received, options)
    if (result === null) return { pass: false, message: () => "toHoldAgainst: the run and the baseline have no configuration in common" }
    return {
      pass: result.failures.length === 0,
      message: () => `${verdictLine(result)}\n  machine: ${result.machine.says}`
    }
  }
}

/** What the matchers add to `expect(…)`. */
export interface BenchMatchers<R = unknown> {
  /** The document's gate verdict is PASS. */
  toPassGate(): R
  /** Compared with `baseline` (`compareResults`), no fail rule is broken. */
  toHoldAgainst(baseline: ResultsDocument, options?: CompareOptions): R
}

declare module "vitest" {
  // The type parameter's name and default are vitest's own: a declaration merges only with identical ones.
  interface Matchers<T = any> extends BenchMatchers<T> {}
}
