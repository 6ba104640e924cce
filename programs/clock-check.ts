/**
 * The time warp's fidelity: one configuration run with the real clock and
 * with the warp, trials alternating. Prints elapsed time and every segment's
 * P95 both ways and their relative difference.
 * `npx tsx programs/clock-check.ts [--files 818] [--concurrency 50] [--delay 0.2] [--trials 3] [--tolerance 0.02]`
 * Exit codes: 0 elapsed agrees within the tolerance · 1 it does not · 2 bad input · 3 runtime error.
 */
import { Command, Options, ValidationError } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import process from "node:process"
import { Cause, Clock, Console, Data, Effect, Exit } from "effect"
import { runClockCheck } from "../src/gate/clockCheck.ts"
import { table } from "../src/report/format.ts"
import { temporaryDatabase } from "../src/sqlite/dbFile.ts"
import * as BetterSqlite from "../src/sqlite/betterSqlite.ts"

class BadInput extends Data.TaggedError("BadInput")<{ readonly detail: string }> {}

const num = (flag: string, text: string, check: (n: number) => boolean, what: string) => {
  const n = Number(text)
  return text.trim() !== "" && Number.isFinite(n) && check(n)
    ? Effect.succeed(n)
    : Effect.fail(new BadInput({ detail: `${flag}: '${text}' is not ${what}` }))
}

const opt = (name: string, pseudo: string, description: string, fallback: string) =>
  Options.text(name).pipe(
    Options.withPseudoName(pseudo),
    Options.withDescription(`${description} (default: ${fallback})`),
    Options.withDefault(fallback)
  )

const command = Command.make(
  "clock-check",
  {
    files: opt("files", "N", "files per run", "818"),
    concurrency: opt("concurrency", "N", "concurrency", "50"),
    delay: opt("delay", "S", "seconds per API call (realistic profile)", "0.2"),
    trials: opt("trials", "N", "trials per clock, alternating real and warp", "3"),
    seed: opt("seed", "N", "seed of ids and seeded rows", "42"),
    tolerance: opt("tolerance", "F", "largest relative difference of elapsed time that counts as agreement", "0.02")
  },
  (raw) =>
    Effect.gen(function*() {
      const isCount = (n: number) => Number.isInteger(n) && n >= 1
      const files = yield* num("--files", raw.files, isCount, "a whole number of 1 or more")
      const concurrency = yield* num("--concurrency", raw.concurrency, isCount, "a whole number of 1 or more")
      const delaySeconds = yield* num("--delay", raw.delay, (n) => n > 0, "a number of seconds above 0")
      const trials = yield* num("--trials", raw.trials, isCount, "a whole number of 1 or more")
      const seed = yield* num("--seed", raw.seed, Number.isInteger, "a whole number")
      const tolerance = yield* num("--tolerance", raw.tolerance, (n) => n >= 0, "a fraction of 0 or more")
      const dbPath = yield* temporaryDatabase
      const createdAt = new Date(yield* Clock.currentTimeMillis).toISOString()
      const result = yield* runClockCheck({
        dbPath,
        files,
        concurrency,
        delaySeconds,
        trials,
        seed,
        tolerance,
        createdAt,
        progress: Console.error
      })
      yield* Console.log(
        [
          `clock check: ${files} files, c=${concurrency}, realistic at ${delaySeconds} s per call, median of ${trials} ` +
          `trials per clock; the warp skipped ${result.simulated.skippedSeconds.toFixed(3)} s per trial (median)`,
          table(
            ["metric", "real", "simulated", "difference"],
            result.rows.map((r) => [
              r.metric,
              r.real.toFixed(3),
              r.simulated.toFixed(3),
              `${(r.relativeDifference * 100).toFixed(2)}%`
            ]),
            1
          ),
          `elapsed ${result.elapsedAgrees ? "agrees" : "does NOT agree"} within ${(tolerance * 100).toFixed(1)}%`
        ].join("\n")
      )
      process.exitCode = result.elapsedAgrees ? 0 : 1
    }).pipe(
      Effect.scoped,
      Effect.catchTag("BadInput", (e) =>
        Effect.zipRight(Console.error(`error: ${e.detail}`), Effect.sync(() => (process.exitCode = 2)))),
      Effect.catchAllCause((cause) =>
        Effect.zipRight(
          Console.error(`error: ${Cause.isFailType(cause) ? cause.error.message : Cause.pretty(cause)}`),
          Effect.sync(() => (process.exitCode = 3))
        )
      ),
      Effect.provide(BetterSqlite.layer)
    )
).pipe(Command.withDescription("Measure how closely the time-warp clock reproduces a real-time run."))

Command.run(command, { name: "upload-fsm-bench clock-check", version: "0.1.0" })(process.argv).pipe(
  Effect.catchIf(ValidationError.isValidationError, () => Effect.sync(() => (process.exitCode = 2))),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    teardown: (exit, onExit) => onExit(Exit.isInterrupted(exit) ? 130 : Exit.isFailure(exit) ? 3 : 0)
  })
)
