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
import type * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as Tracer from "effect/Tracer"
import { dispatch, type Event, hydrate, type Machine } from "../lifecycle/fsm.ts"
import { emptyTrail, type Trail } from "../lifecycle/trail.ts"
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
import type { Statements } from "../store/service.ts"
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

/** The run's services and clock, resolved once per batch: the same for every file. */
interface ActorEnv {
  readonly connections: Context.Tag.Service<Connections>
  readonly guard: Context.Tag.Service<Guard>
  readonly writer: Context.Tag.Service<Writer>
  readonly api: Context.Tag.Service<UploadApi>
  readonly retry: Context.Tag.Service<RetryPolicy>
  readonly apiClock: Context.Tag.Service<ApiClock>
  readonly scenario: Context.Tag.Service<Scenario>
  readonly tracer: Tracer.Tracer
  readonly statements: Statements
  /** The run's clock (under the time warp, the warp's): every timing and timestamp of an actor. */
  readonly clock: Clock.Clock
}

/** One file's life so far: its segments, the events it committed, its counts and where its lifecycle stands. */
interface FileLife {
  readonly path: string
  /** The file's span when spans are asked for (`Tracing`), else null: an untraced run does nothing for them. */
  readonly span: Tracer.Span | null
  readonly m: Measured
  /** The events committed so far: a node of the tree every file shares (`trail.ts`). */
  trail: Trail
  apiCalls: number
  busyEvents: number
  busyWaitMs: number
  startVersion: number
  fileId: string | null
  attempts: number
  retries: number
  /** The scenario's next round owed once the file is indexed, or null. */
  roundAgain: Event | null
}

const msSince = (env: ActorEnv, start: bigint) => nanosToMs(env.clock.unsafeCurrentTimeNanos() - start)

/** The steps just timed, laid end to end back from now, as children of the file's span. */
const traced = (
  env: ActorEnv,
  life: FileLife,
  steps: ReadonlyArray<readonly [string, number]>,
  args?: Readonly<Record<string, string | number>>
) => {
  if (life.span === null) return
  let end = env.clock.unsafeCurrentTimeNanos()
  for (let i = steps.length - 1; i >= 0; i--) {
    const [name, ms] = steps[i] ?? ["", 0]
    if (ms <= 0) continue
    const start = end - BigInt(Math.round(ms * 1e6))
    const span = env.tracer.span(name, Option.some(life.span), Context.empty(), [], start, "internal")
    if (args !== undefined) for (const key in args) span.attribute(key, args[key])
    span.end(end, Exit.void)
    end = start
  }
}

/** One transition: dispatch (timed), the guard, then the write of its row. */
const step = (
  env: ActorEnv,
  life: FileLife,
  lease: LeaseShape,
  machine: Machine,
  event: Event,
  values: Omit<TransitionValues, "now"> = {}
): Effect.Effect<Machine, ActorError> => {
  const { m, path } = life
  const dispatchStart = env.clock.unsafeCurrentTimeNanos()
  const result = dispatch(machine, event)
  m.fsm_dispatch_ms += msSince(env, dispatchStart)
  if (Either.isLeft(result)) return Effect.fail(result.left)
  const next = result.right
  return Effect.flatMap(env.guard.check(lease, path, machine, event), (checked) => {
    m.queue_wait_ms += checked.queueWaitMs
    m.guard_ms += checked.guardMs
    if (life.span !== null) traced(env, life, [["queue wait", checked.queueWaitMs], ["guard read", checked.guardMs]], { event })
    const now = new Date(env.clock.unsafeCurrentTimeMillis()).toISOString()
    return Effect.map(env.writer.persist(lease, transitionWrite(path, machine, event, { ...values, now })), (written) => {
      m.queue_wait_ms += written.queueWaitMs
      m.lock_wait_ms += written.lockWaitMs
      m.write_ms += written.writeMs
      if (life.span !== null) {
        traced(env, life, [["queue wait", written.queueWaitMs], ["lock wait", written.lockWaitMs], ["write", written.writeMs]], {
          event,
          busy: written.busyEvents
        })
      }
      life.busyEvents += written.busyEvents
      life.busyWaitMs += written.busyWaitMs
      life.trail = life.trail.then(event)
      return next
    })
  })
}

/** An API call, its outcome as a value: a failure drives a fail_* transition. */
const apiCall = <A>(env: ActorEnv, life: FileLife, name: string, call: Effect.Effect<A, ApiFailure>) =>
  Effect.suspend(() => {
    const start = env.clock.unsafeCurrentTimeNanos()
    return Effect.map(Effect.either(call), (result) => {
      const ms = msSince(env, start)
      life.m.mock_api_ms += ms
      life.apiCalls += 1
      if (life.span !== null) traced(env, life, [[name, ms]])
      return result
    })
  })

/** Waiting out a backoff is time spent because of the API: it counts in mock_api_ms. */
const backoff = (env: ActorEnv, life: FileLife, retryNumber: number) =>
  Effect.flatMap(env.retry.backoffMillis(life.path, retryNumber), (ms) =>
    Effect.map(timed(ms > 0 ? env.apiClock.sleep(ms) : Effect.void), ([waited]) => {
      life.m.mock_api_ms += waited
      if (life.span !== null) traced(env, life, [["backoff", waited]])
    }))

