/**
 * A driver is one value: its name, the store it runs, what its figures stand
 * for, whether its connections can contend for the store's write lock, what
 * it needs to load, and its layer, whose module is loaded only when the
 * driver is chosen (a run loads one driver, not five). Every driver is
 * listed in `all.ts`; its implementation is a module in this folder.
 */
import type * as Layer from "effect/Layer"
import type { StoreName } from "../store/service.ts"
import type { Store } from "../store/service.ts"
import type { Driver, DriverUnavailable } from "./driver.ts"

export interface DriverDefinition<Name extends string = string> {
  /** What `--driver` takes and the results record (`config.driver`). */
  readonly name: Name
  /** The store its connections reach. */
  readonly store: StoreName
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

/** A driver as one value (see `DriverDefinition`); its name kept as a literal type. */
export const defineDriver = <const Name extends string>(definition: DriverDefinition<Name>): DriverDefinition<Name> => definition
