/**
 * `compare BEFORE.json AFTER.json`: two result files (BEFORE may be a saved
 * baseline's name), decoded with the Schema that wrote them, compared
 * configuration by configuration (`verdict/compareResults.ts`).
 * Exit 0 when no fail rule broke, 1 when one did, 2 on unreadable, foreign
 * or mismatched input.
 */
import * as Args from "@effect/cli/Args"
import * as fs from "node:fs"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { baselineFolder, baselineNameProblem, readBaseline } from "../results/baselines.ts"
import { decodeResults } from "../results/files.ts"
import { compareResults, parseFailOn } from "../verdict/compareResults.ts"
import { failOnOption, noiseOption } from "../config/options.ts"
import { comparisonLines } from "./comparison.ts"
import { CommandConfig } from "./config.ts"
import { integer, optionsOf, text } from "./flags.ts"
import { EXIT, subcommand, usageError } from "./program.ts"

const compareFlags = {
  noise: noiseOption,
  failOn: failOnOption,
  baselines: text("baselines", {
    group: "output",
    pseudo: "DIR",
    description: "where saved baselines are looked up when BEFORE is a name (bench --save-baseline NAME)",
    fallback: undefined,
    shown: "results/baselines"
  }),
  config: text("config", {
    group: "gate",
    pseudo: "PATH",
    description: "a config file whose defaults.failOn applies when --fail-on is not given",
    fallback: undefined,
    shown: "upload-fsm-bench.config.ts in the working directory, if there"
  }),
  seed: integer("seed", {
    group: "statistics",
    description: "seed of the bootstrap resampling",
    bounds: { min: 0 },
    fallback: undefined,
    shown: "the BEFORE run's seed"
  })
}

const read = (file: string) =>
  Effect.try({
    try: () => fs.readFileSync(file, "utf8"),
    catch: (cause) => usageError(`${file}: cannot read (${cause instanceof Error ? cause.message : String(cause)})`)
  }).pipe(
    Effect.flatMap((text) =>
      Either.match(decodeResults(file, text), { onLeft: (e) => Effect.fail(usageError(e.message)), onRight: Effect.succeed })
    )
  )

/** BEFORE: a result file, or else the name of a saved baseline. */
const readBefore = (given: string, baselines: string) =>
  fs.existsSync(given) || baselineNameProblem(given) !== null
    ? Effect.map(read(given), (doc) => ({ doc, label: given }))
    : Either.match(readBaseline(baselines, given), {
      onLeft: (e) => Effect.fail(usageError(`${given}: no such file, and ${e}`)),
      onRight: (doc) => Effect.succeed({ doc, label: `baseline ${given}` })
    })

export const compareCommand = subcommand(
  {
    name: "compare",
    summary: "compare two result files: a regression gate",
    flags: compareFlags,
    positional: 2,
    help: {
      usage: "BEFORE.json|BASELINE AFTER.json [flags]",
      about: "Compare two result files (BEFORE may name a saved baseline) configuration by configuration, the ladder's steps " +
        "included: elapsed and every segment's P95, ratio of medians over trials with a 95% bootstrap interval. When the two " +
        "runs' machines differ (their probes), the verdicts rest on the figures normalized by them; --fail-on says what fails.",
      footer: ["Exit codes: 0 no fail rule broken · 1 one broken (a regression) · 2 unreadable, foreign or mismatched input."]
    }
  },
  { ...optionsOf(compareFlags), before: Args.text({ name: "BEFORE.json" }), after: Args.text({ name: "AFTER.json" }) },
  (args) =>
    Effect.gen(function*() {
      const loaded = yield* CommandConfig
      const rulesText = args.failOn ?? loaded.defaults.failOn
      const noise = args.noise
      const failOn = rulesText === undefined
        ? undefined
        : yield* Either.match(parseFailOn(rulesText), { onLeft: (e) => Effect.fail(usageError(`--fail-on: ${e}`)), onRight: Effect.succeed })
      const { doc: before, label } = yield* readBefore(args.before, args.baselines ?? baselineFolder("results"))
      const after = yield* read(args.after)
      const result = compareResults(before, after, { noise, seed: args.seed ?? before.config.seed, ...(failOn === undefined ? {} : { failOn }) })
      if (result === null) return yield* Effect.fail(usageError("the two result files have no configuration in common"))
      const sides = { before: `${label} (${before.createdAt})`, after: `${args.after} (${after.createdAt})` }
      yield* Console.log(comparisonLines(result, sides, rulesText !== undefined).join("\n"))
      return result.failures.length === 0 ? EXIT.ok : EXIT.no
    })
)
