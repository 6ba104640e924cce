/**
 * One file's actor: hydrate its FSM from the store, then drive the file to
 * `indexed` from wherever it stands: untracked → start_upload; uploading →
 * upload call, then complete_upload (or fail_upload if the call failed);
 * processing → import call, then complete_processing (or fail_processing);
 * failed → the retry policy's backoff, then retry, unless the file has used
 * all its upload attempts, where it stays failed. Each step dispatches the
 * event, passes the guard and persists the transition. A fresh file on the
 * happy path takes 3 transitions and 2 API calls; a file re-hydrated after a
 * lost write resumes where the database says it is, redoing the API call its
 * state implies.
 * Every moment of its life is charged to one segment (see
 * `metrics/segments.ts`).
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Context from "effect/Context"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as Tracer from "effect/Tracer"
import { dispatch, type Event, hydrate, type Machine } from "../lifecycle/fsm.ts"
import { emptyTrail } from "../lifecycle/trail.ts"
import { type ApiFailure, UploadApi } from "../api/uploadApi.ts"
import { ApiClock } from "../clock/apiClock.ts"
import { RetryPolicy } from "./retry.ts"
import { Scenario } from "./scenario.ts"
import { StoreError } from "../store/errors.ts"
import { readStep } from "../store/lanes.ts"
import { transitionWrite, type TransitionValues } from "../store/store.ts"
import { completeSample, emptyMeasured, type FileSample, type Measured } from "../metrics/segments.ts"
import { nanosToMs, timed } from "../metrics/timing.ts"
import { SLOT_ATTRIBUTE, Tracing } from "../metrics/trace.ts"
import { Connections, type LeaseShape } from "./connections.ts"
import { Guard } from "./guard.ts"
import { Writer } from "./writer.ts"
import { Driver } from "../store/driver.ts"
import type { ActorError, FileOutcome } from "./part.ts"

export type { ActorError, FileOutcome }

/**
 * What an actor gives back: the file's outcome, which the run keeps, and its
 * sample, which the runner records (into columns) and lets go.
 */
export interface FileRun {
  readonly outcome: FileOutcome
  readonly sample: FileSample
}


/** What every file's actor needs besides its lease: the run's services, resolved once per batch. */
export type ActorServices = Connections | Guard | Writer | UploadApi | RetryPolicy | ApiClock | Scenario | Driver

/**
 * The actor of each file of a batch: `makeActor` resolves the run's services
 * and clock once (they are the same for every file), and gives the function
 * that runs one file's lifecycle. Per file, each step is one short chain of
 * effects (the guard, then the write), its bookkeeping done in plain code
 * between them: the harness's own cost per file is what `overhead` measures
 * against the storage floor.
 */
export const makeActor: Effect.Effect<
  (path: string, slot?: number) => Effect.Effect<FileRun, ActorError>,
  never,
  ActorServices
