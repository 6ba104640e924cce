/**
 * `overhead`: what this tool costs on top of the storage work it measures,
 * against the overhead bars below, each figure from a bench run in its own
 * process (as a user runs it):
 * - per strategy at c=10 zero (the full ladder, medians of the trials): the
 *   storage floor, elapsed, efficiency (floor ÷ elapsed) and runtime_ms;
 * - where each strategy's elapsed time goes, measured in this process: what
 *   10 files in flight cost the store itself (the floor's loop at c=10 less
 *   at c=1) and the harness alone (`floor/harness.ts`), the rest being what
 *   the two cost each other;
 * - the time to the first trial and the peak RSS of a small run (fixed cost);
 * - elapsed, wall time and peak RSS at each `--scale` file count (c=50 zero,
 *   one trial), and the time ratio between the largest and the smallest.
 * It prints a table per part and a line per bar; exit 0 when every bar is
 * met, 1 when one is not.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import process from "node:process"
import { fileURLToPath } from "node:url"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { median } from "../metrics/bootstrap.ts"
import { shortLabel, table } from "../report/format.ts"
import type { ResultsDocument, RunResult } from "../results/schema.ts"
import { builtInRegistry, floorPlan, namesOf } from "../mitigations/registry.ts"
import { measureHarness } from "../floor/harness.ts"
import { measureFloor } from "../floor/measure.ts"
import { HAPPY_PATH } from "../lifecycle/fsm.ts"
import { driverLayer } from "../backends/all.ts"
import { filePath, migrate, withDatabase } from "../store/store.ts"
import { Drivers } from "../backends/all.ts"
import { choice, integer, integerProblem, list, optionsOf } from "./flags.ts"
import { EXIT, subcommand } from "./program.ts"

const overheadFlags = {
  driver: choice("driver", Drivers, { group: "workload", description: "the driver measured", fallback: "better-sqlite3" }),
  files: integer("files", { group: "workload", description: "files per configuration of the strategy part", bounds: { min: 1, max: 100_000 }, fallback: 818 }),
  trials: integer("trials", { group: "statistics", description: "counted trials per strategy (medians of these)", bounds: { min: 1, max: 100 }, fallback: 5 }),
  rounds: integer("rounds", { group: "statistics", description: "small runs timed for the fixed cost (their median)", bounds: { min: 1, max: 20 }, fallback: 3 }),
  scale: list("scale", {
    group: "workload",
    description: "file counts of the scaling part (c=50 zero, one trial each)",
    item: (part) => {
      const problem = integerProblem(part, { min: 1, max: 1_000_000 })
      return problem === null ? Either.right(Number(part)) : Either.left(problem)
    },
    fallback: "10000,100000"
  })
}

/** The overhead bars: the least efficiency, the longest first trial and the most peak RSS the tool allows itself. */
export const BARS = {
  baselineEfficiency: 0.6,
  stepEfficiency: 0.5,
  firstTrialMs: 500,
  defaultRssMiB: 150,
  largeRssMiB: 400,
  largeFiles: 100_000,
  timeRatio: 11
} as const

interface Child {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly wallSeconds: number
}

const benchProgram = fileURLToPath(new URL("../../programs/bench.ts", import.meta.url))

