/**
 * One interface for every output of a run, as hyperfine's exporters: each
 * renders the result document (and nothing else) to text, and names the
 * file it goes to in the output folder, or none for the terminal.
 * A new output format is a new exporter in this folder, listed in
 * `exporters.ts`.
 */
import type * as Effect from "effect/Effect"
import type { OutputFiles, ResultsDocument } from "../results/schema.ts"

export interface Exporter {
  readonly name: string
  /** The file it writes in the output folder for a run whose names end in `suffix`; null for the terminal. */
  readonly file: ((suffix: string) => string) | null
  /** The document rendered; null when this output has nothing to say for the run (it is then not written). */
  readonly render: (doc: ResultsDocument) => Effect.Effect<string | null>
}

/** The document's `files` record, from the exporters that write them: a file that will not be written is null. */
export const outputFiles = (
  files: { readonly [K in keyof OutputFiles]: Exporter },
  suffix: string,
  writes: { readonly mitigation: boolean; readonly report: boolean }
): OutputFiles => ({
  results: files.results.file?.(suffix) ?? "",
  mitigation: writes.mitigation ? files.mitigation.file?.(suffix) ?? null : null,
  summary: files.summary.file?.(suffix) ?? "",
  report: writes.report ? files.report.file?.(suffix) ?? null : null
})
