/**
 * A run put together from its configuration, in one place: its own
 * mitigations and contrast driver built up front, where its database comes
 * from (the store's target), the batch a given database holds, its output
 * checked, how its actors are executed (fibers in this process, or runners
 * on `@effect/cluster`), what watches it; then the measured run, its files
 * written, and what it gave handed to its presentation.
 */
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { backendNamed, driverLayer, driverNamed, ownDrivers } from "../backends/all.ts"
import { Executor } from "../actor/executor.ts"
import { probeMitigations } from "../mitigations/probe.ts"
import { MitigationRegistry, type Registry } from "../mitigations/registry.ts"
import { hearSignals, stopSignal } from "../process/signals.ts"
import { type Exporter, outputFiles } from "../report/exporter.ts"
import { fileExporters } from "../report/exporters.ts"
import { traceJson } from "../telemetry/traceFile.ts"
import { checkNewFile, prepareOutDir, type Reservation, reserveNames, writeNewFile } from "../results/files.ts"
import type { ResultsDocument } from "../results/schema.ts"
import type { BatchSummary } from "../store/store.ts"
import { connectionsNeeded, type Target, type TargetError } from "../store/target.ts"
import type { Driver } from "../store/driver.ts"
import type * as Scope from "effect/Scope"
import { endpointLine, runnerWatch, watchRun, type WatchSpec } from "../telemetry/watch.ts"
import { type BenchConfig, processesOf } from "./config.ts"
import { badInput, type BenchError } from "./errors.ts"
import { type Collected, collector, documentOf, measureBench, type MeasuredDocument } from "./execute.ts"
import { planOf } from "./plan.ts"
import { type Progress, silent } from "./progress.ts"
import { batchIn, resumeBatch, type ResumeReport } from "./resume.ts"

/** What a run gave: its document and the files written, or (`--resume`) the batch it finished. */
export type Shown =
  | { readonly kind: "results"; readonly doc: ResultsDocument; readonly written: ReadonlyArray<string> }
  | { readonly kind: "resumed"; readonly label: string; readonly report: ResumeReport }

/** How a run shows itself: its progress, its lines on stderr, and what it gave (the terminal report, or nothing). */
export interface Presentation {
  readonly progress: Layer.Layer<Progress>
  /** Whether it says what it does on stderr (where the endpoint listens, that the files are being written). */
  readonly announce: boolean
  /** What the run gave, shown while its scope is open (an interruption then still says where its files are). */
  readonly present: (shown: Shown) => Effect.Effect<void>
}

/** A run that shows nothing: `runBench`'s. */
export const quietly: Presentation = { progress: silent, announce: false, present: () => Effect.void }

/** The exit code of what a run gave: 0 PASS, 1 FAIL or INCOMPLETE, 3 integrity broken. */
export const exitCodeOf = (shown: Shown): 0 | 1 | 3 =>
  shown.kind === "resumed"
    ? (shown.report.integrity.ok ? 0 : 3)
    : !shown.doc.integrity.ok
    ? 3
    : shown.doc.gate.verdict === "PASS"
    ? 0
    : 1

const watchSpecOf = (config: BenchConfig): WatchSpec => ({
  metrics: config.metricsPort === null ? null : { host: config.metricsHost, port: config.metricsPort },
  otlp: config.otlp
})

/** Where the endpoint listens, and its runners' when the run has local runners. */
const endpointAnnouncement = (config: BenchConfig, watch: WatchSpec): string | null => {
  if (watch.metrics === null) return null
  const [first, last] = [runnerWatch(watch, 0).metrics, runnerWatch(watch, config.workers - 1).metrics]
  const runnersAt = config.workers > 1 && first !== null && last !== null ? `; its runners' at ports ${first.port}-${last.port}` : ""
  return `${endpointLine(watch.metrics)}${runnersAt}`
}

/** A config's own mitigations built once: one that cannot be is bad input, before anything runs. */
const probeOwn = (config: BenchConfig, registry: Registry) =>
  Effect.gen(function*() {
    if (config.store !== "sqlite" || config.resume) return
    const problem = yield* probeMitigations(registry, { batchSize: config.batchSize, poolSize: config.poolSize })
    if (problem !== null) return yield* badInput(registry.configPath === null ? problem : `config ${registry.configPath}: ${problem}`)
  })

