/**
 * The run's process as a client of its runners on `@effect/cluster`: for each
 * trial, it opens the trial on every runner (each with its share of the
 * concurrency), sends every file's message at once (each file runs on the
 * runner that holds its shard, queued there behind its share), records each
 * file's sample as its reply comes, closes the trial on every runner, and
 * merges what they measured into one part, as if one process had run it.
 *
 * A runner lost mid-trial (its process gone, or the cluster's health check
 * failing it) loses its shards to the live runners; a file whose message it
 * held is sent again, and the runner it lands on takes the file up from its
 * stored state, as `--resume` does. The trial records which runners it lost,
 * and its elapsed time is then the client's own, flagged.
 */
import { createRequire } from "node:module"
import * as RunnerStorage from "@effect/cluster/RunnerStorage"
import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as SqlRunnerStorage from "@effect/cluster/SqlRunnerStorage"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type { ActorsPart } from "../actor/experiment.ts"
import type { FileOutcome } from "../actor/fileActor.ts"
import { type FileFailure, liveFile } from "../actor/runner.ts"
import type { Event } from "../lifecycle/fsm.ts"
import { LiveMetrics } from "../metrics/live.ts"
import { Tracing } from "../metrics/trace.ts"
import { type ClusterTrial, Executor, type ExecutorShape } from "../actor/executor.ts"
import type { Recorder } from "../metrics/recorder.ts"
import { StoreError } from "../store/errors.ts"
import { File, type FileReply, Runner, type RunnerPart, type TrialSpec } from "./protocol.ts"
import { shardingConfig } from "./settings.ts"
import { socketLayer } from "./socket.ts"
import { type ClusterStorage, storageClient } from "./storage.ts"

/** The engine, as the results record it: its name and the version installed. */
export const ENGINE = `@effect/cluster ${
  (createRequire(import.meta.url)("@effect/cluster/package.json") as { readonly version: string }).version
}`

/** The cluster could not start (a runner unreachable, not registered): said in one line. */
export class ClusterUnavailable extends Data.TaggedError("ClusterUnavailable")<{ readonly detail: string }> {
  override get message(): string {
    return this.detail
  }
}

/** A file's message to send again: the runner it went to is gone. */
class Resend extends Data.TaggedError("Resend")<{ readonly detail: string }> {
  override get message(): string {
    return `its runner was lost and no other took it within ${RESEND_MS / 1000} s (${this.detail})`
  }
}

export interface ClusterOptions {
  /** The runners' addresses (`HOST:PORT`), as they registered. */
  readonly runners: ReadonlyArray<string>
  readonly storage: ClusterStorage
  /** Completes when the runner at an address is known to be gone (a local runner's exit), with a line saying how. */
  readonly gone: (address: string) => Effect.Effect<string>
  /** How long the runners may take to be seen registered and healthy (60 s when not said). */
  readonly registerWithinMs?: number
}

/** How long the runners may take to register and to be seen healthy. */
const REGISTER_MS = 60_000
/** How long a file's message is sent again while no live runner takes it. */
const RESEND_MS = 60_000

const notRegistered = "not registered in the cluster's storage in time (started with another --cluster-url, or still starting?)"

const sum = (values: ReadonlyArray<number>) => values.reduce((a, b) => a + b, 0)

/** Near-equal shares of `n` in `k` parts, the larger first (c=10 on 4 runners: 3, 3, 2, 2). */
const sharesOf = (n: number, k: number): ReadonlyArray<number> =>
  Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0))

/** The runners seen healthy in the cluster's storage now, by address. */
type Healthy = Effect.Effect<ReadonlySet<string>>

/** Every runner registered and healthy (or the one line naming those that are not), then a moment for them to settle their shards. */
const awaitRunners = (options: ClusterOptions, healthy: Healthy) =>
  Effect.repeat(healthy, {
    until: (seen) => options.runners.every((r) => seen.has(r)),
    schedule: Schedule.spaced("200 millis")
  }).pipe(
    Effect.timeoutFail({
      duration: Duration.millis(options.registerWithinMs ?? REGISTER_MS),
      onTimeout: () => new ClusterUnavailable({ detail: `runners ${options.runners.join(", ")}: ${notRegistered}` })
    }),
    Effect.catchTag("ClusterUnavailable", (e) =>
      Effect.flatMap(healthy, (seen) => {
        const missing = options.runners.filter((r) => !seen.has(r))
        return Effect.fail(
          missing.length === 0
            ? e
            : new ClusterUnavailable({
              detail: `runner${missing.length > 1 ? "s" : ""} ${missing.join(", ")}: ${notRegistered}`
            })
        )
      })),
    Effect.zipRight(Effect.sleep(Duration.sum(shardingConfig.refreshAssignmentsInterval, shardingConfig.refreshAssignmentsInterval)))
  )

