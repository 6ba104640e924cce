/**
 * `bench`: the benchmark's command, a skin over the library's run. Flags
 * (the run's options, `config/options.ts`) → their values over the config
 * file's defaults → `BenchConfig` (`configOf`) → the run (`assembleRun`),
 * shown on the terminal → the exit code.
 */
import * as path from "node:path"
import process from "node:process"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { BenchError } from "../bench/errors.ts"
import { assembleRun, exitCodeOf, type Presentation, type Shown } from "../bench/assemble.ts"
import { resumeLines } from "../bench/resume.ts"
import { configOf } from "../config/configOf.ts"
import { resolve } from "../config/option.ts"
import { benchOptions } from "../config/options.ts"
import { endLine, processCost } from "../metrics/processCost.ts"
import { fileExporters, terminalExporter } from "../report/exporters.ts"
import { wrapText } from "../report/wrap.ts"
import { CommandConfig } from "./config.ts"
import { givenOptionsOf } from "./flags.ts"
import { EXIT, subcommand, usageError, type UsageError } from "./program.ts"
import { comparisonLines } from "./comparison.ts"
import type { BenchConfig } from "../bench/config.ts"
import { baselineFolder, readBaseline, saveBaseline } from "../results/baselines.ts"
import type { ResultsDocument } from "../results/schema.ts"
import { compareResults, parseFailOn } from "../verdict/compareResults.ts"
import { terminalProgress } from "./progress.ts"

/** Where the files went: the folder once, then the names (wrapped within 80 columns unless --wide). */
const writtenLine = (dir: string, paths: ReadonlyArray<string>, wide: boolean) => {
  const line = `written in ${dir}: ` +
    paths.map((p) => (path.dirname(p) === path.normalize(dir) ? path.basename(p) : p)).join(", ")
  return wide ? line : wrapText(line, 80, 2).join("\n")
}

/** What the run gave, on the terminal: the report (or the document with --json) and where the files are. */
const onTerminal = (options: { readonly json: boolean; readonly wide: boolean; readonly out: string }) => (shown: Shown) =>
  Effect.gen(function*() {
    if (shown.kind === "resumed") {
      return yield* options.json ? Console.log(JSON.stringify(shown.report, null, 2)) : Console.log(resumeLines(shown.label, shown.report).join("\n"))
    }
    if (options.json) {
      yield* Console.log(((yield* fileExporters.results.render(shown.doc)) ?? "").trimEnd())
      yield* Console.error(`written: ${shown.written.join(", ")}`)
    } else {
      const terminal = terminalExporter({ wide: options.wide, color: process.stdout.isTTY === true })
      yield* Console.log(`${(yield* terminal.render(shown.doc)) ?? ""}\n\n${writtenLine(options.out, shown.written, options.wide)}`)
    }
    yield* Effect.flatMap(processCost, (c) => Effect.logDebug(endLine(c)))
  })

const folderOf = (config: BenchConfig) => baselineFolder(config.out ?? "results")

/** `--baseline NAME`'s document, or null without one; a name not saved is bad input. */
const baselineOf = (config: BenchConfig) =>
  config.baseline === null
    ? Effect.succeed(null)
    : Either.match(readBaseline(folderOf(config), config.baseline), {
      onLeft: (e) => Effect.fail(usageError(`--baseline: ${e}`)),
      onRight: (doc) => Effect.succeed(doc)
    })

/**
 * After the run: the document kept as a baseline (`--save-baseline`), and the
 * run compared with one (`--baseline`), its lines on stderr with --json. A
 * broken fail rule turns a passing gate's exit 0 into 1; a baseline that
 * could not be saved, into 2.
 */
const afterRun = (config: BenchConfig, doc: ResultsDocument, against: ResultsDocument | null, code: number) =>
  Effect.gen(function*() {
    const say = config.json ? Console.error : Console.log
    let exit = code
    if (against !== null) {
      const failOn = config.failOn === null ? undefined : Either.getOrUndefined(parseFailOn(config.failOn))
      const result = compareResults(against, doc, { noise: config.noise, ...(failOn === undefined ? {} : { failOn }) })
      if (result === null) {
        yield* say(`--baseline ${config.baseline}: no configuration in common with this run; nothing compared`)
      } else {
        const sides = { before: `baseline ${config.baseline} (${against.createdAt})`, after: `this run (${doc.createdAt})` }
        yield* say(["", ...comparisonLines(result, sides, config.failOn !== null)].join("\n"))
        if (result.failures.length > 0 && exit === EXIT.ok) exit = EXIT.no
      }
    }
    if (config.saveBaseline !== null) {
      const saved = saveBaseline(folderOf(config), config.saveBaseline, `${JSON.stringify(doc, null, 2)}\n`)
      yield* Either.match(saved, {
        onLeft: (e) => Effect.zipRight(Console.error(`error: ${e}`), Effect.sync(() => void (exit = EXIT.badInput))),
        onRight: (file) => Console.error(`baseline ${config.saveBaseline} saved: ${file}`)
      })
    }
    return exit
  })

export const benchCommand = subcommand(
  {
    name: "bench",
    summary: "run the matrix, the mitigation ladder and the gate",
    flags: benchOptions,
    positional: 0,
    help: {
      usage: "[flags]",
      about: "Measure a file-upload lifecycle FSM persisted to SQLite (or PostgreSQL) with optimistic concurrency: the original plan's matrix " +
        "(concurrency 1, 10, 50 × profiles zero and realistic), the bottleneck, the mitigation ladder, and the VLID-06 gate " +
        "verdict (the original plan's validation gate) against Threshold 1 (zero, c=10) and Threshold 2 (realistic, c=10).",
      footer: ["Exit codes: 0 gate PASS · 1 gate FAIL or INCOMPLETE · 2 bad input · 3 integrity failure or error · 130 interrupted."]
    }
  },
  givenOptionsOf(benchOptions),
  (given) =>
    Effect.gen(function*() {
      const loaded = yield* CommandConfig
      const config = configOf(resolve(benchOptions, given, loaded.defaults), loaded)
      if (Either.isLeft(config)) return yield* usageError(config.left)
      const presentation: Presentation = {
        // A live line only for a person watching a terminal; logs and --json stay clean.
        progress: terminalProgress({ live: process.stderr.isTTY === true && process.stdout.isTTY === true && !config.right.json }),
        announce: true,
        present: onTerminal({ json: config.right.json, wide: config.right.wide, out: config.right.out ?? "" })
      }
      // A baseline to compare with is read before anything runs: a wrong name costs no run.
      const against = yield* baselineOf(config.right)
      const shown = yield* assembleRun(config.right, loaded.registry, presentation).pipe(
        Effect.catchTag("BenchError", (e): Effect.Effect<never, BenchError | UsageError> => Effect.fail(e.kind === "bad-input" ? usageError(e.detail) : e))
      )
      return shown.kind === "results" ? yield* afterRun(config.right, shown.doc, against, exitCodeOf(shown)) : exitCodeOf(shown)
    })
)