> = Effect.gen(function*() {
  const connections = yield* Connections
  const guard = yield* Guard
  const writer = yield* Writer
  const api = yield* UploadApi
  const retry = yield* RetryPolicy
  const apiClock = yield* ApiClock
  const scenario = yield* Scenario
  const tracing = (yield* Tracing).enabled
  const tracer = yield* Effect.tracer
  const { statements } = (yield* Driver).store
  // The run's clock (under the time warp, the warp's): every timing and timestamp of an actor.
  const clock = yield* Effect.clock
  const msSince = (start: bigint) => nanosToMs(clock.unsafeCurrentTimeNanos() - start)
  const run = (path: string, fileSpan: Tracer.Span | null) =>
    Effect.suspend(() => {
      // With spans asked for (callers check `trace`, so that an untraced run does nothing for it): the
      // steps just timed, laid end to end back from now, as children of the file's span.
      const trace = fileSpan !== null
      const traced = (steps: ReadonlyArray<readonly [string, number]>, args?: Readonly<Record<string, string | number>>) => {
        if (fileSpan === null) return
        let end = clock.unsafeCurrentTimeNanos()
        for (let i = steps.length - 1; i >= 0; i--) {
          const [name, ms] = steps[i] ?? ["", 0]
          if (ms <= 0) continue
          const start = end - BigInt(Math.round(ms * 1e6))
          const span = tracer.span(name, Option.some(fileSpan), Context.empty(), [], start, "internal")
          if (args !== undefined) for (const key in args) span.attribute(key, args[key])
          span.end(end, Exit.void)
          end = start
        }
      }
      const m: Measured = emptyMeasured()
      // The events committed so far: a node of the tree every file shares (`trail.ts`).
      let trail = emptyTrail
      let apiCalls = 0
      let busyEvents = 0
      let busyWaitMs = 0

      // One transition: dispatch (timed), the guard, then the write of its row.
      const step = (lease: LeaseShape, machine: Machine, event: Event, values: Omit<TransitionValues, "now"> = {}) => {
        const dispatchStart = clock.unsafeCurrentTimeNanos()
        const result = dispatch(machine, event)
        m.fsm_dispatch_ms += msSince(dispatchStart)
        if (Either.isLeft(result)) return Effect.fail(result.left)
        const next = result.right
        return Effect.flatMap(guard.check(lease, path, machine, event), (checked) => {
          m.queue_wait_ms += checked.queueWaitMs
          m.guard_ms += checked.guardMs
          if (trace) traced([["queue wait", checked.queueWaitMs], ["guard read", checked.guardMs]], { event })
          const now = new Date(clock.unsafeCurrentTimeMillis()).toISOString()
          return Effect.map(writer.persist(lease, transitionWrite(path, machine, event, { ...values, now })), (written) => {
            m.queue_wait_ms += written.queueWaitMs
            m.lock_wait_ms += written.lockWaitMs
            m.write_ms += written.writeMs
            if (trace) {
              traced(
                [["queue wait", written.queueWaitMs], ["lock wait", written.lockWaitMs], ["write", written.writeMs]],
                { event, busy: written.busyEvents }
              )
            }
            busyEvents += written.busyEvents
            busyWaitMs += written.busyWaitMs
            trail = trail.then(event)
            return next
          })
        })
      }

      // An API call, its outcome as a value: a failure drives a fail_* transition.
      const api$ = <A>(name: string, call: Effect.Effect<A, ApiFailure>) =>
        Effect.suspend(() => {
          const start = clock.unsafeCurrentTimeNanos()
          return Effect.map(Effect.either(call), (result) => {
            const ms = msSince(start)
            m.mock_api_ms += ms
            apiCalls += 1
            if (trace) traced([[name, ms]])
            return result
          })
        })

      // Waiting out a backoff is time spent because of the API: it counts in mock_api_ms.
      const backoff = (retryNumber: number) =>
        Effect.flatMap(retry.backoffMillis(path, retryNumber), (ms) =>
          Effect.map(timed(ms > 0 ? apiClock.sleep(ms) : Effect.void), ([waited]) => {
            m.mock_api_ms += waited
            if (trace) traced([["backoff", waited]])
          }))

      const lifecycle = (lease: LeaseShape) => Effect.gen(function*() {
        const read = yield* lease.step(readStep(statements, path))
        if (trace) traced([["queue wait", read.queueWaitMs], ["hydrate", read.value[0]]])
        m.queue_wait_ms += read.queueWaitMs
        m.hydrate_ms += read.value[0]
        const stored = read.value[1]
        const hydrateStart = clock.unsafeCurrentTimeNanos()
        let machine = hydrate(stored.state, stored.version)
        startVersion = stored.version
        m.fsm_dispatch_ms += msSince(hydrateStart)
        let fileId = stored.fileId
        let attempts = stored.attempts
        let retries = 0
        // A file in its first round owes the scenario's second one, however far it got before (recovery,
        // resume); one in its second round only finishes it.
        let roundAgain = stored.round === 1 ? scenario.afterIndexed(path) : null
        for (;;) {
          switch (machine.state) {
            case "indexed": {
              if (roundAgain === null) return machine
              // A new round is a new upload: its attempts count from zero again.
              machine = yield* step(lease, machine, roundAgain)
              attempts = 0
              roundAgain = null
              break
            }
            case "failed": {
              if (attempts >= retry.maxAttempts) return machine
              retries += 1
              yield* backoff(retries)
              machine = yield* step(lease, machine, "retry")
              break
            }
            case "untracked":
              attempts += 1
              machine = yield* step(lease, machine, "start_upload")
              break
            case "uploading": {
              const result = yield* api$("upload", api.upload(path, machine.version))
              if (Either.isLeft(result)) {
                machine = yield* step(lease, machine, "fail_upload", { error: result.left.message })
                break
              }
              const uploaded = result.right
              fileId = uploaded.fileId
              machine = yield* step(lease, machine, "complete_upload", { fileId: uploaded.fileId, uri: uploaded.uri })
              break
            }
            case "processing": {
              if (fileId === null) {
                return yield* new StoreError({ operation: "resume import", detail: `${path} is processing without a file id` })
              }
              const result = yield* api$("import", api.importFile(path, fileId, machine.version))
              if (Either.isLeft(result)) {
                machine = yield* step(lease, machine, "fail_processing", { error: result.left.message })
                break
              }
              const imported = result.right
              machine = yield* step(lease, machine, "complete_processing", { documentId: imported.documentId })
              break
            }
          }
        }
      })

      // connect_ms: from asking for the lease until the lifecycle starts, and from its end until the
      // lease is given back (a per-file connection opened and closed; nothing for a shared one).
      const start = clock.unsafeCurrentTimeNanos()
      let lifecycleEnd = start
      let startVersion = 0
      return connections.withLease((lease) => {
        const connectMs = msSince(start)
        m.connect_ms += connectMs
        if (trace) traced([["connect", connectMs]])
        return Effect.map(lifecycle(lease), (machine) => {
          lifecycleEnd = clock.unsafeCurrentTimeNanos()
          return machine
        })
      }).pipe(Effect.map((machine): FileRun => {
        const closeMs = msSince(lifecycleEnd)
        m.connect_ms += closeMs
        if (trace) traced([["close", closeMs]])
        const end = clock.unsafeCurrentTimeNanos()
        m.total_wall_ms = nanosToMs(end - start)
        const sample = completeSample(m)
        if (fileSpan !== null) {
          fileSpan.attribute("state", machine.state)
          fileSpan.attribute("version", machine.version)
          fileSpan.attribute("fsm_net_ms", sample.fsm_net_ms)
          fileSpan.attribute("mock_api_ms", sample.mock_api_ms)
        }
        return { outcome: { path, machine, events: trail.events, persisted: trail.events.length, startVersion, apiCalls, busyEvents, busyWaitMs }, sample }
      }))
    })
  // A traced file is one span of Effect's own (`withSpan`), its start the actor's; whatever the file's
  // effect does inside it (a mitigation's own spans too) nests under it.
  return (path: string, slot = 0) =>
    tracing
      ? Effect.withSpan(
        Effect.flatMap(Effect.orDie(Effect.currentSpan), (span) => run(path, span)),
        path,
        { attributes: { [SLOT_ATTRIBUTE]: slot } }
      )
      : run(path, null)
})
