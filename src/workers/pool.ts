/**
 * `--workers N`: the run's actors in N OS processes, as a pipeline scales
 * out. The workers are started once per run (each its own Node process and
 * Effect runtime, its own driver) and given a share of every trial's files:
 * the run's process seeds the store, splits the files into contiguous shares
 * and the concurrency into near-equal parts, sends each worker its share,
 * and merges what they send back into one measurement; the integrity check
 * then reads the whole batch from the store. All of them write the one
 * store: a Postgres server, or the one SQLite file (whose single writer they
 * then contend for across processes).
 *
 * What a share measures is the worker's own: its strategy built, its files'
 * actors run, its strategy torn down, on its own clock. A trial's elapsed
 * time is the longest share's (the workers start together); under the time
 * warp each worker skips its own API waits, when all of its own actors wait.
 * A level with fewer actors than workers runs one actor per worker.
 */
import { type ChildProcess, fork } from "node:child_process"
import process from "node:process"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ActorsPart, ExperimentSpec, PartsSpec } from "../actor/experiment.ts"
import type { Recorder } from "../metrics/recorder.ts"
import { concatSamples } from "../metrics/samples.ts"
import type { StoreDriverName } from "../drivers/all.ts"
import { StoreError } from "../store/errors.ts"
import { bundleDir } from "../bundled.ts"
import { stopChild } from "../childProcess.ts"
import { decodePart, type FromWorker, type PartRequest, storeErrorOf, type ToWorker } from "./protocol.ts"

/** The workers could not start: said in one line. */
export class WorkersUnavailable extends Data.TaggedError("WorkersUnavailable")<{ readonly detail: string }> {
  override get message(): string {
    return this.detail
  }
}

export interface WorkersShape {
  readonly count: number
  /** Worker `index` runs one share of a trial. */
  readonly run: (index: number, request: PartRequest) => Effect.Effect<ActorsPart, StoreError>
}

export class Workers extends Context.Tag("upload-fsm-bench/Workers")<Workers, WorkersShape>() {}

/** Whether this code runs compiled to JavaScript (the package's `dist/`), not from its TypeScript sources. */
const compiled = import.meta.url.endsWith(".js")

/** The child's module: the bundle's when this code runs from it (`launch.ts`), else the one beside this file. */
const childModule = bundleDir === null
  ? fileURLToPath(new URL(compiled ? "./child.js" : "./child.ts", import.meta.url))
  : path.join(bundleDir, "child.mjs")

/** `flags` without those that load tsx (`--import X`, `--require X`, `--import=X`, … where X is tsx's). */
export const withoutTsx = (flags: ReadonlyArray<string>): ReadonlyArray<string> => {
  const kept: Array<string> = []
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i] ?? ""
    const loads = /^(--import|--require|-r|--loader|--experimental-loader)$/.test(flag)
    if (loads && (flags[i + 1] ?? "").includes("tsx")) i += 1
    else if (!(/^(--import|--require|--loader|--experimental-loader)=/.test(flag) && flag.includes("tsx"))) kept.push(flag)
  }
  return kept
}

/**
 * The child's runtime flags: for the bundle's child (plain JavaScript), this
 * process's own without tsx's loader; for the source, this process's own
 * (tsx's loader under `npx tsx` or `node --import tsx`), and tsx's loader if
 * they do not load TypeScript (a test runner's process).
 */
const childFlags = (): ReadonlyArray<string> =>
  bundleDir !== null || compiled
    ? withoutTsx(process.execArgv)
    : process.execArgv.some((flag) => flag.includes("tsx"))
    ? process.execArgv
    : [...process.execArgv, "--import", pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href]

/** How long a worker may take to load and build its driver. */
const READY_MS = 60_000

interface Child {
  readonly process: ChildProcess
  readonly pending: Map<number, (reply: FromWorker) => void>
  /** Its last lines on stderr, for the message if it dies. */
  stderr: string
  /** Why it can no longer answer, once it cannot. */
  gone: string | null
}

const tail = (text: string) => text.trim().split("\n").slice(-2).join(" / ").slice(0, 300)

const start = (index: number, driver: StoreDriverName, config: string | null): Effect.Effect<Child, WorkersUnavailable> =>
  Effect.async<Child, WorkersUnavailable>((resume) => {
    const child: Child = {
      // This runtime, with the flags its module needs (`childFlags`); its own process group, so
      // that a terminal's Ctrl-C reaches the run, which stops its workers itself.
      // Its argument: the run's pid, so that `ps` (and a test) can tell whose worker it is.
      process: fork(childModule, [String(process.pid)], {
        execArgv: [...childFlags()],
        serialization: "advanced",
        detached: true,
        stdio: ["ignore", "ignore", "pipe", "ipc"]
      }),
      pending: new Map(),
      stderr: "",
      gone: null
    }
    let ready = false
    const timer = setTimeout(() => {
      if (!ready) {
        child.process.kill("SIGKILL")
        resume(Effect.fail(new WorkersUnavailable({ detail: `--workers: worker ${index + 1} did not start within ${READY_MS / 1000} s` })))
      }
    }, READY_MS)
    // A channel closed from both ends at once (the run stopping a worker that is exiting) is no error of the run's.
    child.process.on("error", () => undefined)
    child.process.stderr?.on("data", (chunk: Buffer) => {
      child.stderr = (child.stderr + chunk.toString()).slice(-4_000)
    })
    child.process.on("message", (message: FromWorker) => {
      if (message.kind === "ready") {
        ready = true
        clearTimeout(timer)
        resume(Effect.succeed(child))
      } else {
        child.pending.get(message.id)?.(message)
        child.pending.delete(message.id)
      }
    })
    child.process.on("exit", (code, signal) => {
      child.gone = `worker ${index + 1} exited (${signal ?? `code ${code}`})${child.stderr === "" ? "" : `: ${tail(child.stderr)}`}`
      if (!ready) {
        clearTimeout(timer)
        resume(Effect.fail(new WorkersUnavailable({ detail: `--workers: ${child.gone}` })))
      }
      for (const [, reply] of child.pending) reply({ kind: "failed", id: -1, error: { _tag: "StoreError", fields: { operation: "worker", detail: child.gone } } })
      child.pending.clear()
    })
    const setup: ToWorker = { kind: "setup", driver, config }
    child.process.send(setup)
    return Effect.sync(() => child.process.kill("SIGKILL"))
  })

