/**
 * A backend is one value: a store (its statements and ways), the drivers
 * that reach it, and its target (where a run's database comes from). Each
 * lives in a folder of its own under `backends/`, and `backends/all.ts`
 * lists them: a new store is its folder and one line there.
 */
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { DriverDefinition } from "./defineDriver.ts"
import type { Driver } from "./driver.ts"
import type { StoreShape } from "./service.ts"
import type { Target, TargetError, TargetRequest } from "./target.ts"

export interface Backend<Name extends string = string, DriverName extends string = string> {
  /** What `--store` takes and the results record (`config.store`). */
  readonly name: Name
  /** Its store, its module loaded only when a run uses it. */
  readonly store: () => Promise<StoreShape>
  /** Its drivers, in the order `--driver` lists them. */
  readonly drivers: readonly [DriverDefinition<DriverName>, ...Array<DriverDefinition<DriverName>>]
  /** The driver a run on it has when none is named. */
  readonly defaultDriver: DriverName
  /** Where a run's database comes from on it: the given one, checked and held, or one it makes. */
  readonly target: (request: TargetRequest) => Effect.Effect<Target, TargetError, Scope.Scope | Driver>
}

/** A backend as one value (see `Backend`); its names kept as literal types. */
export const defineBackend = <const Name extends string, const DriverName extends string>(
  backend: Backend<Name, DriverName>
): Backend<Name, DriverName> => backend
