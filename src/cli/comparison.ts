/**
 * A comparison of two result documents on the terminal, as `compare` and
 * `bench --baseline` print it: the machine first, then each configuration's
 * rows (normalized when the machines differed), then the verdict in one line.
 */
import { comparisonTable } from "../report/console.ts"
import { type ResultsComparison, rulesText } from "../verdict/compareResults.ts"
import { verdictLine } from "../verdict/verdictLine.ts"

export const comparisonLines = (
  result: ResultsComparison,
  sides: { readonly before: string; readonly after: string },
  rulesGiven: boolean
): ReadonlyArray<string> => [
  `before: ${sides.before}; after: ${sides.after}`,
  `machine: ${result.machine.says}`,
  `fail rules: ${rulesText(result.rules)}${rulesGiven ? "" : " (the default: elapsed beyond the noise threshold)"}; ` +
  "ratio = after/before of medians over trials, 95% bootstrap CI",
  ...result.caveats.map((c) => `caveat: ${c}`),
  ...result.configurations.flatMap((c) => [
    "",
    `c=${c.concurrency} ${c.profile} ${c.mitigation}${c.kind === "step" ? " (ladder step)" : ""} (${c.trials.before} vs ${c.trials.after} trials)` +
    (c.normalized === null ? "" : `, after ÷ ${result.machine.factor?.toFixed(3)} (normalized by the machines)`),
    comparisonTable(c.normalized ?? c.rows)
  ]),
  ...(result.onlyBefore.length > 0 ? ["", `only in before: ${result.onlyBefore.join(", ")}`] : []),
  ...(result.onlyAfter.length > 0 ? ["", `only in after: ${result.onlyAfter.join(", ")}`] : []),
  "",
  verdictLine(result)
]
