/**
 * How often `compare` cries wolf, and how often it catches a real change,
 * on this machine: `npx tsx programs/compare-noise.ts [--pairs 10] [--out DIR] [--cost-us N]`.
 *
 * Each pair's before side is a quiet run of c=10 zero; its after sides are
 * - the same code beside a CPU hog (`stress-ng --cpu 1`): a false alarm if
 *   compare says regressed;
 * - the same code with a fixed cost on every write, sized by measurement to
 *   about +20% of a quiet run's elapsed, quiet, and again beside the hog:
 *   caught if compare says regressed.
 * Sides alternate within a pair, so that the machine's drift hits them alike.
 * `--cost-us N` gives the cost per write instead of sizing it.
 * Every run's result document is kept in DIR; `--from DIR` judges saved runs
 * again (for instance with other rules) without running anything.
 * The verdicts are given twice: `compare`'s default (the machine normalized,
 * the default fail rules) and the raw rule it used before (every row, the
 * noise threshold, no normalization).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import process from "node:process"
import { decodeResults } from "../src/results/files.ts"
import type { ResultsDocument } from "../src/results/schema.ts"
import { compareResults, RAW_RULES } from "../src/verdict/compareResults.ts"

const args = process.argv.slice(2)
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const pairs = Number(flag("--pairs") ?? "10")
const from = flag("--from")
const out = from ?? flag("--out") ?? path.join("results", `compare-noise-${new Date().toISOString().replace(/[:.]/g, "-")}`)
const files = 818
const config = path.join(import.meta.dirname, "noise", "write-cost.config.ts")
const bench = path.join(import.meta.dirname, "bench.ts")

type Side = "before" | "hog" | "cost" | "cost-hog"
const SIDES: ReadonlyArray<Side> = ["before", "hog", "cost", "cost-hog"]

const docPath = (pair: number, side: Side) => path.join(out, `pair-${pair}-${side}.json`)

// stress-ng stops its worker when told to stop (SIGTERM, or Ctrl-C to the terminal's group); its timeout bounds a
// hog whose parent here died without telling it.
const hog = (): ChildProcess => spawn("stress-ng", ["--cpu", "1", "--quiet", "--timeout", "900"], { stdio: "ignore" })

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGTERM")
  })

const run = async (file: string, costUs: number, withHog: boolean): Promise<ResultsDocument> => {
  const stress = withHog ? hog() : null
  try {
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        bench,
        "--config",
        config,
        "--mitigations",
        "write-cost",
        "--profiles",
        "zero",
        "--concurrency",
        "10",
        "--contrast",
        "off",
        "--files",
        String(files),
        "--json",
        "--out",
        path.join(out, "runs")
      ],
      { env: { ...process.env, WRITE_COST_US: String(costUs) }, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 }
    )
    if (r.status !== 0 && r.status !== 1) throw new Error(`bench exited ${r.status}: ${r.stderr.slice(-2000)}`)
    fs.writeFileSync(file, r.stdout)
    return read(file)
  } finally {
    if (stress !== null) await stop(stress)
  }
}

const read = (file: string): ResultsDocument => {
  const decoded = decodeResults(file, fs.readFileSync(file, "utf8"))
  if (decoded._tag === "Left") throw new Error(decoded.left.message)
  return decoded.right
}

const elapsed = (doc: ResultsDocument) => doc.runs[0]?.elapsedSeconds ?? NaN

const measure = async () => {
  if (spawnSync("stress-ng", ["--version"]).status !== 0) {
    console.error("stress-ng is needed (Debian: apt-get install stress-ng)")
    process.exit(2)
  }
  fs.mkdirSync(out, { recursive: true })
  // The cost per write: sized by measurement to add about a fifth to a quiet run's elapsed. Held under the write
  // lock, its effect is not linear in it (other writers wait behind it), so it is adjusted until it is.
  const sizing = await run(path.join(out, "sizing-0.json"), 0, false)
  const given = flag("--cost-us")
  let costUs = given === undefined ? Math.round((0.2 * elapsed(sizing) * 1e6) / (files * 3)) : Number(given)
  for (let attempt = 1; given === undefined && attempt <= 4; attempt++) {
    const tried = await run(path.join(out, `sizing-${attempt}.json`), costUs, false)
    const added = elapsed(tried) / elapsed(sizing) - 1
    console.error(`sizing: ${costUs} µs per write added ${(added * 100).toFixed(1)}%`)
    if ((added >= 0.15 && added <= 0.25) || attempt === 4) break
    costUs = Math.max(1, Math.round(costUs * Math.min(3, Math.max(0.3, 0.2 / Math.max(added, 0.01)))))
  }
  fs.writeFileSync(path.join(out, "cost.json"), JSON.stringify({ costUs, sizingElapsed: elapsed(sizing) }))
  console.error(`cost per write: ${costUs} µs`)
  for (let pair = 1; pair <= pairs; pair++) {
    // Rotate the after sides' order from pair to pair.
    const afters = SIDES.slice(1)
    const order: ReadonlyArray<Side> = ["before", ...afters.slice(pair % 3), ...afters.slice(0, pair % 3)]
    for (const side of order) {
      const doc = await run(docPath(pair, side), side === "cost" || side === "cost-hog" ? costUs : 0, side === "hog" || side === "cost-hog")
      console.error(`pair ${pair} ${side}: ${elapsed(doc).toFixed(3)} s, load ${os.loadavg()[0]?.toFixed(2)}`)
    }
  }
}

const judge = () => {
  const rows: Array<Record<string, unknown>> = []
  const tally = new Map<string, { regressed: number; raw: number; pairs: number; ratios: Array<number> }>()
  for (let pair = 1; fs.existsSync(docPath(pair, "before")); pair++) {
    const before = read(docPath(pair, "before"))
    for (const side of SIDES.slice(1)) {
      if (!fs.existsSync(docPath(pair, side))) continue
      const after = read(docPath(pair, side))
      const now = compareResults(before, after)
      const raw = compareResults(before, after, { failOn: RAW_RULES, machine: "raw" })
      if (now === null || raw === null) throw new Error(`pair ${pair} ${side}: nothing in common`)
      const t = tally.get(side) ?? { regressed: 0, raw: 0, pairs: 0, ratios: [] }
      t.pairs += 1
      t.regressed += now.failures.length > 0 ? 1 : 0
      t.raw += raw.failures.length > 0 ? 1 : 0
      t.ratios.push(elapsed(after) / elapsed(before))
      tally.set(side, t)
      rows.push({ pair, side, ratio: elapsed(after) / elapsed(before), machine: now.machine, failures: now.failures.length, raw: raw.failures.length })
    }
  }
  console.log("side       pairs  regressed (compare)  regressed (raw, before)  elapsed ratio median")
  for (const [side, t] of tally) {
    const sorted = [...t.ratios].sort((a, b) => a - b)
    const med = sorted[Math.floor(sorted.length / 2)] ?? NaN
    console.log(`${side.padEnd(10)} ${String(t.pairs).padStart(5)}  ${String(t.regressed).padStart(19)}  ${String(t.raw).padStart(23)}  ${med.toFixed(3)}`)
  }
  fs.writeFileSync(path.join(out, "judged.json"), JSON.stringify(rows, null, 1))
}

if (from === undefined) await measure()
judge()