/** The bench in a new process of this runtime (its loader flags kept: tsx under tsx), with debug logs. */
const runBench = (args: ReadonlyArray<string>): Effect.Effect<Child> =>
  Effect.async<Child>((resume) => {
    const started = performance.now()
    const child = spawn(process.execPath, [...process.execArgv, benchProgram, ...args, "--log-level", "debug"], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    child.on("close", (code) => resume(Effect.succeed({ code, stdout, stderr, wallSeconds: (performance.now() - started) / 1000 })))
    return Effect.sync(() => child.kill("SIGTERM"))
  })

const debugNumber = (stderr: string, pattern: RegExp): number | null => {
  const m = pattern.exec(stderr)
  return m?.[1] === undefined ? null : Number(m[1])
}
const firstTrialMs = (stderr: string) => debugNumber(stderr, /first trial starts (\d+) ms after process start/)
const firstTrialCpuMs = (stderr: string) => debugNumber(stderr, /after process start \((\d+) ms CPU/)
const peakRss = (stderr: string) => debugNumber(stderr, /process: peak RSS ([\d.]+) MiB/)
/** Where the bench's code came from (`launch.ts`): the bundle, or the sources and why. */
const codeOrigin = (stderr: string) => /after process start [^\n]*; code: ([^"\n]*)/.exec(stderr)?.[1] ?? "not said"

const documentOf = (child: Child, what: string): Effect.Effect<ResultsDocument, string> => {
  if (child.code !== 0 && child.code !== 1) {
    return Effect.fail(`${what}: the bench exited ${child.code}: ${child.stderr.trim().split("\n").slice(-3).join(" / ")}`)
  }
  try {
    // The bench wrote it with the results Schema: its shape is that document's.
    return Effect.succeed(JSON.parse(child.stdout) as ResultsDocument)
  } catch {
    return Effect.fail(`${what}: the bench printed no result document`)
  }
}

const fixed = (x: number | null, digits: number) => (x === null ? "-" : x.toFixed(digits))
const verdict = (ok: boolean) => (ok ? "met" : "NOT MET")

interface OverheadOptions {
  readonly driver: (typeof Drivers)[number]
  readonly files: number
  readonly trials: number
  readonly rounds: number
  readonly scale: ReadonlyArray<number>
}

/** What the parts of the measurement share: the options, the scratch folder, the bench's common flags, the bars judged so far. */
interface Ctx {
  readonly o: OverheadOptions
  readonly dir: string
  readonly common: ReadonlyArray<string>
  readonly bars: Array<readonly [string, boolean]>
}

/** 1. Every strategy at c=10 zero, in a bench run of its own: floor, elapsed, efficiency and runtime_ms, against the bars. */
const strategiesPart = (c: Ctx) =>
  Effect.gen(function*() {
    const { o } = c
    yield* Console.error(`strategies: c=10 zero, ${o.files} files, full ladder, ${o.trials} trials each`)
    const child = yield* runBench([
      ...c.common, "--files", String(o.files), "--concurrency", "10", "--ladder", "full", "--trials", String(o.trials), "--warmup", "1"
    ])
    const ladder = yield* documentOf(child, "strategies")
    const strategies: ReadonlyArray<RunResult> = [
      ...ladder.runs.filter((r) => r.concurrency === 10),
      ...(ladder.comparisons?.steps ?? []).map((s) => s.after)
    ]
    yield* Console.log(table(
      ["strategy", "floor s", "elapsed s", "efficiency", "runtime_ms mean", "bar", "verdict"],
      strategies.map((r) => {
        const bar = r.mitigation === "baseline" ? BARS.baselineEfficiency : BARS.stepEfficiency
        const ok = r.efficiency !== null && r.efficiency >= bar
        c.bars.push([`efficiency of ${r.mitigation} ≥ ${bar}`, ok])
        return [shortLabel(r.mitigation, ladder.catalog), fixed(r.floor?.elapsedSeconds ?? null, 3), r.elapsedSeconds.toFixed(3), fixed(r.efficiency, 2), r.segments.runtime_ms.mean.toFixed(3), `≥ ${bar}`, verdict(ok)]
      }),
      0
    ))
    return { child, ladder, strategies }
  })

/**
 * Where one strategy's elapsed time goes: the storage work alone (the floor),
 * what running it 10 files at a time costs the store itself (the same loop
 * interleaved, `floor/floor.ts`), the harness alone (the same actors on a
 * stand-in store in memory, `floor/harness.ts`), and the rest. Both measured
 * in this process.
 */
const splitRow = (c: Ctx, ladder: ResultsDocument, r: RunResult, floorDb: string) =>
  Effect.gen(function*() {
    const { o } = c
    const replay = new Map(Array.from({ length: o.files }, (_, i) => [filePath(i + 1), HAPPY_PATH] as const))
    const mitigations = r.mitigation === "baseline" ? [] : r.mitigation.split("+").filter((m) => namesOf(builtInRegistry).includes(m))
    const how = floorPlan(builtInRegistry, mitigations, {
      dbPath: floorDb,
      batch: { batchSize: ladder.config.batchSize, failBatch: null },
      poolSize: ladder.config.poolSize
    })
    if ("none" in how) return yield* Effect.fail(`the floor of ${r.mitigation}: ${how.none}`)
    // The same floor one file at a time and 10 at a time, in this process, one after the other: their difference.
    const floorAt = (concurrency: number) =>
      measureFloor({ dbPath: floorDb, files: o.files, seed: ladder.config.seed, replay, parts: how.parts, runs: o.trials, concurrency }).pipe(
        Effect.provide(driverLayer(o.driver)),
        Effect.mapError((e) => `the floor at c=${concurrency} (${r.mitigation}): ${e.message}`)
      )
    const at1 = yield* floorAt(1)
    const at10 = yield* floorAt(10)
    const harness = yield* measureHarness({
      files: o.files,
      concurrency: 10,
      mitigations,
      batch: { batchSize: ladder.config.batchSize, failBatch: null },
      poolSize: ladder.config.poolSize,
      warmup: 2,
      trials: o.trials
    }).pipe(Effect.mapError((e) => `the harness alone (${r.mitigation}): ${e.message}`))
    if (harness.some((t) => t.indexed !== o.files)) return yield* Effect.fail(`the harness alone (${r.mitigation}) did not index every file`)
    const harnessSeconds = median(harness.map((t) => t.elapsedMs)) / 1000
    const floor = r.floor?.elapsedSeconds ?? null
    const concurrencyCost = at1.floor === null || at10.floor === null ? null : at10.floor.elapsedSeconds - at1.floor.elapsedSeconds
    const rest = floor === null || concurrencyCost === null ? null : r.elapsedSeconds - floor - concurrencyCost - harnessSeconds
    const share = (x: number | null) => (x === null ? "-" : `${Math.round((100 * x) / r.elapsedSeconds)}%`)
    return [
      shortLabel(r.mitigation, ladder.catalog),
      r.elapsedSeconds.toFixed(3),
      fixed(floor, 3),
      share(floor),
      fixed(concurrencyCost, 3),
      share(concurrencyCost),
      harnessSeconds.toFixed(3),
      share(harnessSeconds),
      fixed(rest, 3),
      share(rest)
    ]
  })

/** Where every strategy's elapsed time goes, as a table. */
const splitPart = (c: Ctx, ladder: ResultsDocument, strategies: ReadonlyArray<RunResult>) =>
  Effect.gen(function*() {
    yield* Console.error(`the store at c=10 and the harness alone: the same strategies, ${c.o.trials} runs each`)
    const floorDb = path.join(c.dir, "floor-at-c.db")
    yield* withDatabase(floorDb, migrate).pipe(Effect.provide(driverLayer(c.o.driver)), Effect.mapError((e) => `the floor at c=10: ${e.message}`))
    const split = yield* Effect.forEach(strategies, (r) => splitRow(c, ladder, r, floorDb))
    yield* Console.log(
      "\nWhere the elapsed time goes (medians): the storage floor; + c=10, what 10 files in flight cost the store\n" +
        "itself (the floor's loop 10 files at a time less one at a time, no harness); the harness alone (the same actors\n" +
        "on a stand-in store in memory); the rest, what the store and the harness cost each other on one CPU\n" +
        table(["strategy", "elapsed s", "floor s", "share", "+ c=10 s", "share", "harness alone s", "share", "rest s", "share"], split, 0)
    )
  })

/** 2. Fixed cost: the time to the first trial of small runs. */
const fixedCostPart = (c: Ctx) =>
  Effect.gen(function*() {
    const { o } = c
    const small: Array<Child> = []
    for (let i = 0; i < o.rounds; i++) {
      small.push(yield* runBench([...c.common, "--files", "10", "--concurrency", "1", "--ladder", "off", "--trials", "1", "--warmup", "0"]))
    }
    const firstMs = small.map((ch) => firstTrialMs(ch.stderr)).filter((x): x is number => x !== null)
    const firstCpu = small.map((ch) => firstTrialCpuMs(ch.stderr)).filter((x): x is number => x !== null)
    const firstMedian = firstMs.length === 0 ? null : median(firstMs)
    c.bars.push([`time to first trial ≤ ${BARS.firstTrialMs} ms`, firstMedian !== null && firstMedian <= BARS.firstTrialMs])
    yield* Console.log(
      `\nFixed cost (10 files, median of ${o.rounds}): first trial ${fixed(firstMedian, 0)} ms after process start ` +
        `(${fixed(firstCpu.length === 0 ? null : median(firstCpu), 0)} ms CPU); each: ${firstMs.join(", ")} ms; ` +
        `code: ${small[0] === undefined ? "-" : codeOrigin(small[0].stderr)}`
    )
    return small
  })

/** 3. Scaling: c=50 zero, one trial, at each file count: elapsed, wall and peak RSS, against the bars. */
const scalingPart = (c: Ctx) =>
  Effect.gen(function*() {
    const scaled: Array<{ readonly files: number; readonly elapsed: number; readonly wall: number; readonly rss: number | null }> = []
    for (const files of c.o.scale) {
      yield* Console.error(`scaling: ${files} files, c=50 zero, one trial`)
      const child = yield* runBench([...c.common, "--files", String(files), "--concurrency", "50", "--ladder", "off", "--trials", "1", "--warmup", "0"])
      const doc = yield* documentOf(child, `${files} files`)
      scaled.push({ files, elapsed: doc.runs[0]?.elapsedSeconds ?? NaN, wall: child.wallSeconds, rss: peakRss(child.stderr) })
    }
    if (scaled.length === 0) return
    yield* Console.log("\n" + table(
      ["files", "elapsed s", "process wall s", "peak RSS MiB"],
      scaled.map((s) => [String(s.files), s.elapsed.toFixed(3), s.wall.toFixed(2), fixed(s.rss, 1)]),
      0
    ))
    for (const s of scaled.filter((s) => s.files >= BARS.largeFiles)) {
      c.bars.push([`peak RSS at ${s.files} files ≤ ${BARS.largeRssMiB} MiB`, s.rss !== null && s.rss <= BARS.largeRssMiB])
    }
    const lo = scaled[0]
    const hi = scaled[scaled.length - 1]
    if (lo !== undefined && hi !== undefined && hi.files > lo.files) {
      const ratio = hi.elapsed / lo.elapsed
      const allowed = (BARS.timeRatio * hi.files) / (10 * lo.files)
      c.bars.push([`time at ${hi.files} files ≤ ${allowed.toFixed(1)}× the time at ${lo.files}`, ratio <= allowed])
      yield* Console.log(`time ratio ${hi.files}/${lo.files} files: ${ratio.toFixed(2)}×`)
    }
  })

const overhead = (o: OverheadOptions) =>
  Effect.gen(function*() {
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "ufb-overhead-"))),
      (d) => Effect.sync(() => fs.rmSync(d, { recursive: true, force: true }))
    )
    const c: Ctx = { o, dir, common: ["--driver", o.driver, "--profiles", "zero", "--out", dir, "--json"], bars: [] }
    const { child, ladder, strategies } = yield* strategiesPart(c)
    yield* splitPart(c, ladder, strategies)
    const ladderRss = peakRss(child.stderr)
    c.bars.push([`peak RSS of the ${o.files}-file strategies run ≤ ${BARS.defaultRssMiB} MiB`, ladderRss !== null && ladderRss <= BARS.defaultRssMiB])
    yield* Console.log(`Peak RSS of that run (${o.files} files): ${fixed(ladderRss, 1)} MiB`)
    const small = yield* fixedCostPart(c)
    yield* scalingPart(c)
    const smallRss = small.map((ch) => peakRss(ch.stderr)).filter((x): x is number => x !== null)
    yield* Console.log(`\nPeak RSS of a 10-file run (the process's fixed memory): ${fixed(smallRss.length === 0 ? null : median(smallRss), 1)} MiB`)
    yield* Console.log(`\nMachine: ${ladder.environment.cpuCount} × ${ladder.environment.cpuModel}, ${ladder.environment.memoryGiB} GiB, ${ladder.environment.runtime} ${ladder.environment.runtimeVersion}, ${o.driver}`)
    yield* Console.log(["", "Bars:", ...c.bars.map(([name, ok]) => `  ${verdict(ok).padEnd(7)} ${name}`)].join("\n"))
    return c.bars.every(([, ok]) => ok) ? EXIT.ok : EXIT.no
  }).pipe(Effect.scoped)

export const overheadCommand = subcommand(
  {
    name: "overhead",
    summary: "measure the tool's own cost against the storage floor",
    flags: overheadFlags,
    positional: 0,
    help: {
      usage: "[flags]",
      about: "Measure what this tool costs on top of the storage work: per strategy at c=10 zero the storage floor, " +
        "elapsed, efficiency and runtime_ms, each from a bench run in its own process; where each strategy's elapsed " +
        "time goes (the floor, what 10 files in flight cost the store, the harness alone on a stand-in store in " +
        "memory, the rest), measured in this process; the time to the first trial; elapsed and peak RSS at larger " +
        "file counts.",
      footer: ["Exit codes: 0 every bar met · 1 a bar not met · 2 bad input · 3 error."]
    }
  },
  optionsOf(overheadFlags),
  (o) => overhead(o).pipe(Effect.catchAll((message) => Effect.as(Console.error(`error: ${message}`), EXIT.failure)))
)
