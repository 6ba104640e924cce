/**
 * The stores by name, each one layer of the `Store` service, its module
 * loaded only when the run uses it. A new store is its module (statements
 * and ways, `StoreShape`) and a line below.
 */
import type * as Layer from "effect/Layer"
import { type Store, storeLayer as layerOf, type StoreName } from "./service.ts"

const load: { readonly [S in StoreName]: () => Promise<Layer.Layer<Store>> } = {
  sqlite: async () => layerOf((await import("../sqlite/store.ts")).sqliteStore),
  postgres: async () => layerOf((await import("../postgres/store.ts")).postgresStore)
}

/** The store called `name`, as its layer. */
export const storeLayer = (name: StoreName): Promise<Layer.Layer<Store>> => load[name]()
