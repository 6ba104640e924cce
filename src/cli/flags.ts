/**
 * A command's flags, each described once: its typed `@effect/cli` option,
 * its group and text for `--help`, and the check of its value. The checks
 * run over the raw arguments before `@effect/cli` parses them (`argv.ts`),
 * so that every bad value, unknown or repeated flag gets one line naming the
 * flag; once they pass, the typed options cannot fail.
 */
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { DEFAULT_NOISE } from "../verdict/compare.ts"

export const Groups = ["workload", "statistics", "gate", "faults", "output", "watch"] as const
export type Group = (typeof Groups)[number]

export interface Flag<A> {
  /** Without the leading dashes. */
  readonly name: string
  readonly group: Group
  /** What the value looks like in help (N, S, LIST, PATH, a|b); null for a switch. */
  readonly pseudo: string | null
  readonly description: string
  /** The default as help shows it; null when there is none to show. */
  readonly shown: string | null
  /** For a flag that may stand alone: the value it then means. */
  readonly bare: string | null
  /** The values it takes, in words, for the reference page ("1 to 1,000"); null when its shape says it. */
  readonly range: string | null
  /** The message (without the flag's name) for a bad value; null when it is good. */
  readonly check: (text: string) => string | null
  readonly options: Options.Options<A>
}

interface Common {
  readonly group: Group
  readonly description: string
}

/** Digits, with a minus sign for a negative number: no plus sign, no spaces around it (a typo, not a number). */
const wholeNumber = /^-?\d+$/

export interface Bounds {
  readonly min?: number
  /** Strictly above this. */
  readonly above?: number
  readonly max?: number
}

const boundsProblem = (n: number, b: Bounds, unit: string): string | null =>
  b.min !== undefined && n < b.min
    ? `must be at least ${b.min}${unit}, got ${n}`
    : b.above !== undefined && n <= b.above
    ? `must be more than ${b.above}${unit}, got ${n}`
    : b.max !== undefined && n > b.max
    ? `must be at most ${b.max}${unit}, got ${n}`
    : null

/** A whole number within `bounds`; the message for anything else. */
export const integerProblem = (text: string, bounds: Bounds): string | null => {
  if (!wholeNumber.test(text)) return `'${text}' is not a whole number`
  const n = Number(text)
  return Number.isSafeInteger(n) ? boundsProblem(n, bounds, "") : `'${text}' is too large`
}

/** A finite number within `bounds`; the message for anything else. */
export const numberProblem = (text: string, bounds: Bounds, unit: string): string | null => {
  const n = text.trim() === "" ? NaN : Number(text)
  return Number.isFinite(n) ? boundsProblem(n, bounds, unit) : `'${text}' is not a number`
}

const figure = (n: number): string => n.toLocaleString("en-US")

/** `bounds` in words, for the reference page; null when there are none. */
export const rangeText = (b: Bounds, unit = ""): string | null => {
  const low = b.min !== undefined ? `${figure(b.min)}${unit}` : b.above !== undefined ? `more than ${figure(b.above)}${unit}` : null
  const high = b.max !== undefined ? `${figure(b.max)}${unit}` : null
  return low !== null && high !== null
    ? b.min !== undefined ? `${low} to ${high}` : `${low}, at most ${high}`
    : low !== null
    ? b.min !== undefined ? `at least ${low}` : low
    : high !== null
    ? `at most ${high}`
    : null
}

const invalid = (message: string) => ValidationError.invalidValue(HelpDoc.p(message))

/** Give the option its default, or make it optional (undefined when absent). */
const finish = <A>(
  options: Options.Options<A>,
  fallback: A | undefined
): Options.Options<A | undefined> =>
  fallback !== undefined
    ? Options.withDefault(options, fallback)
    : Options.map(Options.optional(options), (o) => (o._tag === "Some" ? o.value : undefined))

interface NumericSpec<F> extends Common {
  readonly pseudo?: string
  readonly bounds: Bounds
  readonly fallback: F
  readonly shown?: string
}

/** A numeric flag: `--name N` (whole numbers) or `--name S` (any finite number, `unit` after it in messages). */
const numeric = <F extends number | undefined>(
  name: string,
  spec: NumericSpec<F>,
  kind: {
    readonly pseudo: string
    readonly unit: string
    readonly options: Options.Options<number>
    readonly problem: (text: string) => string | null
  }
): Flag<F extends number ? number : number | undefined> => ({
  name,
  group: spec.group,
  pseudo: spec.pseudo ?? kind.pseudo,
  description: spec.description,
  shown: spec.shown ?? (spec.fallback === undefined ? null : String(spec.fallback)),
  bare: null,
  range: rangeText(spec.bounds, kind.unit),
  check: kind.problem,
  options: finish(kind.options, spec.fallback) as Options.Options<F extends number ? number : number | undefined>
})

