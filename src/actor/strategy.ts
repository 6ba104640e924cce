/**
 * A strategy is the set of swappable services an actor runs with. The
 * baseline is production's access pattern; a mitigation replaces exactly one
 * of these layers and nothing else.
 */
import { Effect, Layer } from "effect"
import type { SqliteDriver } from "../sqlite/driver.ts"
import { Connections, perFile } from "./connections.ts"
import { Guard, readingGuard } from "./guard.ts"
import { commitEach, Writer } from "./writer.ts"

export type StrategyLayer = Layer.Layer<Connections | Guard | Writer, never, SqliteDriver>

export const baseline = (dbPath: string): StrategyLayer => Layer.mergeAll(perFile(dbPath), readingGuard, commitEach)

export interface StrategyNames {
  readonly connections: string
  readonly guard: string
  readonly writer: string
}

/** The names of the strategy's services, as recorded in each run's result. */
export const strategyNames: Effect.Effect<StrategyNames, never, Connections | Guard | Writer> = Effect.all({
  connections: Effect.map(Connections, (c) => c.name),
  guard: Effect.map(Guard, (g) => g.name),
  writer: Effect.map(Writer, (w) => w.name)
})
