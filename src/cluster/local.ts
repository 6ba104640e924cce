/**
 * `--workers N`: N runners on this machine, each a process of its own on a
 * loopback port, started once per run and stopped with it. They keep the
 * cluster's state (their registrations, health and shard locks) in a
 * SQLite file of their own in a temporary folder (removed after): nothing of
 * the cluster's is written to the store being measured, nor to its server.
 */
import { type ChildProcess, fork } from "node:child_process"
import * as net from "node:net"
import process from "node:process"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { bundleDir } from "../process/bundled.ts"
import { stopChild } from "../process/childProcess.ts"
import { temporaryDatabase } from "../backends/sqlite/dbFile.ts"
import type { Executor } from "../actor/executor.ts"
import { clusterLayer, ClusterUnavailable } from "./client.ts"
import type { ClusterStorage } from "./storage.ts"
import { runnerWatch, type WatchSpec } from "../telemetry/watch.ts"

/** What a local runner is told when it starts. */
export interface LocalSetup {
  readonly host: string
  readonly port: number
  readonly storage: ClusterStorage
  readonly driver: string
  /** The run's config file: the runner loads it too, so that its mitigations are registered there. */
  readonly config: string | null
  /** What the runner exports when the run is watched: its own Prometheus endpoint, the run's OTLP collector. */
  readonly watch: WatchSpec
}

/** Whether this code runs compiled to JavaScript (the package's `dist/`), not from its TypeScript sources. */
const compiled = import.meta.url.endsWith(".js")

/** The runner's module: the bundle's when this code runs from it (`launch.ts`), else the one beside this file. */
const childModule = bundleDir === null
  ? fileURLToPath(new URL(compiled ? "./child.js" : "./child.ts", import.meta.url))
  : path.join(bundleDir, "runner.mjs")

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
 * The runner's runtime flags: for the bundle's runner (plain JavaScript), this
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

/** How long a runner may take to load, build its driver and register. */
const READY_MS = 60_000

const tail = (text: string) => text.trim().split("\n").slice(-2).join(" / ").slice(0, 300)

/** A free TCP port on loopback (asked of the kernel, then let go for the runner to take). */
const freePort: Effect.Effect<number, ClusterUnavailable> = Effect.async((resume) => {
  const server = net.createServer()
  server.once("error", (e) => resume(Effect.fail(new ClusterUnavailable({ detail: `--workers: no free loopback port: ${e.message}` }))))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** A local runner's process, with what it said on stderr (for the line if it dies) and a promise of its exit. */
interface LocalRunner {
  readonly address: string
  readonly process: ChildProcess
  readonly exited: Promise<string>
}

const start = (index: number, setup: LocalSetup): Effect.Effect<LocalRunner, ClusterUnavailable> =>
  Effect.async<LocalRunner, ClusterUnavailable>((resume) => {
    // This runtime, with the flags its module needs (`childFlags`); its own process group, so that a terminal's
    // Ctrl-C reaches the run, which stops its runners itself. Its argument: the run's pid, so that `ps` (and a
    // test) can tell whose runner it is.
    const child = fork(childModule, [String(process.pid)], {
      execArgv: [...childFlags()],
      detached: true,
      stdio: ["ignore", "ignore", "pipe", "ipc"]
    })
    let stderr = ""
    let ready = false
    const exited = new Promise<string>((resolve) =>
      child.once("exit", (code, signal) =>
        resolve(`runner ${index + 1} (${setup.host}:${setup.port}) exited (${signal ?? `code ${code}`})${stderr === "" ? "" : `: ${tail(stderr)}`}`))
    )
    const timer = setTimeout(() => {
      if (!ready) {
        child.kill("SIGKILL")
        resume(Effect.fail(new ClusterUnavailable({ detail: `--workers: runner ${index + 1} did not start within ${READY_MS / 1000} s` })))
      }
    }, READY_MS)
    // A channel closed from both ends at once (the run stopping a runner that is exiting) is no error of the run's.
    child.on("error", () => undefined)
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4_000)
    })
    child.once("message", () => {
      ready = true
      clearTimeout(timer)
      resume(Effect.succeed({ address: `${setup.host}:${setup.port}`, process: child, exited }))
    })
    void exited.then((line) => {
      if (!ready) {
        clearTimeout(timer)
        resume(Effect.fail(new ClusterUnavailable({ detail: `--workers: ${line}` })))
      }
    })
    child.send(setup)
    return Effect.sync(() => child.kill("SIGKILL"))
  })

/** Stop a runner: its channel closed (it exits on its own at once), then killed if it lingers. */
const stop = (runner: LocalRunner): Effect.Effect<void> =>
  Effect.promise(() => stopChild(runner.process, () => (runner.process.connected ? runner.process.disconnect() : runner.process.kill("SIGTERM")), 2_000))

/** `count` runners on loopback serving `driver`, and the run's process their client; all stopped with the scope. */
export const localCluster = (
  count: number,
  driver: string,
  /** The run's config file, loaded by each runner (its mitigations registered there too). */
  config: string | null = null,
  /** The run's watching: each runner serves its metrics on the port after the run's (the i-th runner at +i) and exports to its collector. */
  watch: WatchSpec = { metrics: null, otlp: null }
): Layer.Layer<Executor, ClusterUnavailable> =>
  Layer.unwrapScoped(Effect.gen(function*() {
    // A temporary folder of the run's own (removed with it, or by a later run if this one is killed).
    const file = yield* Effect.mapError(temporaryDatabase, (e) => new ClusterUnavailable({ detail: `--workers: ${e.message}` }))
    const storage: ClusterStorage = { kind: "sqlite", file: path.join(path.dirname(file), "cluster.db") }
    const ports = yield* Effect.forEach(Array.from({ length: count }), () => freePort)
    const runners = yield* Effect.forEach(
      ports,
      (port, i) => Effect.acquireRelease(start(i, { host: "127.0.0.1", port, storage, driver, config, watch: runnerWatch(watch, i) }), stop),
      { concurrency: "unbounded" }
    )
    return clusterLayer({
      runners: runners.map((r) => r.address),
      storage,
      gone: (address) => {
        const runner = runners.find((r) => r.address === address)
        return runner === undefined ? Effect.never : Effect.promise(() => runner.exited)
      }
    })
  }))
