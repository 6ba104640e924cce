/**
 * The registry: the mitigations a run knows (the built-ins, then a config
 * file's), the ladder it walks, and what follows from a set of them: its
 * label, whether it can run as one strategy, the strategy's layer and the
 * storage floor's plan. A mitigation is wholly described by its value
 * (`define.ts`); nothing here names one.
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import { perFile } from "../actor/connections.ts"
import { readingGuard } from "../actor/guard.ts"
import type { StrategyLayer } from "../actor/strategy.ts"
import { commitEach } from "../actor/writer.ts"
import { StoreError } from "../store/errors.ts"
import { batchedWrites } from "./batchedWrites.ts"
import {
  type FloorParts,
  type AnyMitigation,
  type Service,
  type ServiceTags,
  Services,
  type StrategyContext
} from "./define.ts"
import { inMemoryGuards } from "./inMemoryGuards.ts"
import { sharedConnection } from "./sharedConnection.ts"
import type { Backend } from "../store/backend.ts"
import type { DriverDefinition } from "../store/defineDriver.ts"
import type { Driver } from "../store/driver.ts"

export type { StrategyContext } from "./define.ts"

/** Where a mitigation came from: the project, a config file (with its content's hash), or a program's own value. */
export type Origin =
  | { readonly kind: "built-in" }
  | { readonly kind: "config"; readonly path: string; readonly sha256: string }
  | { readonly kind: "program" }

export interface Registered {
  readonly definition: AnyMitigation
  readonly origin: Origin
}

export interface Registry {
  /** In registration order (the built-ins first): the order of a set's label. */
  readonly mitigations: ReadonlyArray<Registered>
  /** The ladder's steps, cheapest first, each a set in registration order. */
  readonly ladder: ReadonlyArray<ReadonlyArray<string>>
  /** The config file the mitigations beyond the built-ins came from (each runner of `--workers` loads it too); null for none. */
  readonly configPath: string | null
  /** Drivers beyond the built-ins (`backends/all.ts`): the config's own, in its order. */
  readonly drivers: ReadonlyArray<DriverDefinition>
  /** Backends (stores) beyond the built-ins: the config's own, in its order. */
  readonly backends: ReadonlyArray<Backend>
}

/** The run's registry, for what builds strategies and floors. */
export class MitigationRegistry extends Context.Tag("upload-fsm-bench/MitigationRegistry")<MitigationRegistry, Registry>() {}

/** The built-in mitigations, cheapest first (the seed's order). */
export const builtInMitigations: ReadonlyArray<AnyMitigation> = [inMemoryGuards, sharedConnection, batchedWrites]

/** The seed's ladder, cheapest first: each step includes the ones before it. */
export const BUILT_IN_LADDER: ReadonlyArray<ReadonlyArray<string>> = [
  ["in-memory-guards"],
  ["in-memory-guards", "shared-connection"],
  ["in-memory-guards", "shared-connection", "batched-writes"]
]

export const builtInRegistry: Registry = {
  mitigations: builtInMitigations.map((definition) => ({ definition, origin: { kind: "built-in" } })),
  ladder: BUILT_IN_LADDER,
  configPath: null,
  drivers: [],
  backends: []
}

/** The mitigation named `name`, if the registry has it. */
export const registered = (registry: Registry, name: string): Registered | undefined =>
  registry.mitigations.find((m) => m.definition.name === name)

/** The registered names, in order. */
export const namesOf = (registry: Registry): ReadonlyArray<string> => registry.mitigations.map((m) => m.definition.name)

/** `set` in registration order, each name once; the first unknown name as a message. */
export const orderSet = (registry: Registry, set: ReadonlyArray<string>): Either.Either<ReadonlyArray<string>, string> => {
  const unknown = set.find((name) => registered(registry, name) === undefined)
  if (unknown !== undefined) return Either.left(`unknown mitigation '${unknown}' (known: ${namesOf(registry).join(", ")})`)
  return Either.right(namesOf(registry).filter((name) => set.includes(name)))
}

/** The name a set of mitigations goes by in results: "baseline", or the set (in registration order) joined by "+". */
export const mitigationLabel = (set: ReadonlyArray<string>): string => (set.length === 0 ? "baseline" : set.join("+"))

/** Why `set` cannot run as one strategy (a requirement missing, or two mitigations replacing one service); null when it can. */
export const unmetRequirement = (registry: Registry, set: ReadonlyArray<string>): string | null => {
  for (const name of set) {
    const entry = registered(registry, name)?.definition
    if (entry === undefined) return `unknown mitigation '${name}' (known: ${namesOf(registry).join(", ")})`
    for (const r of entry.requires) {
      if (!set.includes(r.mitigation)) return `${name} needs ${r.mitigation} (${r.because})`
    }
    const rival = set.find((other) => other !== name && registered(registry, other)?.definition.replaces === entry.replaces)
    if (rival !== undefined) return `${name} and ${rival} both replace the ${entry.replaces} service`
  }
  return null
}

/**
 * A registry with `extra` mitigations after the current ones and, if given,
 * its own ladder; the one-line problem when they cannot be registered (a
 * name taken, a requirement on an unknown mitigation, a ladder step that
 * cannot run).
 */
