/** A comparison's verdict in one line, as `compare`, `bench --baseline` and the vitest matchers say it. */
import { type ResultsComparison, rulesText, slowerOrFaster } from "./compareResults.ts"

const failureText = (f: ResultsComparison["failures"][number]) =>
  `${f.configuration} ${f.row.metric === "elapsed" ? "elapsed" : `${f.row.metric} P95`} ` +
  `${f.row.deltaPercent === null ? "" : `${f.row.deltaPercent > 0 ? "+" : ""}${f.row.deltaPercent.toFixed(1)}% `}(${rulesText([f.rule])})`

/** The verdict in one line: which rules broke, or none, and what the machine explained. */
export const verdictLine = (result: ResultsComparison): string =>
  result.failures.length > 0
    ? `REGRESSED: ${result.failures.map(failureText).join("; ")}`
    : result.machine.normalized && result.machine.factor !== null && result.explainedByMachine > 0
    ? `no regression: after's machine was ${slowerOrFaster(result.machine.factor)} for this run; normalized, no rule broken ` +
      `(the raw figures broke ${result.explainedByMachine})`
    : "no regression"

