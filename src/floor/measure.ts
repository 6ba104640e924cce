/**
 * The storage floor of a configuration, measured: the database reset to the
 * run's fresh files (as every trial starts), then the raw loop of
 * `floor.ts` timed, several times; the median is the floor.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type { Event } from "../lifecycle/fsm.ts"
import { median } from "../metrics/bootstrap.ts"
import { round } from "../metrics/stats.ts"
import type { FloorParts } from "../mitigations/define.ts"
import type { Floor } from "../results/schema.ts"
import { Driver } from "../store/driver.ts"
import type { StoreError } from "../store/errors.ts"
import { seedFiles, resetLog } from "../store/store.ts"
import { storeError } from "../store/transaction.ts"
import { runFloor } from "./floor.ts"

/** The floor's loop stopped on something a run would have reported (a conflict, a failed statement). */
class FloorFailed extends Data.TaggedError("FloorFailed")<{ readonly detail: string }> {}

/** Runs of the loop per floor: it is cheap next to a configuration's trials, and its median steadies it. */
export const FLOOR_RUNS = 3

export interface FloorSpec {
  readonly dbPath: string
  readonly files: number
  readonly seed: number
  /** The transitions each file committed in the trial replayed, by path (a file absent committed none). */
  readonly replay: ReadonlyMap<string, ReadonlyArray<Event>>
  /** How the configuration's strategy does its storage work (`mitigations/registry.ts`, `floorPlan`). */
  readonly parts: FloorParts
  readonly runs?: number
  /** Files in flight at once (`floor.ts`): 1 when absent, the floor a run reports. */
  readonly concurrency?: number
}

/** A floor measured, or why there is none. */
export type FloorOutcome = { readonly floor: Floor; readonly unavailable: null } | { readonly floor: null; readonly unavailable: string }

/** The floor, or why not (with a warning in the log) if its loop met what a run would have reported. */
export const measureFloor = (spec: FloorSpec): Effect.Effect<FloorOutcome, StoreError, Driver> =>
  Effect.gen(function*() {
    const driver = yield* Driver
    const once = Effect.scoped(
      Effect.gen(function*() {
        const observer = yield* driver.open(spec.dbPath).pipe(Effect.mapError(storeError("open observer connection")))
        const paths = yield* seedFiles(observer, { files: spec.files, seed: spec.seed })
        yield* resetLog(observer)
        const work = {
          dbPath: spec.dbPath,
          files: paths.map((path) => ({ path, events: spec.replay.get(path) ?? [] })),
          sharedConnection: spec.parts.Connections.connection === "shared",
          guardReads: spec.parts.Guard.readBeforeWrite,
          batchSize: spec.parts.Writer.writer === "own-connection" ? spec.parts.Writer.batchSize : null,
          concurrency: spec.concurrency ?? 1
        }
        const ms = yield* Effect.clockWith((clock) =>
          Effect.tryPromise({
            try: (signal) => runFloor(driver, work, clock, signal),
            catch: (cause) => new FloorFailed({ detail: cause instanceof Error ? cause.message : String(cause) })
          })
        )
        return round(ms / 1000, 6)
      })
    )
    let transitions = 0
    for (const events of spec.replay.values()) transitions += events.length
    return yield* Effect.map(
      Effect.replicateEffect(once, Math.max(1, spec.runs ?? FLOOR_RUNS)),
      ([first = 0, ...rest]): FloorOutcome => ({
        floor: { elapsedSeconds: round(median([first, ...rest]), 6), runs: [first, ...rest], transitions },
        unavailable: null
      })
    ).pipe(
      Effect.catchTag("FloorFailed", (e) =>
        Effect.as(Effect.logWarning(`storage floor not measured: ${e.detail}`), {
          floor: null,
          unavailable: `the floor's loop failed: ${e.detail}`
        }))
    )
  })

