/**
 * Finding and loading a config file: `--config PATH`, else the first of
 * `CONFIG_NAMES` in the working directory. Its default export is checked
 * whole (its mitigations, ladder, profiles and defaults) before anything
 * runs; any problem is one line naming the file (exit 2).
 *
 * A config imports this package by name (`upload-fsm-bench`): under Node
 * that name is resolved to the very modules running now, so that the
 * config's services and helpers are the run's own and not a second copy.
 * A TypeScript config loads through tsx's loader under Node (Deno loads it
 * natively).
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { createRequire } from "node:module"
import { pathToFileURL } from "node:url"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { decodeProfile, type LatencyProfile } from "../api/profiles.ts"
import { type AnyMitigation, definitionProblem, isMitigationDefinition } from "../mitigations/define.ts"
import { builtInRegistry, extend, type Registry } from "../mitigations/registry.ts"
import type { ConfigSpec } from "./define.ts"
import { AllDrivers, backendNamed, Backends, driverNamed } from "../backends/all.ts"
import type { Backend } from "../store/backend.ts"
import { type DriverDefinition, driverProblem } from "../store/defineDriver.ts"
import { checkValues } from "./option.ts"
import { benchOptions, type BenchValues } from "./options.ts"
import { importModule } from "./importer.ts"
import { withDefaultSignals } from "../process/signals.ts"

/** The names a config file is found by in the working directory, in this order. */
export const CONFIG_NAMES = [
  "upload-fsm-bench.config.ts",
  "upload-fsm-bench.config.mts",
  "upload-fsm-bench.config.mjs",
  "upload-fsm-bench.config.js"
] as const

/** A config file that cannot be used: the one line a user sees. */
export class ConfigError extends Data.TaggedError("ConfigError")<{ readonly file: string; readonly detail: string }> {
  override get message(): string {
    return `config ${this.file}: ${this.detail}`
  }
}

/** A config file, loaded and checked. */
export interface LoadedConfig {
  readonly file: string
  readonly sha256: string
  readonly registry: Registry
  readonly profiles: ReadonlyArray<LatencyProfile>
  /** Its `defaults`, checked: values of the bench's options. */
  readonly defaults: Partial<BenchValues>
}

/** The config file in `dir`, if there is one. */
export const findConfig = (dir: string): string | null => {
  for (const name of CONFIG_NAMES) {
    const file = path.join(dir, name)
    if (fs.existsSync(file)) return file
  }
  return null
}

const reason = (cause: unknown): string =>
  (cause instanceof Error ? cause.message : String(cause)).split("\n").find((l) => l.trim() !== "")?.trim() ?? String(cause)

/** This package's public module, as the running code has it (sources or compiled). */
const selfModule = new URL(import.meta.url.endsWith(".ts") ? "../index.ts" : "../index.js", import.meta.url).href

let resolverInstalled = false

/**
 * Under Node, resolve `upload-fsm-bench` (imported by a config) to the
 * modules running now, whichever copy of the package the config's folder
 * would find.
 */
const installResolver = (): void => {
  if (resolverInstalled || "Deno" in globalThis) return
  resolverInstalled = true
  const { register } = require("node:module") as typeof import("node:module")
  const hooks = `export async function resolve(specifier, context, next) {
    if (specifier === "upload-fsm-bench") return next(${JSON.stringify(selfModule)}, context)
    return next(specifier, context)
  }`
  register(`data:text/javascript,${encodeURIComponent(hooks)}`)
}

const require = createRequire(import.meta.url)

let typeScriptLoaded = false

/** tsx's loader, once, for a TypeScript config under Node when nothing loads TypeScript yet. */
const loadTypeScript = (): void => {
  if (typeScriptLoaded) return
  typeScriptLoaded = true
  const tsx = require("tsx/esm/api") as typeof import("tsx/esm/api")
  tsx.register()
}

const importConfig = async (file: string): Promise<unknown> => {
  installResolver()
  const url = pathToFileURL(file).href
  try {
    return await importModule(url)
  } catch (error) {
    const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined
    if (code !== "ERR_UNKNOWN_FILE_EXTENSION" || "Deno" in globalThis) throw error
    loadTypeScript()
    return await importModule(url)
  }
}