/** Stop a worker: its channel closed (it exits on its own at once), then killed if it lingers. */
const stop = (child: Child): Effect.Effect<void> =>
  Effect.promise(() =>
    stopChild(child.process, () => (child.process.connected ? child.process.disconnect() : child.process.kill("SIGTERM")), 2_000)
  )

let nextId = 0

const ask = (child: Child, request: PartRequest): Effect.Effect<ActorsPart, StoreError> =>
  Effect.async<ActorsPart, StoreError>((resume) => {
    if (child.gone !== null) return resume(Effect.fail(new StoreError({ operation: "worker", detail: child.gone })))
    const id = nextId++
    child.pending.set(id, (reply) =>
      resume(
        reply.kind === "done"
          ? Effect.succeed(decodePart(reply.part))
          : reply.kind === "failed"
          ? Effect.fail(storeErrorOf(reply.error))
          : Effect.fail(new StoreError({ operation: "worker", detail: "an answer out of turn" }))
      ))
    const message: ToWorker = { kind: "part", id, request }
    child.process.send(message)
    return Effect.sync(() => void child.pending.delete(id))
  })

/** `count` workers on `driver`, started together and stopped with the scope. */
export const workersLayer = (
  count: number,
  driver: StoreDriverName,
  /** The run's config file, loaded by each worker (its mitigations registered there too). */
  config: string | null = null
): Layer.Layer<Workers, WorkersUnavailable> =>
  Layer.scoped(
    Workers,
    Effect.gen(function*() {
      const children = yield* Effect.forEach(
        Array.from({ length: count }, (_, i) => i),
        (i) => Effect.acquireRelease(start(i, driver, config), stop),
        { concurrency: "unbounded" }
      )
      return {
        count,
        run: (index, request) => {
          const child = children[index]
          return child === undefined
            ? Effect.fail(new StoreError({ operation: "worker", detail: `no worker ${index + 1}` }))
            : ask(child, request)
        }
      }
    })
  )

/** Near-equal shares of `n` in `k` parts, the larger first. */
const shares = (n: number, k: number): ReadonlyArray<number> =>
  Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0))

/**
 * A trial's actors across the workers: as many shares as workers (at most
 * one per actor), files and concurrency split near-equally, run together;
 * their samples recorded here, and everything merged into one part.
 */
export const inParts = (
  workers: WorkersShape,
  spec: Pick<ExperimentSpec, "dbPath" | "concurrency" | "profile" | "seed" | "retry" | "scenario" | "clock" | "labels">,
  parts: PartsSpec,
  paths: ReadonlyArray<string>,
  recorder: Recorder
): Effect.Effect<ActorsPart, StoreError> =>
  Effect.gen(function*() {
    const k = Math.min(workers.count, spec.concurrency, paths.length)
    const concurrency = shares(spec.concurrency, k)
    const sizes = shares(paths.length, k)
    const requests = sizes.map((size, i): PartRequest => {
      const from = sizes.slice(0, i).reduce((a, b) => a + b, 0)
      return {
        dbPath: spec.dbPath,
        paths: paths.slice(from, from + size),
        concurrency: concurrency[i] ?? 1,
        profile: spec.profile,
        seed: spec.seed,
        retry: spec.retry,
        scenario: spec.scenario,
        clock: spec.clock,
        labels: { ...spec.labels, worker: String(i + 1) },
        mitigations: parts.mitigations,
        batch: parts.batch,
        poolSize: parts.poolSize
      }
    })
    const results = yield* Effect.forEach(requests, (request, i) => workers.run(i, request), { concurrency: "unbounded" })
    const merged = merge(results)
    yield* recorder.recordAll(merged.samples)
    return merged
  })

const sum = (values: ReadonlyArray<number>) => values.reduce((a, b) => a + b, 0)

/** The workers' parts as one: the longest elapsed, everything else added up or put together. */
export const merge = (parts: ReadonlyArray<ActorsPart>): ActorsPart => {
  const longest = parts.reduce((a, b) => (b.elapsedMs > a.elapsedMs ? b : a))
  const ledger = new Map<string, number>()
  const byEvent = new Map<Parameters<ActorsPart["byEvent"]["get"]>[0], number>()
  for (const part of parts) {
    for (const [path, n] of part.ledger) ledger.set(path, (ledger.get(path) ?? 0) + n)
    for (const [event, n] of part.byEvent) byEvent.set(event, (byEvent.get(event) ?? 0) + n)
  }
  const recovered = parts.flatMap((p) => (p.recovery === null ? [] : [p.recovery]))
  return {
    elapsedMs: longest.elapsedMs,
    skippedMs: longest.skippedMs,
    samples: concatSamples(parts.map((p) => p.samples)),
    outcomes: parts.flatMap((p) => p.outcomes),
    failures: parts.flatMap((p) => p.failures),
    maxInFlight: sum(parts.map((p) => p.maxInFlight)),
    strategy: longest.strategy,
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
    workers: parts.length
  }
}
