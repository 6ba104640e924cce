/**
 * A strategy is the set of swappable services an actor runs with. The
 * baseline is production's access pattern; each mitigation replaces exactly
 * one of its layers, and a set of mitigations replaces one layer each.
 */
import { Effect, Layer } from "effect"
import type { SqliteDriver } from "../sqlite/driver.ts"
import type { StoreError } from "../store/errors.ts"
import { Connections, perFile, shared } from "./connections.ts"
import { Guard, inMemoryGuard, readingGuard } from "./guard.ts"
import { batched, type BatchOptions, commitEach, Writer } from "./writer.ts"

export type StrategyLayer = Layer.Layer<Connections | Guard | Writer, StoreError, SqliteDriver>

/** The mitigations, in the seed's order: cheapest first. */
export const Mitigations = ["in-memory-guards", "shared-connection", "batched-writes"] as const
export type Mitigation = (typeof Mitigations)[number]

/** The seed's ladder: each step includes the ones before it. */
export const LADDER: ReadonlyArray<ReadonlyArray<Mitigation>> = Mitigations.map((_, i) => Mitigations.slice(0, i + 1))

export const isMitigation = (s: string): s is Mitigation => (Mitigations as ReadonlyArray<string>).includes(s)

/** The name a set of mitigations goes by in results: "baseline", or the set in ladder order joined by "+". */
export const mitigationLabel = (set: ReadonlyArray<Mitigation>): string =>
  set.length === 0 ? "baseline" : Mitigations.filter((m) => set.includes(m)).join("+")

export const strategy = (dbPath: string, set: ReadonlyArray<Mitigation>, batch: BatchOptions): StrategyLayer =>
  Layer.mergeAll(
    set.includes("shared-connection") ? shared(dbPath) : perFile(dbPath),
    set.includes("in-memory-guards") ? inMemoryGuard : readingGuard,
    set.includes("batched-writes") ? batched(dbPath, batch) : commitEach
  )

export const baseline = (dbPath: string): StrategyLayer => strategy(dbPath, [], { batchSize: 1, failBatch: null })

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
