/**
 * A config's mitigations built once before anything runs, each on a
 * database of its own that is removed at once: a layer that fails while it
 * is built is bad input (exit 2, nothing run, nothing written), not a
 * failure halfway through the matrix. The built-ins are not probed.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { temporaryDatabase } from "../backends/sqlite/dbFile.ts"
import type { Driver } from "../store/driver.ts"
import { migrate, withDatabase } from "../store/store.ts"
import { type Registry, strategy } from "./registry.ts"

/** Why a config's mitigation cannot be built (naming it); null when every one can. */
export const probeMitigations = (
  registry: Registry,
  options: { readonly batchSize: number; readonly poolSize: number }
): Effect.Effect<string | null, never, Driver> =>
  Effect.gen(function*() {
    const own = registry.mitigations.filter((m) => m.origin.kind !== "built-in")
    if (own.length === 0) return null
    return yield* Effect.scoped(
      Effect.gen(function*() {
        const dbPath = yield* temporaryDatabase
        yield* withDatabase(dbPath, migrate)
        for (const { definition } of own) {
          // Alone with what it requires, as the smallest set it can run in.
          const set = [...definition.requires.map((r) => r.mitigation), definition.name]
          const ctx = { dbPath, batch: { batchSize: options.batchSize, failBatch: null }, poolSize: options.poolSize }
          const built = yield* Effect.either(Effect.scoped(Layer.build(strategy(registry, set, ctx))))
          if (built._tag === "Left") return `mitigation ${definition.name}: its layer failed while it was built (${built.left.detail})`
        }
        return null
      })
    ).pipe(Effect.catchAll((e) => Effect.succeed(`the mitigations could not be tried: ${e.message}`)))
  })
