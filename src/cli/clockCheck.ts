/**
 * `clock-check`: one configuration run with the real clock and with the time
 * warp, trials alternating; elapsed time and every segment's P95 both ways.
 * Exit 0 when elapsed agrees within the tolerance, 1 when it does not.
 */
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { runClockCheck } from "../bench/clockCheck.ts"
import { table } from "../report/format.ts"
import * as Layer from "effect/Layer"
import * as BetterSqlite from "../backends/sqlite/betterSqlite.ts"
import { sqliteStore } from "../backends/sqlite/store.ts"
import { storeLayer } from "../store/service.ts"
import { temporaryDatabase } from "../backends/sqlite/dbFile.ts"
import { integer, number, optionsOf } from "./flags.ts"
import { EXIT, subcommand } from "./program.ts"
import { terminalProgress } from "./progress.ts"

const clockFlags = {
  files: integer("files", { group: "workload", description: "files per run", bounds: { min: 1, max: 100_000 }, fallback: 818 }),
  concurrency: integer("concurrency", { group: "workload", description: "concurrency", bounds: { min: 1, max: 10_000 }, fallback: 50 }),
  delay: number("delay", {
    group: "workload",
    // The real clock waits every call out: 10 s per call is already minutes per trial.
    description: "seconds per API call (realistic profile; waited out in real time, so at most 10)",
    bounds: { above: 0, max: 10 },
    unit: " s",
    fallback: 0.2
  }),
  seed: integer("seed", { group: "workload", description: "seed of ids and seeded rows", bounds: {}, fallback: 42 }),
  trials: integer("trials", { group: "statistics", description: "trials per clock, alternating", bounds: { min: 1, max: 100 }, fallback: 3 }),
  tolerance: number("tolerance", {
    group: "statistics",
    pseudo: "F",
    description: "largest relative difference of elapsed time that counts as agreement",
    bounds: { min: 0 },
    fallback: 0.02
  })
}

export const clockCheckCommand = subcommand(
  {
    name: "clock-check",
    summary: "measure the time warp against real time",
    flags: clockFlags,
    positional: 0,
    help: {
      usage: "[flags]",
      about: "Measure how closely the time-warp clock reproduces a real-time run: one configuration, both clocks, " +
        "trials alternating; elapsed time and every segment's P95 both ways.",
      footer: ["Exit codes: 0 elapsed agrees within the tolerance · 1 it does not · 2 bad input · 3 error."]
    }
  },
  optionsOf(clockFlags),
  (o) =>
    Effect.gen(function*() {
      const dbPath = yield* temporaryDatabase
      const createdAt = new Date(yield* Clock.currentTimeMillis).toISOString()
      const result = yield* runClockCheck({
        dbPath,
        files: o.files,
        concurrency: o.concurrency,
        delaySeconds: o.delay,
        trials: o.trials,
        seed: o.seed,
        tolerance: o.tolerance,
        createdAt
      })
      yield* Console.log(
        [
          `clock check: ${o.files} files, c=${o.concurrency}, realistic at ${o.delay} s per call, median of ${o.trials} ` +
          `trials per clock; the warp skipped ${result.simulated.skippedSeconds.toFixed(3)} s per trial (median)`,
          table(
            ["metric", "real", "simulated", "difference"],
            result.rows.map((r) => [r.metric, r.real.toFixed(3), r.simulated.toFixed(3), `${(r.relativeDifference * 100).toFixed(2)}%`]),
            1
          ),
          `elapsed ${result.elapsedAgrees ? "agrees" : "does NOT agree"} within ${(o.tolerance * 100).toFixed(1)}%`
        ].join("\n")
      )
      return result.elapsedAgrees ? EXIT.ok : EXIT.no
    }).pipe(
      Effect.scoped,
      Effect.provide(terminalProgress({ live: false })),
      Effect.provide(Layer.provideMerge(BetterSqlite.layer, storeLayer(sqliteStore)))
    )
)
