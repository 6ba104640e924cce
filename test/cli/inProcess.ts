/** The CLI run in the test's own process: its exit code and what it printed, nothing set on the process. */
import { NodeContext } from "@effect/platform-node"
import { Console, Effect } from "effect"
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