/** What the run's side of the cluster holds for its trials: the clients, the runners still live, how a runner is known gone. */
interface Client {
  readonly fileClient: Effect.Effect.Success<typeof File.client>
  readonly runnerClient: Effect.Effect.Success<typeof Runner.client>
  /** Completes with a line when a runner is gone: its process's exit, or the cluster no longer holding it healthy. */
  readonly gone: (address: string) => Effect.Effect<string>
  readonly live: Set<string>
}

/** One trial as it goes: its name, the runners opened on and those lost. */
interface TrialRun {
  readonly trial: string
  readonly opened: ReadonlyArray<string>
  readonly lost: Array<string>
}

const lose = (c: Client, t: TrialRun, address: string) => {
  c.live.delete(address)
  if (!t.lost.includes(address)) t.lost.push(address)
}

/** What each runner is told of the trial: its share of the concurrency, the strategy's parts, the trial's span. */
const trialSpecs = (
  t: TrialRun,
  spec: Parameters<ExecutorShape["runTrial"]>[0],
  parts: Parameters<ExecutorShape["runTrial"]>[1]
) =>
  Effect.gen(function*() {
    const shares = sharesOf(spec.concurrency, t.opened.length)
    // The trial's span, for runners that export spans too (a traced trial has one).
    const parentSpan = (yield* Tracing).enabled
      ? Option.getOrUndefined(Option.map(yield* Effect.option(Effect.currentSpan), (span) => ({ traceId: span.traceId, spanId: span.spanId })))
      : undefined
    return (i: number): TrialSpec => ({
      trial: t.trial,
      concurrency: shares[i] ?? 1,
      dbPath: spec.dbPath,
      profile: spec.profile,
      seed: spec.seed,
      retry: spec.retry,
      scenario: spec.scenario,
      clock: spec.clock,
      labels: spec.labels,
      mitigations: parts.mitigations,
      batch: parts.batch,
      poolSize: parts.poolSize,
      ...(parentSpan === undefined ? {} : { parentSpan })
    })
  })

/** The trial opened on every live runner; one that is gone, or dies opening it, is lost. */
const openTrial = (c: Client, t: TrialRun, specOf: (i: number) => TrialSpec) =>
  Effect.flatMap(
    Effect.forEach(t.opened, (address, i) =>
      Effect.raceFirst(
        Effect.as(c.runnerClient(address).Open(specOf(i)), true).pipe(Effect.catchAllDefect(() => Effect.succeed(false))),
        Effect.as(c.gone(address), false)
      ).pipe(
        Effect.mapError((e) => new StoreError({ operation: "runner", detail: `opening trial on ${address}: ${e.message}` })),
        Effect.tap((ok) => (ok ? Effect.void : Effect.sync(() => lose(c, t, address))))
      ), { concurrency: "unbounded" }),
    (open) => (open.some((ok) => ok) ? Effect.void : Effect.fail(new StoreError({ operation: "runner", detail: "no runner left to run the trial" })))
  )

/**
 * Every file's message at once: each runner runs its own at its share of the
 * concurrency. A message a lost runner held is sent again. Each reply is
 * kept, its sample recorded, and the live view told which runner ran it.
 */
