/**
 * A worker process of `--workers` (started by `pool.ts`, never by hand): it
 * builds the run's driver once, says it is ready, then runs each share of a
 * trial it is sent (`runActors`, the same code the run's own process runs)
 * and sends back what it measured. It exits when the run closes its channel,
 * or dies.
 */
import process from "node:process"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { runActors } from "../actor/experiment.ts"
import { boundHeapGrowth } from "../metrics/heapGrowth.ts"
import { makeRecorder } from "../metrics/recorder.ts"
import { loadConfig } from "../config/load.ts"
import { builtInRegistry, type Registry, strategy } from "../mitigations/registry.ts"
import { Driver } from "../drivers/driver.ts"
import { driverLayer } from "../drivers/all.ts"
import { storeError } from "../store/transaction.ts"
import { encodePart, errorData, type FromWorker, type PartRequest, type ToWorker } from "./protocol.ts"

const send = (message: FromWorker) => process.send?.(message)

let runtime: ManagedRuntime.ManagedRuntime<Driver, unknown> | null = null
let registry: Registry = builtInRegistry

const part = (request: PartRequest) =>
  Effect.scoped(
    Effect.gen(function*() {
      const driver = yield* Driver
      const observer = yield* driver.open(request.dbPath).pipe(Effect.mapError(storeError("open observer connection")))
      const layer = strategy(registry, request.mitigations, { dbPath: request.dbPath, batch: request.batch, poolSize: request.poolSize })
      return yield* runActors(request, layer, request.paths, makeRecorder(request.labels), observer)
    })
  )

boundHeapGrowth()

process.on("message", (message: ToWorker) => {
  if (message.kind === "setup") {
    runtime = ManagedRuntime.make(driverLayer(message.driver))
    const config = message.config
    runtime.runPromise(Driver).then(
      () => (config === null ? undefined : Effect.runPromise(loadConfig(config)).then((loaded) => void (registry = loaded.registry)))
    ).then(
      () => send({ kind: "ready" }),
      (error: unknown) => {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
        process.exit(1)
      }
    )
    return
  }
  const id = message.id
  if (runtime === null) return send({ kind: "failed", id, error: { _tag: "StoreError", fields: { operation: "worker", detail: "not set up" } } })
  runtime.runPromise(Effect.either(part(message.request))).then(
    (result) =>
      send(
        result._tag === "Right"
          ? { kind: "done", id, part: encodePart(result.right) }
          : { kind: "failed", id, error: errorData(result.left) }
      ),
    (defect: unknown) =>
      send({ kind: "failed", id, error: { _tag: "StoreError", fields: { operation: "worker", detail: String(defect) } } })
  )
})

// The run closed the channel (its end, an interrupt) or died: nothing more will come, and a share still
// running is no longer wanted. Exit at once: the store sees the connections close (SQLite rolls an open
// transaction back, Postgres aborts it), as after any process's death.
process.on("disconnect", () => process.exit(0))
