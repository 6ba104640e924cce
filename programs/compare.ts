/**
 * Compare two result files: `npx tsx programs/compare.ts BEFORE.json AFTER.json [--noise F] [--seed N]`.
 * Exit codes: 0 nothing regressed · 1 some row regressed beyond the noise
 * threshold · 2 unreadable or mismatched input.
 */
import { Args, Command, Options, ValidationError } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import * as fs from "node:fs"
import process from "node:process"
import { Console, Effect, Either, Exit } from "effect"
import { DEFAULT_NOISE } from "../src/gate/compare.ts"
import { compareResults, ComparisonInputError, parseResults } from "../src/gate/compareResults.ts"
import { comparisonTable } from "../src/report/console.ts"

const EXIT = { clean: 0, regressed: 1, badInput: 2 } as const

const read = (file: string) =>
  Effect.try({
    try: () => fs.readFileSync(file, "utf8"),
    catch: (cause) =>
      new ComparisonInputError({ detail: `${file}: cannot read (${cause instanceof Error ? cause.message : String(cause)})` })
  }).pipe(Effect.flatMap((text) => Either.match(parseResults(file, text), { onLeft: Effect.fail, onRight: Effect.succeed })))

const number = (flag: string, text: string, integer: boolean) => {
  const n = Number(text)
  return Number.isFinite(n) && n >= 0 && (!integer || Number.isInteger(n))
    ? Effect.succeed(n)
    : Effect.fail(new ComparisonInputError({ detail: `${flag}: '${text}' is not ${integer ? "a whole number" : "a number"} of 0 or more` }))
}

const command = Command.make(
  "compare",
  {
    before: Args.text({ name: "BEFORE.json" }),
    after: Args.text({ name: "AFTER.json" }),
    noise: Options.text("noise").pipe(
      Options.withPseudoName("F"),
      Options.withDescription(`changes smaller than this fraction are never called regressed or improved (default: ${DEFAULT_NOISE})`),
      Options.withDefault(String(DEFAULT_NOISE))
    ),
    seed: Options.text("seed").pipe(
      Options.withPseudoName("N"),
      Options.withDescription("seed of the bootstrap resampling (default: the BEFORE run's seed)"),
      Options.optional
    )
  },
  (args) =>
    Effect.gen(function*() {
      const before = yield* read(args.before)
      const after = yield* read(args.after)
      const noise = yield* number("--noise", args.noise, false)
      const seed = args.seed._tag === "Some" ? yield* number("--seed", args.seed.value, true) : before.config.seed
      const result = yield* compareResults(before, after, { noise, seed })
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
      process.exitCode = result.regressions === 0 ? EXIT.clean : EXIT.regressed
    }).pipe(
      Effect.catchTag("ComparisonInputError", (e) =>
        Effect.zipRight(Console.error(`error: ${e.message}`), Effect.sync(() => (process.exitCode = EXIT.badInput))))
    )
).pipe(Command.withDescription("Compare two upload-fsm-bench result files, configuration by configuration."))

Command.run(command, { name: "upload-fsm-bench compare", version: "0.1.0" })(process.argv).pipe(
  Effect.catchIf(ValidationError.isValidationError, () => Effect.sync(() => (process.exitCode = EXIT.badInput))),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    teardown: (exit, onExit) => onExit(Exit.isInterrupted(exit) ? 130 : Exit.isFailure(exit) ? 3 : 0)
  })
)