const sendFiles = (c: Client, t: TrialRun, paths: ReadonlyArray<string>, recorder: Recorder) =>
  Effect.gen(function*() {
    const replies = new Map<string, FileReply>()
    // The live view (off unless an exporter asked for it), by the runner that ran each file.
    const liveView = yield* LiveMetrics
    const watched = liveView.enabled ? liveView.trial(recorder.labels) : null
    const send = (path: string) =>
      Effect.suspend(() =>
        c.fileClient(path).Run({ trial: t.trial, path }).pipe(
          // The runner's connection broken under it (its process gone): sent again, to whoever holds the shard now.
          Effect.catchAllDefect((defect) => Effect.fail(new Resend({ detail: String(defect) }))),
          Effect.retry({
            while: (e) => e._tag !== "RunnerFailure",
            schedule: Schedule.spaced("100 millis").pipe(Schedule.upTo(Duration.millis(RESEND_MS)))
          }),
          Effect.mapError((e) => new StoreError({ operation: "runner", detail: `${path}: ${e.message}` })),
          Effect.map((reply) => {
            replies.set(path, reply)
            if (reply._tag === "Ran") recorder.recordNow(reply.sample)
            if (watched !== null) watched.fileDone(reply._tag === "Ran" ? liveFile(reply.outcome) : null, reply.runner)
          })
        )
      )
    yield* Effect.forEach(paths, send, { concurrency: "unbounded", discard: true })
    return replies
  })

/** The trial closed on every live runner: each one's part; one that is gone, or dies closing it, is lost. */
const closeTrial = (c: Client, t: TrialRun) =>
  Effect.map(
    Effect.forEach([...c.live], (address) =>
      Effect.raceFirst(
        Effect.map(c.runnerClient(address).Close({ trial: t.trial }), (part): RunnerPart | null => part).pipe(
          Effect.catchAllDefect(() => Effect.succeed(null))
        ),
        Effect.as(c.gone(address), null)
      ).pipe(
        Effect.mapError((e) => new StoreError({ operation: "runner", detail: `closing trial on ${address}: ${e.message}` })),
        Effect.tap((part) => (part === null ? Effect.sync(() => lose(c, t, address)) : Effect.void))
      ), { concurrency: "unbounded" }),
    (closed) => closed.filter((p): p is RunnerPart => p !== null)
  )

const make = (options: ClusterOptions) =>
  Effect.gen(function*() {
    const storage = yield* RunnerStorage.RunnerStorage
    const healthy: Healthy = Effect.map(
      Effect.orElseSucceed(storage.getRunners, () => []),
      (list) => new Set(list.filter(([, ok]) => ok).map(([runner]) => `${runner.address.host}:${runner.address.port}`))
    )
    yield* awaitRunners(options, healthy)
    const c: Client = {
      fileClient: yield* File.client,
      runnerClient: yield* Runner.client,
      gone: (address) =>
        Effect.raceFirst(
          options.gone(address),
          Effect.as(
            Effect.repeat(healthy, { until: (seen) => !seen.has(address), schedule: Schedule.spaced("500 millis") }),
            `runner ${address} is no longer healthy in the cluster`
          )
        ),
      live: new Set(options.runners)
    }
    let trials = 0
    const runId = Math.random().toString(36).slice(2, 10)
    const runTrial: ExecutorShape["runTrial"] = (spec, parts, paths, recorder) =>
      Effect.gen(function*() {
        trials += 1
        const t: TrialRun = { trial: `${runId}-${trials}`, opened: [...c.live], lost: [] }
        const started = performance.now()
        yield* openTrial(c, t, yield* trialSpecs(t, spec, parts))
        const replies = yield* sendFiles(c, t, paths, recorder)
        const partsOf = yield* closeTrial(c, t)
        const wallMs = performance.now() - started
        return { ...merged(partsOf, replies, t.lost, wallMs, t.opened), samples: recorder.samples() }
      })
    return { runners: options.runners, runTrial } satisfies ExecutorShape
  })

/**
 * The runners' parts and the files' replies as one part: outcomes, failures,
 * ledger and counts from the runners that closed the trial; a file whose last
 * reply came from a lost runner counted from its reply. With a runner lost, a
 * file taken up again elsewhere counts the transitions it found stored (its
 * start version) as committed, as `--resume` does, and the elapsed time is the
 * client's own wall time plus the most simulated time a runner skipped.
 */
