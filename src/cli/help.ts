/**
 * `--help`, written from the flags themselves: grouped, one entry per flag
 * with its value's shape, what it does and its default, wrapped to 80
 * columns; plain text, so it reads the same in a pipe.
 */
import { wrapText } from "../report/wrap.ts"
import { GroupTitles, Groups } from "../config/option.ts"
import type { Flag, Flags } from "./flags.ts"

const WIDTH = 80
const INDENT = 26

/** `text` wrapped to the help's width, every line after the first indented by `indent`. */
export const wrap = (text: string, first: number, indent: number): ReadonlyArray<string> => wrapText(text, WIDTH, indent, first)

const entry = (flag: Flag): ReadonlyArray<string> => {
  const head = `  --${flag.name}${flag.pseudo === null ? "" : ` ${flag.pseudo}`}`
  const body = `${flag.description}${flag.shown === null ? "" : ` (default ${flag.shown})`}`
  if (head.length + 2 > INDENT) return [head, ...wrap(body, INDENT, INDENT).map((l, i) => (i === 0 ? `${" ".repeat(INDENT)}${l}` : l))]
  const [first = "", ...rest] = wrap(body, INDENT, INDENT)
  return [`${head.padEnd(INDENT)}${first}`, ...rest]
}

export interface HelpSpec {
  /** What follows the command on its usage line, e.g. "BEFORE.json AFTER.json [flags]". */
  readonly usage: string
  readonly about: string
  /** Lines after the flags: arguments, exit codes. */
  readonly footer: ReadonlyArray<string>
}

/** The help of subcommand `name`, run as `programs/<name>.ts` or as `upload-fsm-bench <name>`. */
export const helpText = (name: string, spec: HelpSpec, all: Flags): string => {
  const flags = Object.values(all)
  return [
    `Usage: npx tsx programs/${name}.ts ${spec.usage}`,
    `       upload-fsm-bench ${name} ${spec.usage}`,
    "",
    ...wrap(spec.about, 0, 0),
    ...Groups.flatMap((group) => {
      const mine = flags.filter((f) => f.group === group)
      return mine.length === 0 ? [] : ["", `${GroupTitles[group]}:`, ...mine.flatMap(entry)]
    }),
    "",
    ...wrap("Also: --help, --version, --completions bash|zsh|fish, --log-level debug|info|warning|error|none.", 0, 2),
    ...(spec.footer.length === 0 ? [] : ["", ...spec.footer.flatMap((l) => wrap(l, 0, 2))])
  ].join("\n")
}
