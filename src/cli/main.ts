/**
 * The project as one command, `upload-fsm-bench`, with subcommands; each
 * program in `programs/` is this with its subcommand fixed. Arguments are
 * checked against the subcommand's flags first (`argv.ts`), `--help` is the
 * project's own (`help.ts`), and `@effect/cli` parses the rest into typed
 * values, answers `--version`, `--completions` and `--log-level`.
 */
import * as Command from "@effect/cli/Command"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import process from "node:process"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import { checkArgs, wantsHelp } from "./argv.ts"
import { CommandConfig, commandConfig, noConfig, registeredLines } from "./config.ts"
import { benchCommand } from "./bench.ts"
import { clockCheckCommand } from "./clockCheck.ts"
import { compareCommand } from "./compare.ts"
import { overheadCommand } from "./overhead.ts"
import { runnerCommand } from "./runner.ts"
import { helpText, wrap } from "./help.ts"
import { boundHeapGrowth } from "../metrics/heapGrowth.ts"
import { CodeOrigin } from "../metrics/processCost.ts"
import { EXIT, ExitCode, type Subcommand } from "./program.ts"
import { TOOL } from "../process/identity.ts"
import { responsiveScheduler } from "./scheduler.ts"
import { commandFinished, exitCodeOf, rememberSignals, stopSignal } from "../process/signals.ts"

const NAME = TOOL.name
const VERSION = TOOL.version

export const subcommands: ReadonlyArray<Subcommand> = [benchCommand, compareCommand, clockCheckCommand, overheadCommand, runnerCommand]

const rootHelp = (): string =>
  [
    `Usage: ${NAME} <command> [flags]`,
    "",
    ...wrap(
      "Will persisting every file's lifecycle to SQLite slow a batch upload, at which concurrency, why, and what helps? " +
        "Commands:",
      0,
      0
    ),
    "",
    ...subcommands.map((s) => `  ${s.name.padEnd(13)} ${s.summary}`),
    "",
    ...wrap(`'${NAME} <command> --help' describes a command's flags. Also: --version, --completions bash|zsh|fish.`, 0, 0)
  ].join("\n")

const root = Command.make(NAME).pipe(
  Command.withSubcommands([benchCommand.command, compareCommand.command, clockCheckCommand.command, overheadCommand.command, runnerCommand.command])
)

/**
 * @effect/cli's bash completions join a choice's values with commas, which
 * bash reads as one word; words are what `compgen -W` wants.
 */
const fixBashChoices = (script: string): string =>
  script.replace(/compgen -W "([^"$]*)"/g, (_, words: string) => `compgen -W "${words.replaceAll(",", " ")}"`)

/** The completion script for `shell`, or null for a shell it does not know. */
export const completionScript = (shell: string): Effect.Effect<string | null, never, NodeContext.NodeContext> =>
  shell === "bash"
    ? Effect.map(Command.getBashCompletions(root, NAME), (lines) => fixBashChoices(lines.join("\n")))
    : shell === "zsh"
    ? Effect.map(Command.getZshCompletions(root, NAME), (lines) => lines.join("\n"))
    : shell === "fish"
    ? Effect.map(Command.getFishCompletions(root, NAME), (lines) => lines.join("\n"))
    : Effect.succeed(null)

const completions = (shell: string) =>
  Effect.flatMap(completionScript(shell), (script) =>
    script === null
      ? Effect.as(Console.error(`error: --completions: '${shell}' is not one of bash, zsh, fish`), EXIT.badInput)
      : Effect.as(Console.log(script), EXIT.ok))

/** The command line `args` (without runtime and script), run to its exit code; the process is left alone. */
export const run = (args: ReadonlyArray<string>): Effect.Effect<number, never, NodeContext.NodeContext> =>
  Effect.gen(function*() {
    let code: number = EXIT.ok
    const at = args.indexOf("--completions")
    if (at !== -1) return yield* completions(args[at + 1] ?? "")
    const [first, ...rest] = args
    const sub = subcommands.find((s) => s.name === first)
    if (sub === undefined) {
      if (first === "--version") return yield* Effect.as(Console.log(VERSION), EXIT.ok)
      if (first === undefined || wantsHelp(args)) return yield* Effect.as(Console.log(rootHelp()), EXIT.ok)
      yield* Console.error(`error: unknown command '${first}' (commands: ${subcommands.map((s) => s.name).join(", ")})`)
      return EXIT.badInput
    }
    // A command with a --config flag reads the config file (named, or in the working directory) first.
    const loaded = "config" in sub.flags ? yield* Effect.either(commandConfig(rest, process.cwd())) : Either.right(noConfig)
    if (Either.isLeft(loaded)) return yield* Effect.as(Console.error(`error: ${loaded.left.message}`), EXIT.badInput)
    const config = loaded.right
    if (wantsHelp(rest)) {
      return yield* Effect.as(Console.log([helpText(sub.name, sub.help, sub.flags), ...registeredLines(config)].join("\n")), EXIT.ok)
    }
    const checked = checkArgs(rest, sub.flags, sub.positional)
    if (Either.isLeft(checked)) return yield* Effect.as(Console.error(`error: ${checked.left}`), EXIT.badInput)
    // @effect/cli reads its arguments after the executable's two (runtime, script).
    yield* Command.run(root, { name: NAME, version: VERSION })(["node", NAME, ...checked.right.builtIn, sub.name, ...checked.right.own]).pipe(
      Effect.provideService(ExitCode, { set: (c) => Effect.sync(() => void (code = c)) }),
      Effect.provideService(CommandConfig, config),
      // A failure that reaches here is @effect/cli's refusal of an argument (it has printed why).
      Effect.catchAll(() => Effect.sync(() => void (code = EXIT.badInput)))
    )
    return code
  }).pipe(
    // Signals, timers and I/O get their turn however busy the fibers are.
    Effect.withScheduler(responsiveScheduler())
  )

/**
 * Run the command line `args` as the process: its exit code is the process's.
 * `origin`: where this code was loaded from (`launch.ts`), for the debug log.
 */
export const main = (args: ReadonlyArray<string>, origin?: string): void => {
  const early = rememberSignals()
  if (early !== null) {
    process.stderr.write(`interrupted (${early}) while starting: nothing was run or written\n`)
    process.exit(exitCodeOf(early))
  }
  boundHeapGrowth()
  run(args).pipe(
    Effect.provideService(CodeOrigin, origin ?? CodeOrigin.defaultValue()),
    Effect.flatMap((code) =>
      Effect.sync(() => {
        process.exitCode = code
        commandFinished()
      })
    ),
    Effect.provide(NodeContext.layer),
    // Phase logs (--log-level debug) go to stderr: stdout is for the report or --json's document.
    Effect.provide(Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger))),
    NodeRuntime.runMain({
      disableErrorReporting: true,
      disablePrettyLogger: true,
      teardown: (exit, onExit) =>
        onExit(Exit.isInterrupted(exit) ? exitCodeOf(stopSignal()) : Exit.isFailure(exit) ? EXIT.failure : 0)
    })
  )
}
