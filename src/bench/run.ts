/**
 * The whole run as a library call: typed options (the run's options by
 * their camel-case names, `config/options.ts`, and a config) checked with
 * the same bounds and messages as the command line's flags, over the
 * config's defaults, then the same run as `upload-fsm-bench bench`, silent,
 * answering its typed result document. Files are written only when `out`
 * is given.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { configOf } from "../config/configOf.ts"
import type { BenchConfigFile } from "../config/define.ts"
import { checkConfig, loadConfig } from "../config/load.ts"
import { checkValues, resolve } from "../config/option.ts"
import { benchOptions, type RunValues } from "../config/options.ts"
import { builtInRegistry } from "../mitigations/registry.ts"
import type { ResultsDocument } from "../results/schema.ts"
import { assembleRun, quietly } from "./assemble.ts"
import { badInput, BenchError } from "./errors.ts"

export { BenchError }

/** What `runBench` takes: the run's options by name (each optional: its default otherwise), and a config. */
export type RunOptions = RunValues & {
  /** A config value (`defineConfig`), or the path of a config file (which the runners of `--workers` can load too). */
  readonly config?: BenchConfigFile | string
}

const failureOf = (cause: Cause.Cause<unknown>): BenchError => {
  const failure = Cause.failureOption(cause)
  const error = Option.isSome(failure) ? failure.value : Cause.squash(cause)
  if (error instanceof BenchError) return error
  return new BenchError({ kind: "failure", detail: error instanceof Error ? error.message : String(error) })
}

/** The config a run is given: none (the built-ins), a value, or a file's path, loaded and checked. */
const loadGiven = (given: RunOptions["config"]) =>
  given === undefined
    ? Effect.succeed({ file: null, registry: builtInRegistry, profiles: [], defaults: {} })
    : typeof given === "string"
    ? Effect.mapError(loadConfig(given), (e) => badInput(e.message))
    : Either.match(checkConfig(given, null), {
      onLeft: (detail) => Effect.fail(badInput(`config: ${detail}`)),
      onRight: (checked) => Effect.succeed({ file: null, ...checked })
    })

/**
 * The whole run (the matrix, the ladder, the verdicts) as an Effect answering
 * the result document; a `BenchError` for bad options or a failed run.
 * Integrity or the gate failing is not an error: the document says so.
 */
export const runBench = (options: RunOptions = {}): Effect.Effect<ResultsDocument, BenchError> =>
  Effect.gen(function*() {
    const { config: given, ...values } = options
    const loaded = yield* loadGiven(given)
    const checked = yield* Either.mapLeft(checkValues(benchOptions, values, (o) => o.scope !== "cli", "options"), badInput)
    const config = yield* Either.match(configOf(resolve(benchOptions, checked, loaded.defaults), loaded), {
      onLeft: (e) => Effect.fail(badInput(e)),
      // Files are written only where the options say; a config's default folder is the command line's.
      onRight: (c) => Effect.succeed({ ...c, out: checked.out ?? null, json: false })
    })
    const ownValues = loaded.registry.mitigations.some((m) => m.origin.kind === "program")
    if (config.workers > 1 && ownValues) {
      return yield* badInput("--workers: each runner loads the config from its file; give config as the file's path")
    }
    const shown = yield* assembleRun(config, loaded.registry, quietly).pipe(
      // An interruption stays one (it holds no failure to type); anything else is the run's failure, typed.
      Effect.catchAllCause((cause) =>
        Effect.failCause(Cause.isInterruptedOnly(cause) ? (cause as Cause.Cause<never>) : Cause.fail(failureOf(cause)))
      )
    )
    return shown.kind === "results" ? shown.doc : yield* new BenchError({ kind: "failure", detail: "the run gave no document" })
  })

/** `runBench` as a Promise: the result document, or a rejection with the `BenchError`. */
export const runBenchPromise = (options: RunOptions = {}): Promise<ResultsDocument> => Effect.runPromise(runBench(options))