export const extend = (
  base: Registry,
  extra: ReadonlyArray<AnyMitigation>,
  origin: Origin,
  ladder: ReadonlyArray<ReadonlyArray<string>> | undefined,
  configPath: string | null
): Either.Either<Registry, string> => {
  const mitigations = [...base.mitigations]
  for (const definition of extra) {
    const taken = registered({ ...base, mitigations }, definition.name)
    if (taken !== undefined) {
      return Either.left(
        taken.origin.kind === "built-in"
          ? `mitigation '${definition.name}' is a built-in's name; choose another`
          : `mitigation '${definition.name}' is registered twice`
      )
    }
    mitigations.push({ definition, origin })
  }
  const next: Registry = { mitigations, ladder: base.ladder, configPath, drivers: base.drivers, backends: base.backends }
  for (const { definition } of mitigations) {
    for (const r of definition.requires) {
      if (registered(next, r.mitigation) === undefined) {
        return Either.left(`mitigation '${definition.name}' requires '${r.mitigation}', which is not registered`)
      }
    }
  }
  if (ladder === undefined) return Either.right(next)
  if (ladder.length === 0) return Either.left("ladder: give at least one step (or leave the ladder out for the built-in one)")
  const steps: Array<ReadonlyArray<string>> = []
  for (const [i, step] of ladder.entries()) {
    if (step.length === 0) return Either.left(`ladder step ${i + 1}: an empty set (the baseline is every step's 'before')`)
    const ordered = orderSet(next, step)
    if (Either.isLeft(ordered)) return Either.left(`ladder step ${i + 1}: ${ordered.left}`)
    const unmet = unmetRequirement(next, ordered.right)
    if (unmet !== null) return Either.left(`ladder step ${i + 1}: ${unmet}`)
    steps.push(ordered.right)
  }
  return Either.right({ ...next, ladder: steps })
}

/** What runs where no mitigation replaces a service: production's layers, and the floor's part for each. */
const baselines: { readonly [S in Service]: (ctx: StrategyContext) => Layer.Layer<ServiceTags[S], StoreError, Driver> } = {
  Connections: ({ dbPath }) => perFile(dbPath),
  Guard: () => readingGuard,
  Writer: () => commitEach
}

const baselineFloor: FloorParts = {
  Connections: { connection: "per-file" },
  Guard: { readBeforeWrite: true },
  Writer: { writer: "file-connection" }
}

/** The first line of what a cause says (a failure's message, a defect's). */
const causeLine = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.squash(cause)
  const text = failure instanceof Error ? failure.message : String(failure)
  return text.split("\n")[0] ?? ""
}

/**
 * A registered mitigation's layer: built-ins as they are; a user's, with
 * whatever it fails or dies with while it is built made a StoreError naming
 * it (an interruption stays one).
 */
const layerOf = <S extends Service>(
  entry: Registered,
  ctx: StrategyContext
): Layer.Layer<ServiceTags[S], StoreError, Driver> => {
  // A built-in's layer fails only with StoreError (its own files' types say so).
  if (entry.origin.kind === "built-in") return entry.definition.layer(ctx) as Layer.Layer<ServiceTags[S], StoreError, Driver>
  // A config's layer() may throw as it makes its layer: built lazily, so that the throw is the layer's failure too.
  const layer = Layer.suspend(() => entry.definition.layer(ctx) as Layer.Layer<ServiceTags[S], unknown, Driver>)
  return Layer.catchAllCause(layer, (cause) =>
    Cause.isInterruptedOnly(cause)
      ? Layer.failCause(cause as Cause.Cause<never>)
      : Layer.fail(new StoreError({ operation: `mitigation ${entry.definition.name}`, detail: causeLine(cause) })))
}

const replacing = (registry: Registry, set: ReadonlyArray<string>, service: Service): Registered | undefined =>
  set.map((name) => registered(registry, name)).find((m) => m?.definition.replaces === service)

/** The strategy of a set of mitigations: for each service, the layer of the mitigation replacing it, or production's. */
export const strategy = (registry: Registry, set: ReadonlyArray<string>, ctx: StrategyContext): StrategyLayer => {
  const layer = <S extends Service>(service: S): Layer.Layer<ServiceTags[S], StoreError, Driver> => {
    const m = replacing(registry, set, service)
    return m === undefined ? baselines[service](ctx) : layerOf<S>(m, ctx)
  }
  return Layer.mergeAll(layer("Connections"), layer("Guard"), layer("Writer"))
}

/** Production's strategy, with nothing replaced. */
export const baseline = (dbPath: string): StrategyLayer =>
  strategy(builtInRegistry, [], { dbPath, batch: { batchSize: 1, failBatch: null }, poolSize: 1 })

/** How the storage floor runs a set's storage work: each service's part, or why it cannot. */
export const floorPlan = (
  registry: Registry,
  set: ReadonlyArray<string>,
  ctx: StrategyContext
): { readonly parts: FloorParts } | { readonly none: string } => {
  const part = <S extends Service>(service: S): FloorParts[S] | { readonly none: string } => {
    const m = replacing(registry, set, service)
    if (m === undefined) return baselineFloor[service]
    const floor = m.definition.floor
    return typeof floor === "function" ? (floor(ctx) as FloorParts[S]) : { none: `${m.definition.name}: ${floor.none}` }
  }
  const parts = { Connections: part("Connections"), Guard: part("Guard"), Writer: part("Writer") }
  for (const service of Services) {
    const p = parts[service]
    if ("none" in p) return { none: p.none }
  }
  return { parts: parts as FloorParts }
}

/** A registered mitigation as the result document records it. */
export interface CatalogEntry {
  readonly name: string
  readonly short: string
  readonly replaces: Service
  readonly requires: ReadonlyArray<string>
  readonly summary: string
  readonly risk: string | null
  /** Null when the floor can run its storage work; else why not. */
  readonly noFloor: string | null
  readonly origin: Origin
}

export const catalogOf = (registry: Registry): ReadonlyArray<CatalogEntry> =>
  registry.mitigations.map(({ definition: d, origin }) => ({
    name: d.name,
    short: d.short,
    replaces: d.replaces,
    requires: d.requires.map((r) => r.mitigation),
    summary: d.summary,
    risk: d.risk,
    noFloor: typeof d.floor === "function" ? null : d.floor.none,
    origin
  }))
