/**
 * A runner: one process serving file actors on `@effect/cluster`. It
 * registers in the cluster's storage (`storage.ts`), takes its share of the
 * `File` shards and its own `Runner` shard group, and answers:
 * - `Runner.Open`: a trial opened here, as the run's process opens one (the
 *   strategy built with this runner's driver, once per trial per runner);
 * - `File.Run`: one file's actor run in the open trial (the same actor the
 *   run's own process runs), replying with its outcome and sample;
 * - `Runner.Close`: the writer flushed, any recovery done, the strategy torn
 *   down, and what the runner measured as a whole sent back.
 * Everything a runner times is on the trial's clock (simulated time under the
 * warp, each runner its own).
 */
import * as EntityId from "@effect/cluster/EntityId"
import * as RunnerAddress from "@effect/cluster/RunnerAddress"
import { Sharding } from "@effect/cluster/Sharding"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import * as ApiClock from "../clock/apiClock.ts"
import * as UploadApi from "../api/uploadApi.ts"
import * as Retry from "../actor/retry.ts"
import * as ScenarioLayer from "../actor/scenario.ts"
import { afterFirstPass } from "../actor/experiment.ts"
import type { FileOutcome } from "../actor/fileActor.ts"
import { makeActor } from "../actor/fileActor.ts"
import type { FileFailure } from "../actor/runner.ts"
import { Writer } from "../actor/writer.ts"
import { Driver } from "../store/driver.ts"
import { nanosToMs } from "../metrics/timing.ts"
import { Tracing } from "../metrics/trace.ts"
import { type Registry, strategy } from "../mitigations/registry.ts"
import { storeError } from "../store/transaction.ts"
import { readAll } from "../store/store.ts"
import { File, type FileReply, Runner, RunnerFailure, runnerGroup, type RunnerPart, type TrialSpec } from "./protocol.ts"
import { socketLayer } from "./socket.ts"
import { type ClusterStorage, storageClient } from "./storage.ts"
import { shardingConfig } from "./settings.ts"
import type { Watching } from "../telemetry/watched.ts"

/** A trial open on this runner. */
interface OpenTrial {
  readonly run: (path: string) => Effect.Effect<FileReply>
  readonly close: Effect.Effect<RunnerPart, RunnerFailure>
}

const failure = (runner: string, what: string) => (e: { readonly message: string }) => new RunnerFailure({ detail: `runner ${runner}: ${what}: ${e.message}` })

/** The trial's clock on this runner (the time warp's, when it warps), and how an effect runs on it. */
const trialClock = (spec: TrialSpec) => {
  const apiClock = ApiClock.make(spec.clock)
  const onClock = <A, E, R>(self: Effect.Effect<A, E, R>) =>
    self.pipe(Effect.provideService(ApiClock.ApiClock, apiClock), Effect.withClock(apiClock.clock))
  return { apiClock, onClock }
}

/** Where a file's span goes: this runner's tracer, under the run's trial span, when both are there; else null. */
const tracedBy = (spec: TrialSpec, watch: Watching | undefined) => {
  const tracer = watch?.tracer ?? null
  return tracer !== null && spec.parentSpan !== undefined
    ? { tracer, parent: Tracer.externalSpan({ traceId: spec.parentSpan.traceId, spanId: spec.parentSpan.spanId }) }
    : null
}

/**
 * The trial's strategy built on this runner, in `scope`: its observer
 * connection, its services, the file actor, and how many files its shards
 * hold (the ones it will be sent, unless a runner is lost).
 */
const buildTrial = (spec: TrialSpec, registry: Registry, scope: Scope.CloseableScope, traced: ReturnType<typeof tracedBy>) =>
  Effect.gen(function*() {
    const driver = yield* Driver
    const sharding = yield* Sharding
    const observer = yield* driver.open(spec.dbPath).pipe(Effect.mapError(storeError("open observer connection")), Scope.extend(scope))
    const context = yield* Layer.buildWithScope(
      Layer.mergeAll(
        strategy(registry, spec.mitigations, { dbPath: spec.dbPath, batch: spec.batch, poolSize: spec.poolSize }),
        UploadApi.layer(spec.profile, spec.seed),
        Retry.layer({ ...spec.retry, seed: spec.seed }),
        ScenarioLayer.layer(spec.scenario, spec.seed)
      ),
      scope
    )
    // The files' spans: made when this runner exports them and the run's trial has a span to hang them under.
    const runFile = yield* Effect.provide(makeActor, context).pipe(
      Effect.provideService(Tracing, { enabled: traced !== null }),
      (make) => (traced === null ? make : Effect.withTracer(make, traced.tracer))
    )
    const expected = (yield* readAll(observer)).filter((row) =>
      sharding.hasShardId(sharding.getShardId(EntityId.make(row.path), "default"))
    ).length
    return { observer, context, runFile, expected }
  })

