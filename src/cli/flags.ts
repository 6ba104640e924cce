/**
 * A command's flags are its options (`config/option.ts`): this derives the
 * typed `@effect/cli` option of each. The raw arguments are checked against
 * the options before `@effect/cli` parses them (`argv.ts`), so that every
 * bad value, unknown or repeated flag gets one line naming the flag; once
 * they pass, the typed options cannot fail.
 */
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as CliOptions from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { AnyOption, Options } from "../config/option.ts"

export { choice, integer, integerProblem, list, number, on, rangeText, text } from "../config/option.ts"
export type { AnyOption as Flag, Options as Flags, Values } from "../config/option.ts"

const invalid = (message: string) => ValidationError.invalidValue(HelpDoc.p(message))

/** The option's value when its flag is given; undefined when it is not (a switch left off included). */
const given = (option: AnyOption): CliOptions.Options<unknown> => {
  const typed: CliOptions.Options<unknown> = option.kind === "switch"
    ? CliOptions.map(CliOptions.boolean(option.name), (on) => (on ? true : undefined))
    : option.kind === "choice" && option.choices !== null
    ? CliOptions.choice(option.name, option.choices)
    : CliOptions.text(option.name).pipe(
      CliOptions.mapEffect((text) =>
        Either.match(option.fromText(text), { onLeft: (e) => Effect.fail(invalid(`--${option.name}: ${e}`)), onRight: Effect.succeed })
      )
    )
  return option.kind === "switch"
    ? typed
    : CliOptions.map(CliOptions.optional(typed), (o) => (o._tag === "Some" ? o.value : undefined))
}

/** The record of typed options `Command.make` takes: each flag's value, or its option's default when not given. */
export const optionsOf = <O extends Options>(options: O): { readonly [K in keyof O]: CliOptions.Options<O[K]["fallback"]> } =>
  Object.fromEntries(
    Object.entries(options).map(([k, o]) => [k, CliOptions.map(given(o), (v) => v ?? o.fallback)])
  ) as { readonly [K in keyof O]: CliOptions.Options<O[K]["fallback"]> }

/** The same, undefined for a flag not given: for a command whose defaults also come from a config file. */
export const givenOptionsOf = <O extends Options>(
  options: O
): { readonly [K in keyof O]: CliOptions.Options<O[K]["fallback"] | undefined> } =>
  Object.fromEntries(Object.entries(options).map(([k, o]) => [k, given(o)])) as {
    readonly [K in keyof O]: CliOptions.Options<O[K]["fallback"] | undefined>
  }