/** The contrast driver, built up front: one that cannot load is refused before anything runs (`--resume` has none). */
const contrastOf = (config: BenchConfig, registry: Registry) =>
  config.contrast === null || config.resume
    ? Effect.succeed(null)
    : Effect.map(Layer.build(driverLayer(driverNamed(config.contrast, ownDrivers(registry)) ?? config.contrast, "--contrast")), (context) => ({
      name: config.contrast ?? "",
      context
    }))

/** Where the run's database comes from: its store's backend's target. */
const targetOf = (config: BenchConfig, registry: Registry): Effect.Effect<Target, TargetError | BenchError, Scope.Scope | Driver> =>
  Effect.suspend((): Effect.Effect<Target, TargetError | BenchError, Scope.Scope | Driver> => {
    const backend = backendNamed(config.store, registry.backends)
    if (backend === undefined) return Effect.fail(badInput(`--store ${config.store}: no such store`))
    const connections = connectionsNeeded({ concurrency: Math.max(...config.concurrency), workers: processesOf(config), poolSize: config.poolSize })
    return backend.target({ db: config.db, pgUrl: config.pgUrl, connections })
  })

/** The batch a database of the user's holds: none (a new or empty one), or one to finish, replace, or refuse for. */
const batchHeld = (config: BenchConfig, given: NonNullable<Target<unknown>["given"]>) =>
  Effect.gen(function*() {
    const held = given.empty ? null : yield* batchIn(given.path)
    if (config.resume && held === null) return yield* badInput(`${given.flag} ${given.label}: holds no batch to resume`)
    if (held !== null && !config.resume && !config.fresh) {
      const unfinished = held.files - held.byState.indexed - held.byState.failed
      return yield* badInput(
        `${given.flag} ${given.label}: holds a batch of ${held.files} files (${unfinished} not finished); ` +
          "--fresh replaces it with this run's, --resume finishes it"
      )
    }
    return held
  })

/** `--resume`: the batch the given database holds, finished and checked. */
const resume = (config: BenchConfig, given: NonNullable<Target<unknown>["given"]>, held: BatchSummary) =>
  Effect.gen(function*() {
    const unfinished = held.files - held.byState.indexed - held.byState.failed
    yield* Console.error(`resuming ${given.label}: ${unfinished} of ${held.files} files not finished`)
    const report = yield* resumeBatch(config, given.path).pipe(
      // What was committed stays committed: the batch is as far as it got, and another --resume takes it on from there.
      Effect.onInterrupt(() =>
        Console.error(`interrupted (${stopSignal()}) while resuming ${given.label}: what it committed stays; --resume again finishes the batch`)
      )
    )
    return { kind: "resumed", label: given.label, report } satisfies Shown
  })

/** The runners, started once for the whole run (each loads the tool, its driver and the config file); none for one process. */
const executorOf = (config: BenchConfig, registry: Registry, watch: WatchSpec) =>
  config.runners.length > 0 && config.clusterUrl !== null
    ? Effect.flatMap(
      Effect.promise(() => import("../cluster/remote.ts")),
      ({ remoteCluster }) => Layer.build(remoteCluster(config.runners, config.clusterUrl ?? ""))
    )
    : config.workers > 1
    ? Effect.flatMap(
      Effect.promise(() => import("../cluster/local.ts")),
      ({ localCluster }) => Layer.build(localCluster(config.workers, config.driver, registry.configPath, watch))
    )
    : Effect.succeed(null)

/**
 * The exporters' files written; a body already rendered (by exporter name)
 * is not rendered again. All or none: the files name each other, so when one
 * cannot be written (a full disk), those written before it are taken back,
 * and no file names one that is not there.
 */
const write = (
  doc: ResultsDocument,
  exporters: ReadonlyArray<Exporter>,
  reserved: Reservation,
  rendered: ReadonlyMap<string, string | null> = new Map()
) => {
  const written: Array<string> = []
  return Effect.forEach(exporters, (exporter) =>
    Effect.flatMap(rendered.has(exporter.name) ? Effect.succeed(rendered.get(exporter.name) ?? null) : exporter.render(doc), (body) =>
      body === null || exporter.file === null
        ? Effect.void
        : Effect.map(reserved.fill(exporter.file(reserved.suffix), body), (p) => void written.push(p))), { discard: true }).pipe(
      Effect.as(written),
      Effect.tapError(() => Effect.forEach(written, reserved.unfill, { discard: true }))
    )
}