export const integer = <const F extends number | undefined>(name: string, spec: NumericSpec<F>) =>
  numeric(name, spec, { pseudo: "N", unit: "", options: Options.integer(name), problem: (text) => integerProblem(text, spec.bounds) })

export const number = <const F extends number | undefined>(name: string, spec: NumericSpec<F> & { readonly unit?: string }) =>
  numeric(name, spec, {
    pseudo: "S",
    unit: spec.unit ?? "",
    options: Options.float(name),
    problem: (text) => numberProblem(text, spec.bounds, spec.unit ?? "")
  })

export const choice = <const C extends string, const F extends C | undefined>(
  name: string,
  values: readonly [C, ...Array<C>],
  spec: Common & { readonly fallback: F; readonly shown?: string; readonly bare?: C }
): Flag<F extends C ? C : C | undefined> => ({
  name,
  group: spec.group,
  pseudo: values.join("|"),
  description: spec.description,
  shown: spec.shown ?? (spec.fallback === undefined ? null : spec.fallback),
  bare: spec.bare ?? null,
  range: null,
  check: (text) =>
    (values as ReadonlyArray<string>).includes(text) ? null : `'${text}' is not one of ${values.join(", ")}`,
  options: finish(Options.choice(name, values), spec.fallback) as Options.Options<F extends C ? C : C | undefined>
})

/** A comma-separated list of items, each parsed by `item`; repeats are dropped, order kept. */
export const list = <A, const F extends string | undefined>(
  name: string,
  spec: Common & {
    readonly item: (part: string) => Either.Either<A, string>
    readonly fallback: F
    readonly shown?: string
    /** Each item's values, in words, for the reference page. */
    readonly range?: string
  }
): Flag<F extends string ? readonly [A, ...Array<A>] : readonly [A, ...Array<A>] | undefined> => {
  const parse = (text: string): Either.Either<readonly [A, ...Array<A>], string> => {
    const parts = text.split(",").map((p) => p.trim())
    if (parts.some((p) => p === "")) return Either.left(`'${text}' is not a comma-separated list`)
    const items: Array<A> = []
    for (const part of parts) {
      const parsed = spec.item(part)
      if (Either.isLeft(parsed)) return Either.left(parsed.left)
      if (!items.includes(parsed.right)) items.push(parsed.right)
    }
    const [first, ...rest] = items
    return first === undefined ? Either.left("empty list") : Either.right([first, ...rest])
  }
  const typed = Options.text(name).pipe(
    Options.mapEffect((text) => Either.match(parse(text), { onLeft: (e) => Effect.fail(invalid(`--${name}: ${e}`)), onRight: Effect.succeed }))
  )
  return {
    name,
    group: spec.group,
    pseudo: "LIST",
    description: spec.description,
    shown: spec.shown ?? spec.fallback ?? null,
    bare: null,
    range: spec.range === undefined ? null : `each ${spec.range}`,
    check: (text) => Either.match(parse(text), { onLeft: (e) => e, onRight: () => null }),
    options: (spec.fallback === undefined
      ? finish(typed, undefined)
      : typed.pipe(Options.withDefault(Either.getOrThrow(parse(spec.fallback))))) as Options.Options<
        F extends string ? readonly [A, ...Array<A>] : readonly [A, ...Array<A>] | undefined
      >
  }
}

/** Free text (a path, JSON): only emptiness is refused here. */
export const text = <const F extends string | undefined>(
  name: string,
  spec: Common & { readonly pseudo: string; readonly fallback: F; readonly shown?: string }
): Flag<F extends string ? string : string | undefined> => ({
  name,
  group: spec.group,
  pseudo: spec.pseudo,
  description: spec.description,
  shown: spec.shown ?? spec.fallback ?? null,
  bare: null,
  range: null,
  check: (value) => (value.trim() === "" ? "empty value" : null),
  options: finish(Options.text(name), spec.fallback) as Options.Options<F extends string ? string : string | undefined>
})

export const on = (name: string, spec: Common): Flag<boolean> => ({
  name,
  group: spec.group,
  pseudo: null,
  description: spec.description,
  shown: null,
  bare: null,
  range: null,
  check: () => null,
  options: Options.boolean(name)
})

export type Flags = { readonly [key: string]: Flag<unknown> }
export type Values<F extends Flags> = { readonly [K in keyof F]: F[K] extends Flag<infer A> ? A : never }

/** The record of typed options `Command.make` takes, from the flags. */
export const optionsOf = <F extends Flags>(flags: F): { readonly [K in keyof F]: F[K]["options"] } =>
  Object.fromEntries(Object.entries(flags).map(([k, f]) => [k, f.options])) as { readonly [K in keyof F]: F[K]["options"] }

/** `--noise F`: the same rule for the bench's comparisons and for compare's. */
export const noiseFlag = number("noise", {
  group: "statistics",
  pseudo: "F",
  description: "a change smaller than this fraction is never called improved or regressed",
  bounds: { min: 0 },
  fallback: DEFAULT_NOISE
})
