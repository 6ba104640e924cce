/**
 * A local runner's process (`--workers N`; started by `local.ts`, never by
 * hand): told its address, the cluster's storage, its driver and the run's
 * config file over its IPC channel, it loads the config (its mitigations
 * registered here too), starts serving as a runner, and says it is ready. It
 * exits when the run closes its channel, or dies.
 */
import process from "node:process"
import * as Effect from "effect/Effect"
import { boundHeapGrowth } from "../metrics/heapGrowth.ts"
import { loadConfig } from "../config/load.ts"
import { builtInRegistry } from "../mitigations/registry.ts"
import { driverLayer } from "../drivers/all.ts"
import { serve } from "./runner.ts"
import type { LocalSetup } from "./local.ts"

boundHeapGrowth()

const fail = (error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
}

process.once("message", (setup: LocalSetup) => {
  const main = Effect.gen(function*() {
    const registry = setup.config === null ? builtInRegistry : (yield* loadConfig(setup.config)).registry
    yield* serve({ host: setup.host, port: setup.port, storage: setup.storage, registry }).pipe(Effect.provide(driverLayer(setup.driver)))
    process.send?.("ready")
    return yield* Effect.never
  })
  Effect.runPromise(Effect.scoped(main)).catch(fail)
})

// The run closed the channel (its end, an interrupt) or died: exit at once. The store sees the connections
// close (SQLite rolls an open transaction back, Postgres aborts it), as after any process's death.
process.on("disconnect", () => process.exit(0))
