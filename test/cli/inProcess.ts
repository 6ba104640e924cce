/** The CLI run in the test's own process: its exit code and what it printed, nothing set on the process. */
import { Command } from "@effect/cli"
import { NodeContext } from "@effect/platform-node"
import { Console, Effect, Either } from "effect"
import type { BenchConfig } from "../../src/bench/config.ts"
import { checkArgs } from "../../src/cli/argv.ts"
import { givenOptionsOf } from "../../src/cli/flags.ts"
import { configOf } from "../../src/config/configOf.ts"
import { resolve } from "../../src/config/option.ts"
import { benchOptions } from "../../src/config/options.ts"
import { run } from "../../src/cli/main.ts"

export interface CliRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export const cli = (...args: ReadonlyArray<string>): Effect.Effect<CliRun> =>
  Effect.gen(function*() {
    const out: Array<string> = []
    const err: Array<string> = []
    const line = (sink: Array<string>) => (...parts: ReadonlyArray<unknown>) => Effect.sync(() => void sink.push(`${parts.join(" ")}\n`))
    const console = yield* Console.consoleWith((c) => Effect.succeed(c))
    const code = yield* run(args).pipe(Effect.withConsole({ ...console, log: line(out), error: line(err) }))
    return { code, stdout: out.join(""), stderr: err.join("") }
  }).pipe(Effect.provide(NodeContext.layer))

/** The configuration the bench command builds from `args`, or the one line it refuses them with. */
export const configFrom = (...args: ReadonlyArray<string>): Effect.Effect<Either.Either<BenchConfig, string>> =>
  Either.match(checkArgs(args, benchOptions, 0), {
    onLeft: (problem) => Effect.succeed(Either.left(problem)),
    onRight: (checked) =>
      Effect.gen(function*() {
        let values: Parameters<typeof resolve<typeof benchOptions>>[1] | undefined
        const command = Command.make("bench", givenOptionsOf(benchOptions), (v) => Effect.sync(() => void (values = v)))
        yield* Command.run(command, { name: "test", version: "0" })(["node", "test", ...checked.own])
        return values === undefined ? Either.left("not parsed") : configOf(resolve(benchOptions, values))
      }).pipe(Effect.orDie, Effect.provide(NodeContext.layer))
  })
