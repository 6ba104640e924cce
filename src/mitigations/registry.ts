/**
 * The mitigation registry: for each mitigation of the catalog, the layer
 * that replaces its baseline service; and the strategy of a set, composed
 * from them. A new mitigation: its layer in a file of this folder, its entry
 * in `catalog.ts` (name, service, requirements, risk) and its layer below.
 */
import * as Layer from "effect/Layer"
import { type Connections, perFile } from "../actor/connections.ts"
import { type Guard, readingGuard } from "../actor/guard.ts"
import type { StrategyLayer } from "../actor/strategy.ts"
import { commitEach, type Writer } from "../actor/writer.ts"
import type { SqliteDriver } from "../sqlite/driver.ts"
import type { StoreError } from "../store/errors.ts"
import { batched, type BatchOptions } from "./batchedWrites.ts"
import { Catalog, type Mitigation, Mitigations, type Service } from "./catalog.ts"
import { inMemoryGuard } from "./inMemoryGuards.ts"
import { shared } from "./sharedConnection.ts"

/** What a layer may need to be built: the run's database and the batching options. */
export interface StrategyContext {
  readonly dbPath: string
  readonly batch: BatchOptions
  /** Connections behind the shared-connection mitigation (`--pool-size`; 1 when absent). */
  readonly poolSize?: number
}

/** Each service with the type of layer that provides it. */
interface ServiceLayers {
  readonly Connections: (ctx: StrategyContext) => Layer.Layer<Connections, StoreError, SqliteDriver>
  readonly Guard: (ctx: StrategyContext) => Layer.Layer<Guard, StoreError, SqliteDriver>
  readonly Writer: (ctx: StrategyContext) => Layer.Layer<Writer, StoreError, SqliteDriver>
}

/** Production's layers: what runs where no mitigation replaces a service. */
const baselines: ServiceLayers = {
  Connections: ({ dbPath }) => perFile(dbPath),
  Guard: () => readingGuard,
  Writer: () => commitEach
}

/** Each mitigation's layer, typed by the service the catalog says it replaces. */
export const Registry: { readonly [M in Mitigation]: ServiceLayers[(typeof Catalog)[M]["replaces"]] } = {
  "in-memory-guards": () => inMemoryGuard,
  "shared-connection": ({ dbPath, poolSize }) => shared(dbPath, poolSize ?? 1),
  "batched-writes": ({ dbPath, batch }) => batched(dbPath, batch)
}

/** The layer for `service` under `set`: its mitigation's, or production's. */
const layerFor = <S extends Service>(set: ReadonlyArray<Mitigation>, service: S): ServiceLayers[S] => {
  const m = Mitigations.find((name) => set.includes(name) && Catalog[name].replaces === service)
  // The Registry's type ties each mitigation's layer to its catalog service, which `find` cannot narrow to.
  return m === undefined ? baselines[service] : (Registry[m] as ServiceLayers[S])
}

/** The strategy of a set of mitigations: for each service, the layer of the mitigation replacing it, or production's. */
export const strategy = (set: ReadonlyArray<Mitigation>, ctx: StrategyContext): StrategyLayer =>
  Layer.mergeAll(layerFor(set, "Connections")(ctx), layerFor(set, "Guard")(ctx), layerFor(set, "Writer")(ctx))

/** Production's strategy, with nothing replaced. */
export const baseline = (dbPath: string): StrategyLayer => strategy([], { dbPath, batch: { batchSize: 1, failBatch: null } })
