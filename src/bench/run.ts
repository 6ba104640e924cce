/**
 * The whole run as a library call: options (the bench's flags by their
 * camel-case names, and a config) checked exactly as the command line's
 * are, then the same run as `upload-fsm-bench bench`, silent, answering its
 * typed result document. Files are written only when `out` is given.
 */
import * as Command from "@effect/cli/Command"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { checkArgs } from "../cli/argv.ts"
import { type BenchValues, benchFlags, benchRun, configOf } from "../cli/bench.ts"
import { withDefaults } from "../cli/config.ts"
import { optionsOf } from "../cli/flags.ts"
import type { BenchConfigFile, ConfigDefaults } from "../config/define.ts"
import { checkConfig, loadConfig } from "../config/load.ts"
import { builtInRegistry } from "../mitigations/registry.ts"
import type { ResultsDocument } from "../results/schema.ts"

/** What `runBench` takes: the bench's flags by name, a config, and where to write the result files. */
export interface RunOptions extends ConfigDefaults {
  /** A config value (`defineConfig`), or the path of a config file (which the runners of `--workers` can load too). */
  readonly config?: BenchConfigFile | string
  /** The folder for the result files; none are written when absent. */
  readonly out?: string
  /** A database of yours (`--db`); a temporary one when absent. */
  readonly db?: string
  /** With `db`: replace the batch it holds. */
  readonly fresh?: boolean
  /** Where lifecycle state is kept (`--store`). */
  readonly store?: "sqlite" | "postgres"
  /** With the Postgres store: a server of yours (`--pg-url`); a throwaway one when absent. */
  readonly pgUrl?: string
}

/** Why `runBench` gave no document: bad input (the CLI's exit 2), or a failure (exit 3). */
export class BenchError extends Data.TaggedError("BenchError")<{
  readonly kind: "bad-input" | "failure"
  readonly detail: string
}> {
  override get message(): string {
    return this.detail
  }
}

const badInput = (detail: string) => new BenchError({ kind: "bad-input", detail })

/** The values the bench command parses from `args`. */
const parse = (args: ReadonlyArray<string>): Effect.Effect<BenchValues, BenchError> =>
  Effect.gen(function*() {
    const checked = checkArgs(args, benchFlags, 0)
    if (Either.isLeft(checked)) return yield* badInput(checked.left)
    let values: BenchValues | undefined
    const command = Command.make("bench", optionsOf(benchFlags), (v) => Effect.sync(() => void (values = v)))
    yield* Command.run(command, { name: "upload-fsm-bench", version: "library" })(["node", "bench", ...checked.right.own]).pipe(
      Effect.provide(NodeContext.layer),
      Effect.mapError(() => badInput(`options not understood: ${args.join(" ")}`))
    )
    return values === undefined ? yield* badInput("options not understood") : values
  })

const failureOf = (cause: Cause.Cause<unknown>): BenchError => {
  const failure = Cause.failureOption(cause)
  const error = Option.isSome(failure) ? failure.value : Cause.squash(cause)
  const tag = typeof error === "object" && error !== null && "_tag" in error ? error._tag : undefined
  const message = error instanceof Error ? error.message : String(error)
  return new BenchError({ kind: tag === "UsageError" ? "bad-input" : "failure", detail: message })
}

/**
 * The whole run (the matrix, the ladder, the verdicts) as an Effect answering
 * the result document; a `BenchError` for bad options or a failed run.
 * Integrity or the gate failing is not an error: the document says so.
 */
export const runBench = (options: RunOptions = {}): Effect.Effect<ResultsDocument, BenchError> =>
  Effect.gen(function*() {
    const { config: given, out, db, fresh, store, pgUrl, ...defaults } = options
    const loaded = given === undefined
      ? { file: null, registry: builtInRegistry, profiles: [], defaults: {} }
      : typeof given === "string"
      ? yield* Effect.mapError(loadConfig(given), (e) => badInput(e.message))
      : yield* Either.match(checkConfig(given, null), {
        onLeft: (detail) => Effect.fail(badInput(`config: ${detail}`)),
        onRight: (checked) => Effect.succeed({ file: null, ...checked })
      })
    const extra = [
      ...(out === undefined ? [] : ["--out", out]),
      ...(db === undefined ? [] : ["--db", db]),
      ...(fresh === true ? ["--fresh"] : []),
      ...(store === undefined ? [] : ["--store", store]),
      ...(pgUrl === undefined ? [] : ["--pg-url", pgUrl])
    ]
    // The options first, then the config's defaults under them, checked as the flags' values are.
    const fromOptions = yield* Effect.mapError(withDefaults(extra, { ...loaded, defaults }, benchFlags, "options"), (e) => badInput(e.detail))
    const args = yield* Effect.mapError(withDefaults(fromOptions, loaded, benchFlags), (e) => badInput(e.message))
    const values = yield* parse(args)
    const config = yield* Either.match(configOf(values, loaded), {
      onLeft: (e) => Effect.fail(badInput(e)),
      onRight: (c) => Effect.succeed({ ...c, out: out ?? null, json: false })
    })
    const ownValues = loaded.registry.mitigations.some((m) => m.origin.kind === "program")
    if (config.workers > 1 && ownValues) {
      return yield* badInput("--workers: each runner loads the config from its file; give config as the file's path")
    }
    const outcome = yield* benchRun(config, loaded.registry, "quiet").pipe(
      // An interruption stays one (it holds no failure to type); anything else is the run's failure, typed.
      Effect.catchAllCause((cause) =>
        Effect.failCause(Cause.isInterruptedOnly(cause) ? (cause as Cause.Cause<never>) : Cause.fail(failureOf(cause)))
      )
    )
    return outcome.doc === null ? yield* new BenchError({ kind: "failure", detail: "the run gave no document" }) : outcome.doc
  })

/** `runBench` as a Promise: the result document, or a rejection with the `BenchError`. */
export const runBenchPromise = (options: RunOptions = {}): Promise<ResultsDocument> => Effect.runPromise(runBench(options))
