/**
 * What the run's process and its worker processes say to each other, over
 * Node's IPC channel (structured clone: Maps and plain objects cross as they
 * are). Errors do not: a class instance arrives as a plain Error, so an
 * actor's typed error crosses as its tag and fields and is made again here.
 */
import type { ActorsPart } from "../actor/experiment.ts"
import type { FileFailure } from "../actor/runner.ts"
import type { LatencyProfile } from "../api/profiles.ts"
import type { ScenarioName } from "../actor/scenario.ts"
import type { ClockMode } from "../clock/apiClock.ts"
import { IllegalTransition, isEvent, isState } from "../lifecycle/fsm.ts"
import type { BatchOptions } from "../mitigations/define.ts"
import type { RunLabels } from "../metrics/recorder.ts"
import type { StoreDriverName } from "../drivers/all.ts"
import { OccConflict, StoreError } from "../store/errors.ts"

/** One worker's share of a trial: its files, its actors, and how to build the run's strategy. */
export interface PartRequest {
  readonly dbPath: string
  readonly paths: ReadonlyArray<string>
  readonly concurrency: number
  readonly profile: LatencyProfile
  readonly seed: number
  readonly retry: { readonly maxAttempts: number; readonly baseSeconds: number }
  readonly scenario: ScenarioName
  readonly clock: ClockMode
  readonly labels: RunLabels
  readonly mitigations: ReadonlyArray<string>
  readonly batch: BatchOptions
  readonly poolSize: number
}

export type ToWorker =
  | {
    readonly kind: "setup"
    readonly driver: StoreDriverName
    /** The run's config file: the worker loads it too, so that its mitigations are registered there. */
    readonly config: string | null
  }
  | { readonly kind: "part"; readonly id: number; readonly request: PartRequest }

/** An error as it crosses: its tag and its fields. */
export interface ErrorData {
  readonly _tag: string
  readonly fields: Readonly<Record<string, unknown>>
}

export type WirePart = Omit<ActorsPart, "failures"> & {
  readonly failures: ReadonlyArray<{ readonly path: string; readonly error: ErrorData }>
}

export type FromWorker =
  | { readonly kind: "ready" }
  | { readonly kind: "done"; readonly id: number; readonly part: WirePart }
  | { readonly kind: "failed"; readonly id: number; readonly error: ErrorData }

/** A typed error's tag and own fields (the `message` getter is the class's, not a field). */
export const errorData = (error: { readonly _tag: string }): ErrorData => ({
  _tag: error._tag,
  fields: Object.fromEntries(Object.entries(error).filter(([key]) => key !== "_tag"))
})

const str = (v: unknown): string => String(v)

/** The store error a worker failed with, made again; any other error becomes one saying what it was. */
export const storeErrorOf = (data: ErrorData): StoreError =>
  data._tag === "StoreError"
    ? new StoreError({
      operation: str(data.fields["operation"]),
      detail: str(data.fields["detail"]),
      ...(data.fields["lockTimeout"] === true ? { lockTimeout: true as const } : {})
    })
    : new StoreError({ operation: "worker", detail: `${data._tag}: ${str(data.fields["message"] ?? JSON.stringify(data.fields))}` })

/** An actor's failure, made again as the class it was (a store error when its fields are not what that class holds). */
const actorError = (data: ErrorData): FileFailure["error"] => {
  const f = data.fields
  if (data._tag === "OccConflict" && isEvent(f["event"]) && isState(f["expectedState"])) {
    return new OccConflict({
      path: str(f["path"]),
      event: f["event"],
      expectedState: f["expectedState"],
      expectedVersion: Number(f["expectedVersion"])
    })
  }
  if (data._tag === "IllegalTransition" && isState(f["state"]) && isEvent(f["event"])) {
    return new IllegalTransition({ state: f["state"], event: f["event"] })
  }
  return storeErrorOf(data)
}

export const encodePart = (part: ActorsPart): WirePart => ({
  ...part,
  failures: part.failures.map((f) => ({ path: f.path, error: errorData(f.error) }))
})

export const decodePart = (wire: WirePart): ActorsPart => ({
  ...wire,
  failures: wire.failures.map((f) => ({ path: f.path, error: actorError(f.error) }))
})