/** The document with the names of the files it will be written to (null for a run that writes none). */
const named = (doc: MeasuredDocument, reserved: Reservation | null, report: boolean): ResultsDocument => ({
  ...doc,
  files: reserved === null ? null : outputFiles(fileExporters, reserved.suffix, { mitigation: doc.comparisons !== null, report })
})

const withoutReport = Object.values(fileExporters).filter((e) => e.name !== "report")

/**
 * An interrupted run: the configurations it completed, written as a result
 * document marked partial (and its summary), and one line saying so. The
 * HTML report is left out: rendering it would hold the exit up by seconds.
 */
const writePartial = (
  config: BenchConfig,
  registry: Registry,
  run: { readonly createdAt: string; readonly dbLabel: string; readonly collected: Collected },
  reserved: Reservation
) =>
  Effect.gen(function*() {
    const signal = stopSignal()
    const { environment, runs } = run.collected
    const planned = planOf(config, registry).cells.length
    if (environment === null || runs.length === 0) {
      return yield* Console.error(`interrupted (${signal}) before any configuration completed: nothing written`)
    }
    const doc = named(
      documentOf(config, run, { environment, runs, comparisons: null, contrast: null, partial: true, calibration: run.collected.calibration }, registry),
      reserved,
      false
    )
    const written = yield* write(doc, withoutReport, reserved)
    yield* Console.error(
      `interrupted (${signal}) after ${runs.length} of ${planned} configurations; partial results (marked "partial": true) ` +
        `in ${written.join(", ")}`
    )
  }).pipe(Effect.catchAll((e) => Console.error(`interrupted (${stopSignal()}); partial results not written: ${e.message}`)))

/**
 * The measured document written: the HTML report rendered first (seconds,
 * interruptible), then every file at once, uninterruptibly, so that a
 * document never names a file that is not there. Interrupted while
 * rendering, the results are written without the report, and a line says so.
 */
const writeResults = (
  measured: { readonly doc: MeasuredDocument; readonly trace: Parameters<typeof traceJson>[0] | null },
  reserved: Reservation | null,
  trace: string | null
) =>
  Effect.gen(function*() {
    const doc = named(measured.doc, reserved, true)
    const report = reserved === null ? null : yield* fileExporters.report.render(doc).pipe(
      // A signal that came while the report rendered (its libraries load synchronously) is heard before the files are written.
      Effect.zipLeft(hearSignals),
      Effect.onInterrupt(() =>
        Effect.flatMap(
          write(named(measured.doc, reserved, false), withoutReport, reserved),
          (paths) => Console.error(`interrupted (${stopSignal()}) while rendering the HTML report: the results are complete without it, in ${paths.join(", ")}`)
        ).pipe(Effect.catchAll((e) => Console.error(`interrupted (${stopSignal()}); results not written: ${e.message}`))))
    )
    const written = yield* Effect.uninterruptible(Effect.map(
      Effect.all([
        reserved === null
          ? Effect.succeed([])
          : write(doc, Object.values(fileExporters), reserved, new Map([[fileExporters.report.name, report]])),
        trace === null || measured.trace === null ? Effect.succeed([]) : Effect.map(writeNewFile(trace, traceJson(measured.trace)), (p) => [p])
      ]),
      (lists) => lists.flat()
    ))
    // Written: an interruption from here on says where the results are.
    yield* Effect.addFinalizer((exit) =>
      Exit.isInterrupted(exit) ? Console.error(`interrupted (${stopSignal()}) after the results were written: ${written.join(", ")}`) : Effect.void
    )
    return { doc, written }
  })

/** The matrix measured on the open database, by the executor, watched, with its partial results written if interrupted. */
const measure = (
  config: BenchConfig,
  registry: Registry,
  run: {
    readonly database: { readonly path: string; readonly label: string }
    readonly contrast: Effect.Effect.Success<ReturnType<typeof contrastOf>>
    readonly executor: Context.Context<Executor> | null
    readonly reserved: Reservation | null
    readonly watch: WatchSpec
    readonly createdAt: string
  },
  presentation: Presentation
) =>
  Effect.gen(function*() {
    const createdAt = run.createdAt
    const target = {
      dbPath: run.database.path,
      dbLabel: run.database.label,
      createdAt,
      trace: config.trace !== null,
      spans: config.otlp !== null,
      collected: collector(),
      contrast: run.contrast
    }
    const announced = endpointAnnouncement(config, run.watch)
    const listening = announced === null || !presentation.announce ? Effect.void : Console.error(announced)
    return yield* watchRun(run.watch, { "upload_fsm.run": createdAt, "upload_fsm.driver": config.driver }, listening, measureBench(config, target)).pipe(
      run.executor === null ? (effect) => effect : Effect.provide(run.executor),
      Effect.provide(presentation.progress),
      Effect.onInterrupt(() => run.reserved === null ? Effect.void : writePartial(config, registry, target, run.reserved))
    )
  })