/** The machine after the file's next step from where it stands, or null when it is done (indexed, or failed for good). */
const advance = (env: ActorEnv, life: FileLife, lease: LeaseShape, machine: Machine): Effect.Effect<Machine | null, ActorError> => {
  switch (machine.state) {
    case "indexed": {
      if (life.roundAgain === null) return Effect.succeed(null)
      // A new round is a new upload: its attempts count from zero again.
      const event = life.roundAgain
      life.attempts = 0
      life.roundAgain = null
      return step(env, life, lease, machine, event)
    }
    case "failed": {
      if (life.attempts >= env.retry.maxAttempts) return Effect.succeed(null)
      life.retries += 1
      return Effect.zipRight(backoff(env, life, life.retries), step(env, life, lease, machine, "retry"))
    }
    case "untracked":
      life.attempts += 1
      return step(env, life, lease, machine, "start_upload")
    case "uploading":
      return Effect.flatMap(apiCall(env, life, "upload", env.api.upload(life.path, machine.version)), (result) => {
        if (Either.isLeft(result)) return step(env, life, lease, machine, "fail_upload", { error: result.left.message })
        life.fileId = result.right.fileId
        return step(env, life, lease, machine, "complete_upload", { fileId: result.right.fileId, uri: result.right.uri })
      })
    case "processing": {
      const fileId = life.fileId
      if (fileId === null) {
        return Effect.fail(new StoreError({ operation: "resume import", detail: `${life.path} is processing without a file id` }))
      }
      return Effect.flatMap(apiCall(env, life, "import", env.api.importFile(life.path, fileId, machine.version)), (result) =>
        Either.isLeft(result)
          ? step(env, life, lease, machine, "fail_processing", { error: result.left.message })
          : step(env, life, lease, machine, "complete_processing", { documentId: result.right.documentId }))
    }
  }
}

/** The file hydrated from its stored row, then driven on step by step until it is done. */
const lifecycle = (env: ActorEnv, life: FileLife, lease: LeaseShape) =>
  Effect.gen(function*() {
    const { m } = life
    const read = yield* lease.step(readStep(env.statements, life.path))
    if (life.span !== null) traced(env, life, [["queue wait", read.queueWaitMs], ["hydrate", read.value[0]]])
    m.queue_wait_ms += read.queueWaitMs
    m.hydrate_ms += read.value[0]
    const stored = read.value[1]
    const hydrateStart = env.clock.unsafeCurrentTimeNanos()
    let machine = hydrate(stored.state, stored.version)
    life.startVersion = stored.version
    m.fsm_dispatch_ms += msSince(env, hydrateStart)
    life.fileId = stored.fileId
    life.attempts = stored.attempts
    // A file in its first round owes the scenario's second one, however far it got before (recovery,
    // resume); one in its second round only finishes it.
    life.roundAgain = stored.round === 1 ? env.scenario.afterIndexed(life.path) : null
    for (;;) {
      const next = yield* advance(env, life, lease, machine)
      if (next === null) return machine
      machine = next
    }
  })

/** The file's outcome and sample once its lease is given back; its span told how it ended. */
const finished = (env: ActorEnv, life: FileLife, machine: Machine, start: bigint, lifecycleEnd: bigint): FileRun => {
  const { m } = life
  const closeMs = msSince(env, lifecycleEnd)
  m.connect_ms += closeMs
  if (life.span !== null) traced(env, life, [["close", closeMs]])
  m.total_wall_ms = nanosToMs(env.clock.unsafeCurrentTimeNanos() - start)
  const sample = completeSample(m)
  if (life.span !== null) {
    life.span.attribute("state", machine.state)
    life.span.attribute("version", machine.version)
    life.span.attribute("fsm_net_ms", sample.fsm_net_ms)
    life.span.attribute("mock_api_ms", sample.mock_api_ms)
  }
  const { trail, path, startVersion, apiCalls, busyEvents, busyWaitMs } = life
  return { outcome: { path, machine, events: trail.events, persisted: trail.events.length, startVersion, apiCalls, busyEvents, busyWaitMs }, sample }
}

/**
 * One file's lifecycle under its lease. connect_ms: from asking for the
 * lease until the lifecycle starts, and from its end until the lease is
 * given back (a per-file connection opened and closed; nothing for a shared one).
 */
const runFile = (env: ActorEnv, path: string, span: Tracer.Span | null): Effect.Effect<FileRun, ActorError> =>
  Effect.suspend(() => {
    const life: FileLife = {
      path,
      span,
      m: emptyMeasured(),
      trail: emptyTrail,
      apiCalls: 0,
      busyEvents: 0,
      busyWaitMs: 0,
      startVersion: 0,
      fileId: null,
      attempts: 0,
      retries: 0,
      roundAgain: null
    }
    const start = env.clock.unsafeCurrentTimeNanos()
    let lifecycleEnd = start
    return env.connections.withLease((lease) => {
      const connectMs = msSince(env, start)
      life.m.connect_ms += connectMs
      if (span !== null) traced(env, life, [["connect", connectMs]])
      return Effect.map(lifecycle(env, life, lease), (machine) => {
        lifecycleEnd = env.clock.unsafeCurrentTimeNanos()
        return machine
      })
    }).pipe(Effect.map((machine) => finished(env, life, machine, start, lifecycleEnd)))
  })

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
  const env: ActorEnv = {
    connections: yield* Connections,
    guard: yield* Guard,
    writer: yield* Writer,
    api: yield* UploadApi,
    retry: yield* RetryPolicy,
    apiClock: yield* ApiClock,
    scenario: yield* Scenario,
    tracer: yield* Effect.tracer,
    statements: (yield* Driver).store.statements,
    clock: yield* Effect.clock
  }
  const tracing = (yield* Tracing).enabled
  // A traced file is one span of Effect's own (`withSpan`), its start the actor's; whatever the file's
  // effect does inside it (a mitigation's own spans too) nests under it.
  return (path: string, slot = 0) =>
    tracing
      ? Effect.withSpan(
        Effect.flatMap(Effect.orDie(Effect.currentSpan), (span) => runFile(env, path, span)),
        path,
        { attributes: { [SLOT_ATTRIBUTE]: slot } }
      )
      : runFile(env, path, null)
})
