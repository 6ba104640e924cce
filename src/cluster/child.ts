/**
 * A local runner's process (`--workers N`; started by `local.ts`, never by
 * hand): told its address, the cluster's storage, its driver and the run's
 * config file over its IPC channel, it loads the config (its mitigations
 * registered here too), starts serving as a runner, and says it is ready. It
 * exits when the run closes its channel, or dies.
 */
import process from "node:process"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { boundHeapGrowth } from "../metrics/heapGrowth.ts"
import { loadConfig } from "../config/load.ts"
import { builtInRegistry } from "../mitigations/registry.ts"
import { driverLayer, driverNamed, ownDrivers } from "../backends/all.ts"
import { serve } from "./runner.ts"
import type { LocalSetup } from "./local.ts"
import { asksToWatch, startWatching } from "../telemetry/watch.ts"

boundHeapGrowth()

/** How long an exporting runner takes, at most, to send what it holds before it exits (the run waits 2 s, then kills it). */
const FLUSH_MS = 1_500

const fail = (error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
}

/** How the runner ends when the run closes its channel: at once, or (when it exports) its scope closed first. */
let end = (): void => process.exit(0)

process.once("message", (setup: LocalSetup) => {
  const main = Effect.gen(function*() {
    const registry = setup.config === null ? builtInRegistry : (yield* loadConfig(setup.config)).registry
    // Watched when the run is: the exporters load only then.
    const watched = asksToWatch(setup.watch)
      ? yield* startWatching(setup.watch, { "upload_fsm.runner": `${setup.host}:${setup.port}` })
      : undefined
    yield* serve({ host: setup.host, port: setup.port, storage: setup.storage, registry, watched }).pipe(
      Effect.provide(driverLayer(driverNamed(setup.driver, ownDrivers(registry)) ?? setup.driver, "--driver", registry.backends))
    )
    process.send?.("ready")
    return yield* Effect.never
  })
  const fiber = Effect.runFork(Effect.scoped(main))
  fiber.addObserver((exit) => {
    if (Exit.isFailure(exit) && !Exit.isInterrupted(exit)) fail(Cause.squash(exit.cause))
  })
  // An exporting runner sends what its exporters still hold (its last files' spans) as its scope closes, within
  // the time the run gives it before it kills it.
  if (asksToWatch(setup.watch)) {
    end = () => {
      setTimeout(() => process.exit(0), FLUSH_MS).unref()
      fiber.unsafeInterruptAsFork(fiber.id())
      fiber.addObserver(() => process.exit(0))
    }
  }
})

// The run closed the channel (its end, an interrupt) or died: exit (at once, unless exports are to be sent). The
// store sees the connections close (SQLite rolls an open transaction back, Postgres aborts it), as after any
// process's death.
process.on("disconnect", () => end())
