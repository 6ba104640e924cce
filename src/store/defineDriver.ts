/**
 * A driver is one value: its name, the store it runs, what its figures stand
 * for, whether its connections can contend for the store's write lock, what
 * it needs to load, and its layer, whose module is loaded only when the
 * driver is chosen (a run loads one driver, not five). Every driver is
 * listed in `all.ts`; its implementation is a module in this folder.
 */
import type * as Layer from "effect/Layer"
import type { Store } from "./service.ts"
import type { Driver, DriverUnavailable } from "./driver.ts"

export interface DriverDefinition<Name extends string = string> {
  /** What `--driver` takes and the results record (`config.driver`). */
  readonly name: Name
  /** The store its connections reach: a backend's name (`sqlite`, `postgres`). */
  readonly store: string
  /**
   * Whether two connections of one process can contend for the store's
   * write lock: a connection on a thread of its own (or a server's) can; an
   * inline one finishes its transaction in one synchronous step, so only
   * connections in other processes (`--workers`) wait for it.
   */
  readonly contends: boolean
  /** What its figures stand for, a few words (the answer's driver line). */
  readonly summary: string
  /** What it needs to load, in words (its `--help` line, and why it is refused). */
  readonly needs: string
  /**
   * The most actors it runs at once, refused beyond with `--concurrency N:
   * {who} at most {limit} ({why})`; null when it has no limit of its own.
   */
  readonly maxConcurrency: { readonly limit: number; readonly who: string; readonly why: string } | null
  /** Why it cannot run in this runtime, or null: asked before the run, so that a bad choice is refused up front (exit 2). */
  readonly unavailable: () => Promise<string | null>
  /** Its layer over the store (`Store`), its module imported only now. */
  readonly load: () => Promise<Layer.Layer<Driver, DriverUnavailable, Store>>
}

/** A driver's name: what `--driver` takes (lower case, digits and dashes). */
export const DRIVER_NAME = /^[a-z][a-z0-9-]{0,39}$/

/**
 * A driver as one value (see `DriverDefinition`); its name kept as a literal
 * type. A config file's drivers (`defineConfig({ drivers })`) join the
 * built-ins: `--driver` (or the config's `defaults.driver`) then takes them.
 */
export const defineDriver = <const Name extends string>(definition: DriverDefinition<Name>): DriverDefinition<Name> => definition

/** Why `value` is no driver definition (a config's `drivers` entry), or null when it is one. */
export const driverProblem = (value: unknown): string | null => {
  if (typeof value !== "object" || value === null) return "a driver must come from defineDriver(...)"
  const d = value as Record<string, unknown>
  const name = typeof d["name"] === "string" ? d["name"] : null
  if (name === null || !DRIVER_NAME.test(name)) return `driver ${JSON.stringify(d["name"] ?? null)}: a name is lower case letters, digits and dashes`
  for (const key of ["store", "summary", "needs"] as const) {
    if (typeof d[key] !== "string") return `driver '${name}': '${key}' must be a string`
  }
  if (typeof d["contends"] !== "boolean") return `driver '${name}': 'contends' must be true or false`
  for (const key of ["unavailable", "load"] as const) {
    if (typeof d[key] !== "function") return `driver '${name}': '${key}' must be a function`
  }
  const cap = d["maxConcurrency"]
  if (cap !== null && (typeof cap !== "object" || typeof (cap as Record<string, unknown>)["limit"] !== "number")) {
    return `driver '${name}': 'maxConcurrency' must be null or { limit, who, why }`
  }
  return null
}
