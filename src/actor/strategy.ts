/**
 * A strategy is the set of swappable services an actor runs with:
 * connections, guard and writer. The baseline layers are production's
 * (here, in `actor/`); each mitigation replaces exactly one of them
 * (`mitigations/registry.ts` composes a strategy from a set).
 */
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type { StrategyNames } from "../results/schema.ts"
import type { Driver } from "../store/driver.ts"
import type { StoreError } from "../store/errors.ts"
import { Connections } from "./connections.ts"
import { Guard } from "./guard.ts"
import { Writer } from "./writer.ts"

export type StrategyLayer = Layer.Layer<Connections | Guard | Writer, StoreError, Driver>

/** The names of the strategy's services, as recorded in each run's result. */
export const strategyNames: Effect.Effect<StrategyNames, never, Connections | Guard | Writer> = Effect.all({
  connections: Effect.map(Connections, (c) => c.name),
  guard: Effect.map(Guard, (g) => g.name),
  writer: Effect.map(Writer, (w) => w.name)
})