/**
 * The run of a configuration with a registry: the store checked, the
 * matrix measured, the files written (unless `config.out` is null), and
 * what it gave presented.
 */
export const assembleRun = (config: BenchConfig, registry: Registry, presentation: Presentation) => {
  // Until measuring (or resuming) begins, an interruption has nothing to write, and says so once everything is undone.
  const started = { measuring: false }
  return Effect.gen(function*() {
    const watch = watchSpecOf(config)
    yield* probeOwn(config, registry)
    const contrast = yield* contrastOf(config, registry)
    // The database: a Postgres server's (--pg-url's, checked here; a throwaway one, started once every other check has
    // passed), or a SQLite file (--db's, checked here, or a temporary one).
    const target = yield* targetOf(config, registry)
    return yield* withTarget(config, registry, presentation, { watch, contrast, target, started }).pipe(
      Effect.catchTag("ForeignDatabase", (e) => Effect.fail(badInput(`${target.named}: ${e.message}`)))
    )
  }).pipe(
    Effect.provideService(MitigationRegistry, registry),
    Effect.scoped,
    Effect.provide(driverLayer(driverNamed(config.driver, ownDrivers(registry)) ?? config.driver, "--driver", registry.backends)),
    // Bad input from the run's parts, each one line: the user's to fix (exit 2).
    Effect.catchTags({
      DatabasePathError: (e) => Effect.fail(badInput(e.message)),
      OutputError: (e) => Effect.fail(badInput(e.message)),
      DriverUnavailable: (e) => Effect.fail(badInput(e.message)),
      DatabaseUnavailable: (e) => Effect.fail(badInput(e.message)),
      ClusterUnavailable: (e) => Effect.fail(badInput(e.message)),
      TelemetryUnavailable: (e) => Effect.fail(badInput(e.message))
    }),
    Effect.onInterrupt(() =>
      started.measuring ? Effect.void : Console.error(`interrupted (${stopSignal()}) while starting: nothing was run or written`)
    )
  )
}

/** The run on its target: the batch a given database holds, the output checked, the database opened, measured, written. */
const withTarget = (
  config: BenchConfig,
  registry: Registry,
  presentation: Presentation,
  run: {
    readonly watch: WatchSpec
    readonly contrast: Effect.Effect.Success<ReturnType<typeof contrastOf>>
    readonly target: Target
    /** Set once measuring (or resuming) begins: from then on, an interruption says what it left. */
    readonly started: { measuring: boolean }
  }
) =>
  Effect.gen(function*() {
    const { watch, contrast, target, started } = run
    const held = target.given === null ? null : yield* batchHeld(config, target.given)
    if (config.resume && target.given !== null && held !== null) {
      started.measuring = true
      const at = new Date(yield* Clock.currentTimeMillis).toISOString()
      const shown = yield* watchRun(watch, { "upload_fsm.run": at, "upload_fsm.driver": config.driver }, Effect.void, resume(config, target.given, held))
      yield* presentation.present(shown)
      return shown
    }
    if (config.trace !== null) yield* checkNewFile("--trace", config.trace)
    if (config.out !== null) yield* prepareOutDir(config.out)
    const database = yield* target.open
    const createdAt = new Date(yield* Clock.currentTimeMillis).toISOString()
    const out = config.out
    const reserved = out === null
      ? null
      : yield* reserveNames(out, createdAt, (s) => Object.values(fileExporters).flatMap((e) => (e.file === null ? [] : [e.file(s)])))
    const executor = yield* executorOf(config, registry, watch)
    started.measuring = true
    const measured = yield* measure(config, registry, { database, contrast, executor, reserved, watch, createdAt }, presentation)
    if (reserved !== null && presentation.announce) yield* Console.error(`measured; writing the results and the HTML report in ${out}`)
    const { doc, written } = yield* writeResults(measured, reserved, config.trace)
    const shown: Shown = { kind: "results", doc, written }
    yield* presentation.present(shown)
    // One that came while the files were written is heard while the line saying where they are still applies.
    yield* hearSignals
    return shown
  })
