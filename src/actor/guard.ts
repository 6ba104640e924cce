/**
 * Guard: the check before each write that the stored row is where the FSM
 * believes it is. The baseline reads state and version from the database
 * before every write, as production's transition helpers did; a mismatch is an
 * OccConflict found before any write is attempted.
 * (Mitigation 1 trusts the actor's FSM instead: `mitigations/inMemoryGuards.ts`.)
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { Event, Machine } from "../lifecycle/fsm.ts"
import { OccConflict, type StoreError } from "../store/errors.ts"
import { readStep } from "../store/lanes.ts"
import { Driver } from "../store/driver.ts"
import type { LeaseShape } from "./connections.ts"

export interface GuardTiming {
  readonly queueWaitMs: number
  readonly guardMs: number
}

export interface GuardShape {
  readonly name: string
  /** `lease`: the actor's, for a guard that reads on the actor's connection. */
  readonly check: (
    lease: LeaseShape,
    path: string,
    machine: Machine,
    event: Event
  ) => Effect.Effect<GuardTiming, OccConflict | StoreError>
}

export class Guard extends Context.Tag("upload-fsm-bench/Guard")<Guard, GuardShape>() {}

export const readingGuard: Layer.Layer<Guard, never, Driver> = Layer.effect(
  Guard,
  Effect.map(Driver, ({ store: { statements } }) => ({
    name: "db-read",
    check: (lease, path, machine, event) =>
      Effect.flatMap(lease.step(readStep(statements, path)), ({ queueWaitMs, value: [guardMs, stored] }) =>
        stored.state === machine.state && stored.version === machine.version
          ? Effect.succeed({ queueWaitMs, guardMs })
          : Effect.fail(
            new OccConflict({ path, event, expectedState: machine.state, expectedVersion: machine.version })
          ))
  }))
)