/**
 * A `.ts` config in a folder whose package.json does not say `"type":
 * "module"` is read as CommonJS, and its import of this (ES module) package
 * fails with Node's "require() of an ES module in a cycle": say what to do.
 */
const commonJsProblem = (cause: unknown, file: string): string | null => {
  const code = typeof cause === "object" && cause !== null && "code" in cause ? cause.code : undefined
  return file.endsWith(".ts") && (code === "ERR_REQUIRE_CYCLE_MODULE" || /require\(\) ES Module/.test(reason(cause)))
    ? "is read as CommonJS here; a config is an ES module: add \"type\": \"module\" to the package.json of its folder, " +
      "or name it upload-fsm-bench.config.mts"
    : null
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)

/** Why `value` is no backend (a config's `backends` entry), or null when it is one. */
const backendProblem = (value: unknown): string | null => {
  if (!isRecord(value)) return "a backend must come from defineBackend(...)"
  const name = typeof value["name"] === "string" ? value["name"] : null
  if (name === null || !/^[a-z][a-z0-9-]{0,39}$/.test(name)) return `backend ${JSON.stringify(value["name"] ?? null)}: a name is lower case letters, digits and dashes`
  for (const key of ["store", "target"] as const) if (typeof value[key] !== "function") return `backend '${name}': '${key}' must be a function`
  const drivers = value["drivers"]
  if (!Array.isArray(drivers) || drivers.length === 0) return `backend '${name}': 'drivers' must list at least one defineDriver(...) value`
  if (typeof value["defaultDriver"] !== "string" || !drivers.some((d) => isRecord(d) && d["name"] === value["defaultDriver"])) {
    return `backend '${name}': 'defaultDriver' must name one of its drivers`
  }
  return null
}

/** A config's backends: each a `defineBackend` value, named apart from the built-ins and each other. */
const checkBackends = (backends: unknown): Either.Either<ReadonlyArray<Backend>, string> => {
  if (!Array.isArray(backends)) return Either.left("'backends' must be a list of defineBackend(...) values")
  const checked: Array<Backend> = []
  for (const b of backends as ReadonlyArray<unknown>) {
    const problem = backendProblem(b)
    if (problem !== null) return Either.left(problem)
    const backend = b as Backend
    if (backendNamed(backend.name, checked) !== undefined) {
      return Either.left(`backend '${backend.name}' is ${Backends.some((x) => x.name === backend.name) ? "a built-in's name; choose another" : "defined twice"}`)
    }
    checked.push(backend)
  }
  return Either.right(checked)
}

/**
 * A config's drivers (its own, and its backends'): each a `defineDriver`
 * value, named apart from the built-ins and each other, on a known store.
 */
const checkDrivers = (drivers: unknown, backends: ReadonlyArray<Backend>): Either.Either<ReadonlyArray<DriverDefinition>, string> => {
  if (!Array.isArray(drivers)) return Either.left("'drivers' must be a list of defineDriver(...) values")
  const checked: Array<DriverDefinition> = []
  for (const d of [...(drivers as ReadonlyArray<unknown>), ...backends.flatMap((b): ReadonlyArray<unknown> => b.drivers)]) {
    const problem = driverProblem(d)
    if (problem !== null) return Either.left(problem)
    const driver = d as DriverDefinition
    if (driverNamed(driver.name, checked) !== undefined) {
      return Either.left(`driver '${driver.name}' is ${AllDrivers.some((b) => b.name === driver.name) ? "a built-in's name; choose another" : "defined twice"}`)
    }
    const stores = [...Backends, ...backends].map((b) => b.name)
    if (!stores.includes(driver.store)) return Either.left(`driver '${driver.name}': store '${driver.store}' is not one of ${stores.join(", ")}`)
    checked.push(driver)
  }
  // The backends' own drivers are theirs: only the config's `drivers` are kept apart.
  return Either.right(checked.slice(0, (drivers as ReadonlyArray<unknown>).length))
}

/** A config's `defaults`, each checked by its option (only the options a config file may set). */
const checkDefaults = (defaults: Record<string, unknown>) =>
  checkValues(benchOptions, defaults, (o) => o.scope === "file", "defaults", "bench flag")