const merged = (
  parts: ReadonlyArray<RunnerPart>,
  replies: ReadonlyMap<string, FileReply>,
  lost: ReadonlyArray<string>,
  wallMs: number,
  opened: ReadonlyArray<string>
): Omit<ActorsPart, "samples"> & { readonly cluster: ClusterTrial } => {
  const outcomes = new Map<string, FileOutcome>()
  const failures = new Map<string, FileFailure>()
  const ledger = new Map<string, number>()
  const byEvent = new Map<Event, number>()
  const add = <K>(map: Map<K, number>, key: K, n: number) => map.set(key, (map.get(key) ?? 0) + n)
  for (const part of parts) {
    for (const outcome of part.outcomes) outcomes.set(outcome.path, outcome)
    for (const failure of part.failures) failures.set(failure.path, failure)
    for (const [path, n] of part.ledger) add(ledger, path, n)
    for (const [event, n] of part.byEvent) add(byEvent, event, n)
  }
  if (lost.length > 0) {
    for (const [path, reply] of replies) {
      if (!lost.includes(reply.runner) || outcomes.has(path) || failures.has(path)) continue
      if (reply._tag === "Ran") {
        outcomes.set(path, reply.outcome)
        add(ledger, path, reply.outcome.persisted)
        for (const event of reply.outcome.events) add(byEvent, event, 1)
      } else failures.set(path, { path, error: reply.error })
    }
    // A file a live runner took up where a lost one left it (the trial seeded every file at version 0): the
    // transitions it found stored were committed by the lost runner.
    for (const reply of replies.values()) {
      if (reply._tag === "Ran" && !lost.includes(reply.runner)) add(ledger, reply.outcome.path, reply.outcome.startVersion)
    }
  }
  const recovered = parts.flatMap((p) => (p.recovery === null ? [] : [p.recovery]))
  const longest = parts.reduce<RunnerPart | null>((a, b) => (a === null || b.elapsedMs > a.elapsedMs ? b : a), null)
  const skippedMs = Math.max(0, ...parts.map((p) => p.skippedMs))
  const ran = new Map<string, number>()
  for (const reply of replies.values()) ran.set(reply.runner, (ran.get(reply.runner) ?? 0) + 1)
  return {
    elapsedMs: lost.length > 0 || longest === null ? wallMs + skippedMs : longest.elapsedMs,
    skippedMs,
    outcomes: [...outcomes.values()],
    failures: [...failures.values()],
    maxInFlight: sum(parts.map((p) => p.maxInFlight)),
    strategy: parts[0]?.strategy ?? { connections: "?", guard: "?", writer: "?" },
    ledger,
    byEvent,
    recovery: recovered.length === 0 ? null : {
      failedCommits: sum(recovered.map((r) => r.failedCommits)),
      lostTransitions: sum(recovered.map((r) => r.lostTransitions)),
      inconsistentFiles: sum(recovered.map((r) => r.inconsistentFiles)),
      failedFiles: sum(recovered.map((r) => r.failedFiles)),
      redoneFiles: sum(recovered.map((r) => r.redoneFiles)),
      redoneApiCalls: sum(recovered.map((r) => r.redoneApiCalls)),
      passes: Math.max(...recovered.map((r) => r.passes)),
      seconds: Math.max(...recovered.map((r) => r.seconds))
    },
    api: {
      calls: sum(parts.map((p) => p.api.calls)),
      failures: sum(parts.map((p) => p.api.failures)),
      timeouts: sum(parts.map((p) => p.api.timeouts)),
      rateLimited: sum(parts.map((p) => p.api.rateLimited)),
      admittedAtMs: parts.flatMap((p) => p.api.admittedAtMs).sort((a, b) => a - b)
    },
    workers: [...ran.values()].filter((n) => n > 0).length,
    cluster: {
      engine: ENGINE,
      runners: opened.map((address) => ({ address, files: ran.get(address) ?? 0 })),
      lost: [...lost]
    }
  }
}

/** The run's process as the client of `options.runners`, once every one of them is registered. */
export const clusterLayer = (options: ClusterOptions): Layer.Layer<Executor, ClusterUnavailable> =>
  Layer.scoped(Executor, make(options)).pipe(
    Layer.provide(Layer.merge(
      socketLayer({ clientOnly: true, shardingConfig }),
      SqlRunnerStorage.layer.pipe(Layer.provide(ShardingConfig.layer(shardingConfig)))
    )),
    Layer.provide(storageClient(options.storage)),
    Layer.catchAll((e) =>
      Layer.fail(
        e instanceof ClusterUnavailable
          ? e
          : new ClusterUnavailable({ detail: `the cluster's storage: ${e instanceof Error ? e.message : String(e)}` })
      )
    )
  )
