/**
 * An option, described once: its name, the shape and bounds of its value,
 * its default, its text for `--help` and the reference page, and who may set
 * it. From one description come the command line's flag (`cli/flags.ts`
 * derives the `@effect/cli` option), the check of a value given as text
 * (a flag's) or as a typed value (`runBench`'s options, a config file's
 * `defaults`), with the same bounds and one-line messages either way.
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

export const Groups = ["workload", "statistics", "gate", "faults", "output", "watch"] as const
export type Group = (typeof Groups)[number]

/** Each group's title, in `--help` and on the reference page. */
export const GroupTitles: { readonly [G in Group]: string } = {
  workload: "Workload",
  statistics: "Statistics",
  gate: "Gate",
  faults: "Faults",
  output: "Output",
  watch: "Watching a run"
}

/**
 * Who may set an option: `file`, a config file's `defaults` as well as
 * `runBench` and the command line; `run`, `runBench` and the command line;
 * `cli`, the command line only (how the terminal shows a run).
 */
export type Scope = "file" | "run" | "cli"

export type Kind = "integer" | "number" | "choice" | "list" | "text" | "switch"

export interface Option<A, I = A, S extends Scope = Scope> {
  /** The flag's name, without the leading dashes. */
  readonly name: string
  readonly kind: Kind
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
  /** A choice's values (for completions); null for other kinds. */
  readonly choices: ReadonlyArray<string> | null
  /** The value when nobody gives one (undefined: none, or one the configuration's rules choose). */
  readonly fallback: A
  readonly scope: S
  /** Whether a runner (`--workers`, `runner`) needs it too: its value crosses to the runners' processes. */
  readonly runners: boolean
  /** The value a flag's text stands for; the message (without the flag's name) for a bad one. */
  readonly fromText: (text: string) => Either.Either<Exclude<A, undefined>, string>
  /** A typed value checked (`runBench`'s options, a config's defaults); the message for a bad one. */
  readonly fromValue: (value: unknown) => Either.Either<Exclude<A, undefined>, string>
  /** Its value as a Schema, with its bounds: what a configuration and a result document hold of it. */
  readonly schema: Schema.Schema<Exclude<A, undefined>>
  /** Only for typing what a typed value may be (`I`); never read. */
  readonly input?: I
}

/** Any option (its value's Schema as any Schema: a Schema's type parameter is invariant). */
export type AnyOption = Omit<Option<unknown, unknown, Scope>, "schema"> & { readonly schema: Schema.Schema.AnyNoContext }
export type Options = { readonly [key: string]: AnyOption }

/** The values of options as a run uses them: each given, or its default (undefined where it has none). */
export type Values<O extends Options> = { readonly [K in keyof O]: O[K]["fallback"] }
/** The values a caller may give (each optional), typed as a program writes them. */
export type Given<O extends Options> = { readonly [K in keyof O]?: NonNullable<O[K]["input"]> }
/** The keys of the options that `scope` may set. */
export type KeysIn<O extends Options, S extends Scope> = { [K in keyof O]: O[K]["scope"] extends S ? K : never }[keyof O]