type Built = Effect.Effect.Success<ReturnType<typeof buildTrial>>

/** What the trial's files did on this runner so far, and how many are in flight or waiting for a slot. */
interface Tally {
  inFlight: number
  waiting: number
  finished: number
  maxInFlight: number
  readonly outcomes: Map<string, FileOutcome>
  readonly failures: Map<string, FileFailure>
}

/**
 * One file's message run: at most this runner's share of the trial's
 * concurrency in flight; the warp waits on the slots that still hold or will
 * hold a file, as in one process: its share, until fewer of its files remain.
 */
const fileRunner = (
  spec: TrialSpec,
  runner: string,
  built: Built,
  clock: ReturnType<typeof trialClock>,
  t: Tally,
  observed: { readonly traced: ReturnType<typeof tracedBy>; readonly watched: { readonly inFlight: (n: number) => void } | null }
) => {
  const { traced, watched } = observed
  const slots = Effect.unsafeMakeSemaphore(spec.concurrency)
  const live = () => clock.apiClock.setLive(Math.min(spec.concurrency, Math.max(built.expected - t.finished, t.inFlight + t.waiting)))
  const writer = Context.get(built.context, Writer)
  const run = (path: string): Effect.Effect<FileReply> =>
    clock.onClock(Effect.suspend(() => {
      t.waiting += 1
      return slots.withPermits(1)(Effect.suspend(() => {
        t.waiting -= 1
        t.inFlight += 1
        t.maxInFlight = Math.max(t.maxInFlight, t.inFlight)
        watched?.inFlight(t.inFlight)
        const file = built.runFile(path)
        return Effect.either(
          traced === null ? file : file.pipe(Effect.withParentSpan(traced.parent), Effect.withTracer(traced.tracer))
        )
      })).pipe(
        Effect.ensuring(Effect.suspend(() => {
          t.inFlight -= 1
          t.finished += 1
          watched?.inFlight(t.inFlight)
          // Its last file done: the writer flushed now, as a batch's end flushes it in one process (a write-behind
          // writer would otherwise hold the store's write lock, with its partial batch, until the trial closes).
          return t.finished === built.expected ? Effect.zipRight(Effect.either(writer.flush), live()) : live()
        })),
        Effect.map((result): FileReply => {
          if (Either.isLeft(result)) {
            t.failures.set(path, { path, error: result.left })
            return { _tag: "Failed", runner, path, error: result.left }
          }
          t.failures.delete(path)
          t.outcomes.set(path, result.right.outcome)
          return { _tag: "Ran", runner, outcome: result.right.outcome, sample: result.right.sample }
        })
      )
    }))
  return { run, live }
}

/** The trial closed on this runner: the writer flushed, any recovery run, the strategy torn down, its part. */
const closeTrial = (
  spec: TrialSpec,
  runner: string,
  built: Built,
  clock: ReturnType<typeof trialClock>,
  t: Tally,
  scope: Scope.CloseableScope,
  started: bigint
) =>
  clock.onClock(Effect.gen(function*() {
    yield* Effect.either(Context.get(built.context, Writer).flush)
    const after = yield* afterFirstPass(
      { concurrency: spec.concurrency, labels: spec.labels },
      { outcomes: [...t.outcomes.values()], failures: [...t.failures.values()], maxInFlight: t.maxInFlight },
      built.observer
    ).pipe(Effect.provide(built.context))
    yield* Scope.close(scope, Exit.void)
    const elapsedMs = nanosToMs(clock.apiClock.clock.unsafeCurrentTimeNanos() - started)
    const { skippedMs } = yield* clock.apiClock.skipped
    const { strategy, outcomes, failures, ledger, byEvent, recovery, api } = after
    const files = t.outcomes.size + t.failures.size
    return { runner, elapsedMs, skippedMs, files, maxInFlight: t.maxInFlight, strategy, outcomes, failures, ledger, byEvent, recovery, api } satisfies RunnerPart
  }))

