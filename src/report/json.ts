/** The JSON result file: `results-YYYYMMDD-HHMMSS.json` (UTC) in the output folder. */
import * as fs from "node:fs"
import * as path from "node:path"
import process from "node:process"
import { Data, Effect } from "effect"
import type { BenchResult } from "../gate/bench.ts"

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

export const toJson = (result: BenchResult): string => `${JSON.stringify(result, null, 2)}\n`

/** Write `prefix-STAMP.json`, never over an existing file (a second run in the same second gets `-2`). */
export const writeResultFile = (dir: string, prefix: string, iso: string, body: string): Effect.Effect<string, OutputError> =>
  Effect.try({
    try: () => {
      for (let n = 1; ; n++) {
        const file = path.join(dir, `${prefix}-${stamp(iso)}${n === 1 ? "" : `-${n}`}.json`)
        try {
          fs.writeFileSync(file, body, { flag: "wx" })
          return file
        } catch (error) {
          if (!(error instanceof Error && "code" in error && error.code === "EEXIST")) throw error
        }
      }
    },
    catch: (cause) => new OutputError({ detail: `cannot write results to ${dir}: ${reason(cause)}` })
  })
