/**
 * `compare BEFORE.json AFTER.json`: two result files, decoded with the Schema
 * that wrote them, compared configuration by configuration.
 * Exit 0 when no row regressed, 1 when one did, 2 on unreadable, foreign or
 * mismatched input.
 */
import * as Args from "@effect/cli/Args"
import * as fs from "node:fs"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { comparisonTable } from "../report/console.ts"
import { decodeResults } from "../results/files.ts"
import { compareResults } from "../verdict/compareResults.ts"
import { noiseOption } from "../config/options.ts"
import { integer, optionsOf } from "./flags.ts"
import { EXIT, subcommand, usageError } from "./program.ts"

const compareFlags = {
  noise: noiseOption,
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

export const compareCommand = subcommand(
  {
    name: "compare",
    summary: "compare two result files: a regression gate",
    flags: compareFlags,
    positional: 2,
    help: {
      usage: "BEFORE.json AFTER.json [flags]",
      about: "Compare two result files configuration by configuration (matched on concurrency, profile and mitigation): " +
        "elapsed and every segment's P95, ratio of medians over trials with a 95% bootstrap interval.",
      footer: ["Exit codes: 0 no row regressed · 1 a row regressed beyond the noise · 2 unreadable, foreign or mismatched input."]
    }
  },
  { ...optionsOf(compareFlags), before: Args.text({ name: "BEFORE.json" }), after: Args.text({ name: "AFTER.json" }) },
  (args) =>
    Effect.gen(function*() {
      const before = yield* read(args.before)
      const after = yield* read(args.after)
      const noise = args.noise
      const result = compareResults(before, after, { noise, seed: args.seed ?? before.config.seed })
      if (result === null) return yield* Effect.fail(usageError("the two result files have no configuration in common"))
      const lines = [
        `before: ${args.before} (${before.createdAt}); after: ${args.after} (${after.createdAt})`,
        `noise threshold ${(noise * 100).toFixed(1)}%; ratio = after/before of medians over trials, 95% bootstrap CI`,
        ...result.caveats.map((c) => `caveat: ${c}`),
        ...result.configurations.flatMap((c) => [
          "",
          `c=${c.concurrency} ${c.profile} ${c.mitigation} (${c.trials.before} vs ${c.trials.after} trials)`,
          comparisonTable(c.rows)
        ]),
        ...(result.onlyBefore.length > 0 ? ["", `only in before: ${result.onlyBefore.join(", ")}`] : []),
        ...(result.onlyAfter.length > 0 ? ["", `only in after: ${result.onlyAfter.join(", ")}`] : []),
        "",
        result.regressions === 0 ? "no regression" : `${result.regressions} row(s) regressed`
      ]
      yield* Console.log(lines.join("\n"))
      return result.regressions === 0 ? EXIT.ok : EXIT.no
    })
)