/** A config's default export, checked against the registry it extends; its problem otherwise. */
export const checkConfig = (
  exported: unknown,
  origin: { readonly file: string; readonly sha256: string } | null,
  base: Registry = builtInRegistry
): Either.Either<Omit<LoadedConfig, "file" | "sha256">, string> => {
  if (!isRecord(exported)) return Either.left("its default export is not a config (export default defineConfig({ ... }))")
  const known = ["mitigations", "ladder", "profiles", "defaults", "drivers", "backends", "_tag"]
  const stray = Object.keys(exported).find((k) => !known.includes(k))
  if (stray !== undefined) return Either.left(`'${stray}' is not a config field (fields: mitigations, ladder, profiles, defaults, drivers, backends)`)
  const spec = exported as ConfigSpec
  const mitigations = exported["mitigations"] ?? []
  if (!Array.isArray(mitigations)) return Either.left("'mitigations' must be a list of defineMitigation(...) values")
  const definitions: Array<AnyMitigation> = []
  for (const m of mitigations as ReadonlyArray<unknown>) {
    if (!isMitigationDefinition(m)) {
      return Either.left(definitionProblem(m) ?? "a mitigation must come from defineMitigation(...)")
    }
    definitions.push(m)
  }
  const ladder = exported["ladder"]
  if (ladder !== undefined && !(Array.isArray(ladder) && ladder.every((step) => Array.isArray(step) && step.every((n) => typeof n === "string")))) {
    return Either.left("'ladder' must be a list of steps, each a list of mitigation names")
  }
  const profilesIn = exported["profiles"]
  if (profilesIn !== undefined && !Array.isArray(profilesIn)) return Either.left("'profiles' must be a list of latency profiles")
  const profiles: Array<LatencyProfile> = []
  for (const [i, p] of ((profilesIn ?? []) as ReadonlyArray<unknown>).entries()) {
    const decoded = decodeProfile(`profiles[${i}]`, p)
    if (Either.isLeft(decoded)) return Either.left(decoded.left)
    profiles.push(decoded.right)
  }
  const backends = checkBackends(exported["backends"] ?? [])
  if (Either.isLeft(backends)) return Either.left(backends.left)
  const drivers = checkDrivers(exported["drivers"] ?? [], backends.right)
  if (Either.isLeft(drivers)) return Either.left(drivers.left)
  const defaults = exported["defaults"] ?? {}
  if (!isRecord(defaults)) return Either.left("'defaults' must be an object of flag values")
  const checked = checkDefaults(defaults)
  if (Either.isLeft(checked)) return Either.left(checked.left)
  const registered = extend(
    base,
    definitions,
    origin === null ? { kind: "program" } : { kind: "config", path: origin.file, sha256: origin.sha256 },
    spec.ladder,
    origin?.file ?? null
  )
  return Either.map(registered, (registry) => ({
    registry: { ...registry, drivers: drivers.right, backends: backends.right },
    profiles,
    defaults: checked.right
  }))
}

/** The config file `file`, loaded and checked. */
export const loadConfig = (file: string): Effect.Effect<LoadedConfig, ConfigError> =>
  Effect.gen(function*() {
    const absolute = path.resolve(file)
    const fail = (detail: string) => new ConfigError({ file, detail })
    const body = yield* Effect.try({ try: () => fs.readFileSync(absolute), catch: (cause) => fail(`cannot read (${reason(cause)})`) })
    const sha256 = crypto.createHash("sha256").update(body).digest("hex")
    const module = yield* Effect.tryPromise({
      try: () => withDefaultSignals(() => importConfig(absolute)),
      catch: (cause) => fail(commonJsProblem(cause, absolute) ?? `does not load: ${reason(cause)}`)
    })
    const exported = isRecord(module) ? module["default"] : undefined
    if (exported === undefined) return yield* fail("has no default export (export default defineConfig({ ... }))")
    const checked = checkConfig(exported, { file: absolute, sha256 })
    if (Either.isLeft(checked)) return yield* fail(checked.left)
    return { file: absolute, sha256, ...checked.right }
  })
