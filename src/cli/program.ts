/**
 * The exit-code contract every command keeps, and how a command is run:
 * 0 success (gate PASS, no regression, clocks agree) · 1 the answer is no
 * (gate FAIL or INCOMPLETE, a regression, clocks disagree) · 2 bad input
 * (one line on stderr naming it, nothing touched) · 3 an integrity failure
 * or a runtime error · 130 interrupted.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import type * as Options from "@effect/cli/Options"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Types from "effect/Types"
import type { CommandConfig } from "./config.ts"
import type { Flags } from "./flags.ts"
import type { HelpSpec } from "./help.ts"

export const EXIT = { ok: 0, no: 1, badInput: 2, failure: 3, interrupted: 130 } as const

/** Where a command's exit code goes: the process's, or a test's. */
export class ExitCode extends Context.Tag("upload-fsm-bench/ExitCode")<ExitCode, { readonly set: (code: number) => Effect.Effect<void> }>() {}

/** Bad input: the user's to fix. One line, exit 2. */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly detail: string }> {
  override get message(): string {
    return this.detail
  }
}

export const usageError = (detail: string) => new UsageError({ detail })

/** A failure's own message (a typed error's, an Error's), else the whole cause. */
const messageOf = (cause: Cause.Cause<unknown>): string =>
  Option.match(Cause.failureOption(cause), {
    onNone: () => Cause.pretty(cause),
    onSome: (e) => (typeof e === "object" && e !== null && "message" in e && typeof e.message === "string" ? e.message : String(e))
  })

/** A subcommand as the dispatcher sees it: its name, flags and help. */
export interface Subcommand {
  readonly name: string
  /** One line for the list of commands. */
  readonly summary: string
  readonly help: HelpSpec
  readonly flags: Flags
  /** How many plain arguments it takes. */
  readonly positional: number
}

const isUsageError = (e: unknown): e is UsageError => e instanceof UsageError

/**
 * A command whose handler answers an exit code: a UsageError is one line and
 * exit 2, any other failure one line and exit 3; interruption passes through
 * (exit 130).
 */
export const subcommand = <
  const Name extends string,
  const O extends { readonly [k: string]: Options.Options<unknown> | Args.Args<unknown> },
  E
>(
  spec: Subcommand & { readonly name: Name },
  config: O,
  handler: (values: Types.Simplify<Command.Command.ParseConfig<O>>) => Effect.Effect<number, E, CommandConfig>
) => ({
  ...spec,
  command: Command.make(spec.name, config, (values) =>
    handler(values).pipe(
      Effect.catchAll((e) => isUsageError(e) ? Effect.as(Console.error(`error: ${e.detail}`), EXIT.badInput) : Effect.fail(e)),
      Effect.catchAllCause((cause) =>
        Cause.isInterruptedOnly(cause)
          ? Effect.failCause(cause)
          : Effect.as(Console.error(`error: ${messageOf(cause)}`), EXIT.failure)
      ),
      Effect.flatMap((code) => Effect.flatMap(ExitCode, (exit) => exit.set(code)))
    ))
})
