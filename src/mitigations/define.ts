/**
 * A mitigation as one value: what it is called, the one baseline service it
 * replaces, what it needs beside it, what it changes and risks, the layer
 * that carries it out, and how the storage floor runs the same storage work
 * (or why it has none). The built-ins (`inMemoryGuards.ts`,
 * `sharedConnection.ts`, `batchedWrites.ts`) and a user's config file's are
 * values of this one shape, registered the same way (`registry.ts`).
 */
import type * as Layer from "effect/Layer"
import type { Connections } from "../actor/connections.ts"
import type { Guard } from "../actor/guard.ts"
import type { Writer } from "../actor/writer.ts"
import type { Driver } from "../store/driver.ts"

/** The baseline services a mitigation can replace. */
export const Services = ["Connections", "Guard", "Writer"] as const
export type Service = (typeof Services)[number]

/** Each service's Context tag, by name. */
export interface ServiceTags {
  readonly Connections: Connections
  readonly Guard: Guard
  readonly Writer: Writer
}

/** Options of the built-in batched writer (`--batch-size`, `--fail-batch`). */
export interface BatchOptions {
  /** Commit after this many applied transitions. */
  readonly batchSize: number
  /** Fault injection: make the k-th batch commit (1-based) fail and roll back. */
  readonly failBatch: number | null
}

/** What a mitigation's layer is built from: the run's database and its options. */
export interface StrategyContext {
  /** The database every connection opens: a SQLite file's path, or a Postgres URL. */
  readonly dbPath: string
  readonly batch: BatchOptions
  /** Connections behind a shared connection (`--pool-size`). */
  readonly poolSize: number
}

/**
 * How the storage floor (`floor/floor.ts`) runs a service's part of the
 * storage work, with no Effect and no harness. Each service says its own part:
 * - Connections: a connection per file, or one shared by every file;
 * - Guard: whether a file's stored state is read before each write;
 * - Writer: each transition in its own transaction on the file's connection,
 *   or on a writer connection of its own, committed every `batchSize`
 *   transitions (1: each transition its own transaction there).
 */
export interface FloorParts {
  readonly Connections: { readonly connection: "per-file" | "shared" }
  readonly Guard: { readonly readBeforeWrite: boolean }
  readonly Writer:
    | { readonly writer: "file-connection" }
    | { readonly writer: "own-connection"; readonly batchSize: number }
}

/** A mitigation whose storage work the floor cannot run: its efficiency is reported unavailable, with this reason. */
export interface NoFloor {
  readonly none: string
}

/** A requirement: another mitigation that must be in the same set, and why. */
export interface Requirement {
  readonly mitigation: string
  readonly because: string
}

/** What `defineMitigation` takes. */
export interface MitigationSpec<S extends Service> {
  /** Its name on the command line and in results: lower case, digits and dashes (`single-writer`). */
  readonly name: string
  /** A short name for the answer's one-line ranking (`writer1`). */
  readonly short: string
  /** The baseline service its layer replaces. */
  readonly replaces: S
  /** Mitigations that must be in the same set. */
  readonly requires?: ReadonlyArray<Requirement>
  /** One line: what changes. */
  readonly summary: string
  /** What adopting it risks (said in the summary's recommendations); null when nothing. */
  readonly risk: string | null
  /** The layer that provides the replaced service, built once per trial from the run's context. */
  readonly layer: (ctx: StrategyContext) => Layer.Layer<ServiceTags[S], unknown, Driver>
  /** How the storage floor runs the same storage work, or why it cannot. */
  readonly floor: ((ctx: StrategyContext) => FloorParts[S]) | NoFloor
}

/** A mitigation, checked: the value a config's `mitigations` list holds. */
export interface MitigationDefinition<S extends Service = Service> extends MitigationSpec<S> {
  readonly _tag: "MitigationDefinition"
  readonly requires: ReadonlyArray<Requirement>
}

/** Any mitigation, whichever service it replaces. */
export type AnyMitigation = { readonly [S in Service]: MitigationDefinition<S> }[Service]

/** A mitigation name's shape (as the `--mitigations` flag reads names). */
export const MITIGATION_NAME = /^[a-z][a-z0-9-]{0,39}$/

/** Thrown by `defineMitigation` for a definition that cannot work. */
export class MitigationDefinitionError extends Error {
  override readonly name = "MitigationDefinitionError"
}

const isFunction = (value: unknown): value is (...args: ReadonlyArray<never>) => unknown => typeof value === "function"

/** Why `spec` is not a mitigation; null when it is. */
export const definitionProblem = (spec: unknown): string | null => {
  if (typeof spec !== "object" || spec === null) return "a mitigation must be an object"
  const s = spec as Record<string, unknown>
  const name = s["name"]
  if (typeof name !== "string" || !MITIGATION_NAME.test(name)) {
    return `mitigation name ${JSON.stringify(name)}: use lower case letters, digits and dashes, starting with a letter (at most 40)`
  }
  if (name === "baseline") return "mitigation name 'baseline': that is the name of no mitigation at all"
  if (typeof s["short"] !== "string" || s["short"].trim() === "") return `mitigation ${name}: 'short' must be a non-empty string`
  if (!(Services as ReadonlyArray<unknown>).includes(s["replaces"])) {
    return `mitigation ${name}: 'replaces' is ${JSON.stringify(s["replaces"])}, not one of ${Services.join(", ")}`
  }
  if (typeof s["summary"] !== "string") return `mitigation ${name}: 'summary' must be a string`
  if (s["risk"] !== null && typeof s["risk"] !== "string") return `mitigation ${name}: 'risk' must be a string or null`
  if (!isFunction(s["layer"])) return `mitigation ${name}: 'layer' must be a function of the run's context returning a Layer`
  const floor = s["floor"]
  const noFloor = typeof floor === "object" && floor !== null && typeof (floor as Record<string, unknown>)["none"] === "string"
  if (!isFunction(floor) && !noFloor) {
    return `mitigation ${name}: 'floor' must be a function of the run's context, or { none: "why the floor cannot run it" }`
  }
  const requires = s["requires"]
  if (requires !== undefined) {
    if (!Array.isArray(requires)) return `mitigation ${name}: 'requires' must be a list`
    for (const r of requires as ReadonlyArray<unknown>) {
      const req = typeof r === "object" && r !== null ? (r as Record<string, unknown>) : {}
      if (typeof req["mitigation"] !== "string" || typeof req["because"] !== "string") {
        return `mitigation ${name}: each requirement is { mitigation: "name", because: "why" }`
      }
    }
  }
  return null
}

/**
 * A mitigation as one value. Throws `MitigationDefinitionError` for one that
 * cannot work (a bad name, an unknown service, no layer, no floor).
 */
export const defineMitigation = <S extends Service>(spec: MitigationSpec<S>): MitigationDefinition<S> => {
  const problem = definitionProblem(spec)
  if (problem !== null) throw new MitigationDefinitionError(problem)
  return { ...spec, requires: spec.requires ?? [], _tag: "MitigationDefinition" }
}

/** Whether `value` came from `defineMitigation`. */
export const isMitigationDefinition = (value: unknown): value is AnyMitigation =>
  typeof value === "object" && value !== null && (value as Record<string, unknown>)["_tag"] === "MitigationDefinition" &&
  definitionProblem(value) === null