const openTrial = (
  spec: TrialSpec,
  registry: Registry,
  runner: string,
  watch: Watching | undefined
): Effect.Effect<OpenTrial, RunnerFailure, Driver | Sharding> =>
  Effect.gen(function*() {
    const driver = yield* Driver
    const scope = yield* Scope.make()
    const clock = trialClock(spec)
    const started = clock.apiClock.clock.unsafeCurrentTimeNanos()
    const traced = tracedBy(spec, watch)
    // Its in-flight actors only: the run counts every file, transition and busy answer by runner from the replies.
    const watched = watch?.live.enabled === true ? watch.live.trial({ ...spec.labels, runner }) : null
    const built = yield* clock.onClock(buildTrial(spec, registry, scope, traced)).pipe(
      Effect.tapErrorCause(() => Scope.close(scope, Exit.void)),
      Effect.mapError(failure(runner, "opening the trial"))
    )
    const tally: Tally = { inFlight: 0, waiting: 0, finished: 0, maxInFlight: 0, outcomes: new Map(), failures: new Map() }
    const { run, live } = fileRunner(spec, runner, built, clock, tally, { traced, watched })
    const close = closeTrial(spec, runner, built, clock, tally, scope, started).pipe(
      Effect.provideService(Driver, driver),
      Effect.onExit(() => Scope.close(scope, Exit.void)),
      Effect.mapError(failure(runner, "closing the trial"))
    )
    yield* live()
    return { run, close }
  })

export interface RunnerOptions {
  /** Where it listens, and the address the others reach it by. */
  readonly host: string
  readonly port: number
  readonly storage: ClusterStorage
  /** The mitigations it can build: the built-ins and those of the run's config file. */
  readonly registry: Registry
  /**
   * When the runner is watched (its own `--metrics-port`, `--otlp`): its live metrics, and the tracer its
   * files' spans go to, under the run's trial span.
   */
  readonly watched?: Watching | undefined
}

/** A runner serving `File` and its own `Runner` entity, registered in the cluster's storage, until its scope closes. */
export const runnerLayer = (options: RunnerOptions): Layer.Layer<never, unknown, Driver> => {
  const self = `${options.host}:${options.port}`
  const trials = new Map<string, OpenTrial>()
  const entities = Layer.mergeAll(
    Runner.toLayer(Effect.map(Effect.context<Driver | Sharding>(), (context) => Runner.of({
      Open: ({ payload }) =>
        Effect.gen(function*() {
          yield* Effect.logDebug(`runner ${self}: opening trial ${payload.trial} (concurrency ${payload.concurrency})`)
          // One run's trials follow each other: a trial still open here was left by a run that ended.
          for (const [trial, open] of trials) {
            trials.delete(trial)
            yield* Effect.ignore(open.close)
          }
          trials.set(payload.trial, yield* Effect.provide(openTrial(payload, options.registry, self, options.watched), context))
        }),
      Close: ({ payload }) => {
        const open = trials.get(payload.trial)
        if (open === undefined) return Effect.fail(new RunnerFailure({ detail: `runner ${self}: trial ${payload.trial} is not open here` }))
        trials.delete(payload.trial)
        return open.close
      }
    }))),
    File.toLayer({
      Run: ({ payload }) => {
        const open = trials.get(payload.trial)
        return open === undefined
          ? Effect.fail(new RunnerFailure({ detail: `runner ${self}: trial ${payload.trial} is not open here` }))
          : open.run(payload.path)
      }
    })
  )
  return entities.pipe(
    Layer.provide(socketLayer({
      clientOnly: false,
      shardingConfig: {
        ...shardingConfig,
        runnerAddress: Option.some(RunnerAddress.make(options.host, options.port)),
        availableShardGroups: ["default", runnerGroup(self)],
        assignedShardGroups: ["default", runnerGroup(self)]
      }
    })),
    Layer.provide(storageClient(options.storage))
  )
}

/**
 * A runner started and serving until the scope closes. Runners starting
 * together on a new database race to create the cluster's tables, and the
 * loser's start dies of it: it is tried again, up to three times.
 */
export const serve = (options: RunnerOptions): Effect.Effect<void, unknown, Driver | Scope.Scope> =>
  Layer.build(runnerLayer(options)).pipe(
    Effect.catchAllDefect((defect) => Effect.fail(defect)),
    Effect.retry({ times: 3, schedule: Schedule.spaced("500 millis") }),
    Effect.asVoid
  )
