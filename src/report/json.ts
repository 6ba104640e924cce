/**
 * The files of a run, in the output folder, all named after the run's start
 * (UTC): `results-STAMP.json`, `results-mitigation-STAMP.json`,
 * `summary-STAMP.md`. Names are chosen before measuring (the gate's evidence
 * cites the mitigation file) and never overwrite anything.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import process from "node:process"
import { Data, Effect } from "effect"
import type { BenchResult, OutputFiles } from "../gate/bench.ts"

export class OutputError extends Data.TaggedError("OutputError")<{ readonly detail: string }> {
  override get message(): string {
    return this.detail
  }
}

const reason = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/** Create the output folder if needed and prove it writable, before any measuring starts. */
export const prepareOutDir = (dir: string): Effect.Effect<void, OutputError> =>
  Effect.try({
    try: () => {
      fs.mkdirSync(dir, { recursive: true })
      fs.accessSync(dir, fs.constants.W_OK)
      const probe = path.join(dir, `.write-probe-${process.pid}`)
      fs.writeFileSync(probe, "")
      fs.rmSync(probe)
    },
    catch: (cause) => new OutputError({ detail: `--out ${dir}: cannot write there (${reason(cause)})` })
  })

export const stamp = (iso: string): string => iso.slice(0, 19).replace(/[-:]/g, "").replace("T", "-")

/** The first suffix ("", "-2", "-3", …) under which none of the run's files exists yet. */
export const chooseNames = (dir: string, createdAt: string): Effect.Effect<OutputFiles> =>
  Effect.sync(() => {
    for (let n = 1; ; n++) {
      const suffix = `${stamp(createdAt)}${n === 1 ? "" : `-${n}`}`
      const names = {
        results: `results-${suffix}.json`,
        mitigation: `results-mitigation-${suffix}.json`,
        summary: `summary-${suffix}.md`
      }
      if (Object.values(names).every((name) => !fs.existsSync(path.join(dir, name)))) return names
    }
  })

export const toJson = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`

/** Write `name` in `dir`, failing rather than overwriting. Returns the path written. */
export const writeNew = (dir: string, name: string, body: string): Effect.Effect<string, OutputError> =>
  Effect.try({
    try: () => {
      const file = path.join(dir, name)
      fs.writeFileSync(file, body, { flag: "wx" })
      return file
    },
    catch: (cause) => new OutputError({ detail: `cannot write ${name} in ${dir}: ${reason(cause)}` })
  })

/** The mitigation file: the comparison configuration, the baseline and every step with its before/after rows. */
export const mitigationDocument = (result: BenchResult) =>
  result.comparisons === null
    ? null
    : {
      schemaVersion: result.schemaVersion,
      createdAt: result.createdAt,
      environment: result.environment,
      config: result.config,
      resultsFile: result.files.results,
      comparisonAt: result.config.comparisonAt,
      path: result.gate.path,
      mode: result.comparisons.mode,
      firstSuccess: result.comparisons.firstSuccess,
      thresholdZeroSeconds: result.config.thresholdZeroSeconds,
      baseline: result.comparisons.steps[0]?.before ?? null,
      steps: result.comparisons.steps.map((step) => ({
        mitigation: step.mitigation,
        mitigations: step.mitigations,
        meetsThreshold1: step.meetsThreshold1,
        rows: step.rows,
        before: step.before,
        after: step.after
      }))
    }
