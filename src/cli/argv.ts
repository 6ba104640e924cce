/**
 * The raw arguments of one command checked against its flags before
 * `@effect/cli` sees them: an unknown flag, a flag given twice, a flag
 * without its value, a value its flag refuses or a stray argument each
 * gets one line naming it. A flag that may stand alone (`--ladder`) gets its
 * value written in.
 */
import * as Either from "effect/Either"
import { textProblem } from "../config/option.ts"
import type { Flags } from "./flags.ts"

/** Flags every command takes from `@effect/cli` itself, with whether each takes a value. */
const builtIn: ReadonlyMap<string, boolean> = new Map([
  ["help", false],
  ["version", false],
  ["wizard", false],
  ["completions", true],
  ["log-level", true]
])

export const wantsHelp = (args: ReadonlyArray<string>): boolean => args.includes("--help") || args.includes("-h")

export interface CheckedArgs {
  /** `@effect/cli`'s own flags (--log-level …): they go before the command's name. */
  readonly builtIn: ReadonlyArray<string>
  /** The command's flags and arguments. */
  readonly own: ReadonlyArray<string>
}

/**
 * `args` (after the command's name) checked and normalised; `positional`
 * says how many plain arguments the command takes.
 */
export const checkArgs = (
  args: ReadonlyArray<string>,
  flags: Flags,
  positional: number
): Either.Either<CheckedArgs, string> => {
  const byName = new Map(Object.values(flags).map((f) => [f.name, f]))
  const seen = new Set<string>()
  const out: Array<string> = []
  const builtInArgs: Array<string> = []
  let plain = 0
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? ""
    if (!arg.startsWith("--") || arg === "--") {
      plain += 1
      if (plain > positional) return Either.left(`unexpected argument '${arg}'`)
      out.push(arg)
      continue
    }
    const eq = arg.indexOf("=")
    const name = arg.slice(2, eq === -1 ? undefined : eq)
    const inline = eq === -1 ? undefined : arg.slice(eq + 1)
    const flag = byName.get(name)
    if (flag === undefined) {
      if (builtIn.has(name)) {
        builtInArgs.push(arg)
        if (builtIn.get(name) === true && inline === undefined && i + 1 < args.length) builtInArgs.push(args[++i] ?? "")
        continue
      }
      return Either.left(`unknown flag --${name} (see --help)`)
    }
    if (seen.has(name)) return Either.left(`--${name} given twice`)
    seen.add(name)
    if (flag.pseudo === null) {
      if (inline !== undefined) return Either.left(`--${name} takes no value`)
      out.push(arg)
      continue
    }
    const next = args[i + 1]
    const value = inline ??
      (next !== undefined && (!next.startsWith("--") || flag.bare === null) ? (i++, next) : flag.bare ?? undefined)
    if (value === undefined || (inline === undefined && value.startsWith("--") && flag.bare === null)) {
      return Either.left(`--${name} needs a value (${flag.pseudo})`)
    }
    const problem = textProblem(flag, value)
    if (problem !== null) return Either.left(`--${name}: ${problem}`)
    out.push(`--${name}`, value)
  }
  if (plain < positional) return Either.left(`expected ${positional} arguments, got ${plain}`)
  return Either.right({ builtIn: builtInArgs, own: out })
}