interface Common<S extends Scope> {
  readonly group: Group
  readonly description: string
  /** Who may set it: the command line only, unless said (default `cli`). */
  readonly scope?: S
  readonly runners?: boolean
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

/** A number Schema with `bounds`' filters. */
const boundedSchema = (base: Schema.Schema<number>, b: Bounds): Schema.Schema<number> => {
  let schema = base
  if (b.min !== undefined) schema = schema.pipe(Schema.greaterThanOrEqualTo(b.min))
  if (b.above !== undefined) schema = schema.pipe(Schema.greaterThan(b.above))
  if (b.max !== undefined) schema = schema.pipe(Schema.lessThanOrEqualTo(b.max))
  return schema
}

const orProblem = <A>(value: A, problem: string | null): Either.Either<A, string> =>
  problem === null ? Either.right(value) : Either.left(problem)

/** A typed whole number within `bounds`. */
const integerValue = (bounds: Bounds) => (value: unknown): Either.Either<number, string> =>
  typeof value === "number" && Number.isSafeInteger(value) ? orProblem(value, boundsProblem(value, bounds, "")) : Either.left("expected a whole number")

const scopeOf = <S extends Scope>(spec: Common<S>): S => spec.scope ?? ("cli" as S)

interface NumericSpec<F, S extends Scope> extends Common<S> {
  readonly pseudo?: string
  readonly bounds: Bounds
  readonly fallback: F
  readonly shown?: string
}

type Fallback<A, F> = F extends A ? A : A | undefined

export const integer = <const F extends number | undefined, const S extends Scope = "cli">(
  name: string,
  spec: NumericSpec<F, S>
): Option<Fallback<number, F>, number, S> => ({
  name,
  kind: "integer",
  group: spec.group,
  pseudo: spec.pseudo ?? "N",
  description: spec.description,
  shown: spec.shown ?? (spec.fallback === undefined ? null : String(spec.fallback)),
  bare: null,
  range: rangeText(spec.bounds),
  choices: null,
  fallback: spec.fallback as Fallback<number, F>,
  scope: scopeOf(spec),
  runners: spec.runners ?? false,
  fromText: (text) => orProblem(Number(text), integerProblem(text, spec.bounds)) as Either.Either<Exclude<Fallback<number, F>, undefined>, string>,
  fromValue: integerValue(spec.bounds) as (v: unknown) => Either.Either<Exclude<Fallback<number, F>, undefined>, string>,
  schema: boundedSchema(Schema.Int, spec.bounds) as unknown as Schema.Schema<Exclude<Fallback<number, F>, undefined>>
})

export const number = <const F extends number | undefined, const S extends Scope = "cli">(
  name: string,
  spec: NumericSpec<F, S> & { readonly unit?: string }
): Option<Fallback<number, F>, number, S> => {
  const unit = spec.unit ?? ""
  type A = Exclude<Fallback<number, F>, undefined>
  return {
    name,
    kind: "number",
    group: spec.group,
    pseudo: spec.pseudo ?? "S",
    description: spec.description,
    shown: spec.shown ?? (spec.fallback === undefined ? null : String(spec.fallback)),
    bare: null,
    range: rangeText(spec.bounds, unit),
    choices: null,
    fallback: spec.fallback as Fallback<number, F>,
    scope: scopeOf(spec),
    runners: spec.runners ?? false,
    fromText: (text) => orProblem(Number(text) as A, numberProblem(text, spec.bounds, unit)),
    fromValue: (value) =>
      typeof value === "number" && Number.isFinite(value)
        ? orProblem(value as A, boundsProblem(value, spec.bounds, unit))
        : Either.left("expected a number"),
    schema: boundedSchema(Schema.Number.pipe(Schema.finite()), spec.bounds) as unknown as Schema.Schema<A>
  }
}

/** A name a config may add to a choice's values (a driver of its own): lower case letters, digits and dashes. */
const OPEN_NAME = /^[a-z][a-z0-9-]{0,39}$/

/**
 * One of `values`. An `open` choice also takes any other well-formed name
 * (a config's own, such as a driver it defines), which is checked against
 * the config where the run's configuration is made (`configOf`).
 */
export const choice = <const C extends string, const F extends C | undefined, const S extends Scope = "cli">(
  name: string,
  values: readonly [C, ...Array<C>],
  spec: Common<S> & { readonly fallback: F; readonly shown?: string; readonly bare?: C; readonly open?: boolean }
): Option<Fallback<C, F>, C, S> => {
  type A = Exclude<Fallback<C, F>, undefined>
  const fromText = (text: string): Either.Either<A, string> =>
    (values as ReadonlyArray<string>).includes(text) || (spec.open === true && OPEN_NAME.test(text))
      ? Either.right(text as A)
      : Either.left(`'${text}' is not one of ${values.join(", ")}`)
  return {
    name,
    kind: "choice",
    group: spec.group,
    pseudo: values.join("|"),
    description: spec.description,
    shown: spec.shown ?? (spec.fallback === undefined ? null : spec.fallback),
    bare: spec.bare ?? null,
    range: spec.open === true ? "or a config file's own" : null,
    choices: spec.open === true ? null : values,
    fallback: spec.fallback as Fallback<C, F>,
    scope: scopeOf(spec),
    runners: spec.runners ?? false,
    fromText,
    fromValue: (value) => (typeof value === "string" ? fromText(value) : Either.left(`expected one of ${values.join(", ")}`)),
    schema: (spec.open === true ? Schema.String : Schema.Literal(...values)) as unknown as Schema.Schema<A>
  }
}

type NonEmpty<A> = readonly [A, ...Array<A>]

/** A comma-separated list of items, each parsed by `item`; repeats are dropped, order kept. */
export const list = <A, const F extends string | undefined, const S extends Scope = "cli", I = string>(
  name: string,
  spec: Common<S> & {
    readonly item: (part: string) => Either.Either<A, string>
    /** A typed item checked (default: a string, parsed as `item` parses its text). */
    readonly itemValue?: (value: unknown) => Either.Either<A, string>
    /** What a typed item is, in words, for a bad one (default: "a list of names"). */
    readonly itemsAre?: string
    /** An item as a Schema (default: a string). */
    readonly itemSchema?: Schema.Schema<A>
    readonly fallback: F
    readonly shown?: string
    /** Each item's values, in words, for the reference page. */
    readonly range?: string
  }
): Option<F extends string ? NonEmpty<A> : NonEmpty<A> | undefined, ReadonlyArray<I>, S> => {
  type Out = F extends string ? NonEmpty<A> : NonEmpty<A> | undefined
  const itemValue = spec.itemValue ?? ((v: unknown) => (typeof v === "string" ? spec.item(v) : Either.left("expected a list of names")))
  const collect = (parsed: ReadonlyArray<Either.Either<A, string>>): Either.Either<Exclude<Out, undefined>, string> => {
    const items: Array<A> = []
    for (const p of parsed) {
      if (Either.isLeft(p)) return Either.left(p.left)
      if (!items.includes(p.right)) items.push(p.right)
    }
    const [first, ...rest] = items
    return first === undefined ? Either.left("empty list") : Either.right([first, ...rest] as unknown as Exclude<Out, undefined>)
  }
  const fromText = (text: string): Either.Either<Exclude<Out, undefined>, string> => {
    const parts = text.split(",").map((p) => p.trim())
    return parts.some((p) => p === "") ? Either.left(`'${text}' is not a comma-separated list`) : collect(parts.map(spec.item))
  }
  return {
    name,
    kind: "list",
    group: spec.group,
    pseudo: "LIST",
    description: spec.description,
    shown: spec.shown ?? spec.fallback ?? null,
    bare: null,
    range: spec.range === undefined ? null : `each ${spec.range}`,
    choices: null,
    fallback: (spec.fallback === undefined ? undefined : Either.getOrThrow(fromText(spec.fallback))) as Out,
    scope: scopeOf(spec),
    runners: spec.runners ?? false,
    fromText,
    fromValue: (value) =>
      Array.isArray(value) ? collect(value.map(itemValue)) : Either.left(`expected ${spec.itemsAre ?? "a list of names"}`),
    schema: Schema.NonEmptyArray(spec.itemSchema ?? (Schema.String as unknown as Schema.Schema<A>)) as unknown as Schema.Schema<
      Exclude<Out, undefined>
    >
  }
}

/** Free text (a path, JSON): only emptiness is refused here. */
export const text = <const F extends string | undefined, const S extends Scope = "cli">(
  name: string,
  spec: Common<S> & {
    readonly pseudo: string
    readonly fallback: F
    readonly shown?: string
    /** Why a value is refused beyond emptiness (a name's spelling, a rule's grammar), or null. */
    readonly check?: (value: string) => string | null
  }
): Option<Fallback<string, F>, string, S> => {
  type A = Exclude<Fallback<string, F>, undefined>
  const fromText = (value: string): Either.Either<A, string> => {
    const problem = value.trim() === "" ? "empty value" : spec.check?.(value) ?? null
    return problem === null ? Either.right(value as A) : Either.left(problem)
  }
  return {
    name,
    kind: "text",
    group: spec.group,
    pseudo: spec.pseudo,
    description: spec.description,
    shown: spec.shown ?? spec.fallback ?? null,
    bare: null,
    range: null,
    choices: null,
    fallback: spec.fallback as Fallback<string, F>,
    scope: scopeOf(spec),
    runners: spec.runners ?? false,
    fromText,
    fromValue: (value) => (typeof value === "string" ? fromText(value) : Either.left("expected a string")),
    schema: Schema.String as unknown as Schema.Schema<A>
  }
}

/** A switch: off unless given. */
export const on = <const S extends Scope = "cli">(name: string, spec: Common<S>): Option<boolean, boolean, S> => ({
  name,
  kind: "switch",
  group: spec.group,
  pseudo: null,
  description: spec.description,
  shown: null,
  bare: null,
  range: null,
  choices: null,
  fallback: false,
  scope: scopeOf(spec),
  runners: spec.runners ?? false,
  fromText: () => Either.right(true),
  fromValue: (value) => (typeof value === "boolean" ? Either.right(value) : Either.left("expected a boolean")),
  schema: Schema.Boolean
})

/** Why `text` is no value of `option`, or null when it is one. */
export const textProblem = (option: AnyOption, text: string): string | null =>
  Either.match(option.fromText(text), { onLeft: (e) => e, onRight: () => null })

/**
 * The values a run uses: for each option, the first of the given value, the
 * config's default and the option's own default. `given` and `defaults` hold
 * values already checked.
 */
export const resolve = <O extends Options>(
  options: O,
  given: { readonly [K in keyof O]?: unknown },
  defaults: { readonly [K in keyof O]?: unknown } = {}
): Values<O> =>
  Object.fromEntries(
    Object.entries(options).map(([key, option]) => [key, given[key] ?? defaults[key] ?? option.fallback])
  ) as Values<O>

/**
 * Typed values checked against `options`, each by its option (the same
 * bounds as its flag's); only the keys `allowed` may be given. The message
 * of the first problem names the value as `${source}.${key}`.
 */
export const checkValues = <O extends Options>(
  options: O,
  values: Readonly<Record<string, unknown>>,
  allowed: (option: AnyOption) => boolean,
  source: string,
  noun = "option"
): Either.Either<Partial<Values<O>>, string> => {
  const known = Object.entries(options).filter(([, o]) => allowed(o)).map(([k]) => k)
  const checked: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(values)) {
    const option = options[key]
    if (option === undefined || !allowed(option)) return Either.left(`${source}.${key}: not a${noun === "option" ? "n" : ""} ${noun} (known: ${known.join(", ")})`)
    if (value === undefined) continue
    const decoded = option.fromValue(value)
    if (Either.isLeft(decoded)) return Either.left(`${source}.${key}: ${decoded.left}`)
    checked[key] = decoded.right
  }
  return Either.right(checked as Partial<Values<O>>)
}
