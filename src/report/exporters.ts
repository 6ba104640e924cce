/** Every output of a run: the files it writes, in order, and the terminal's. */
import { consoleExporter } from "./console.ts"
import type { Exporter } from "./exporter.ts"
import { mitigationExporter, resultsExporter } from "./json.ts"
import { htmlExporter } from "./html.ts"
import { markdownExporter } from "./markdown.ts"

/** The files, keyed as the document's `files` record names them. */
export const fileExporters = {
  results: resultsExporter,
  mitigation: mitigationExporter,
  summary: markdownExporter,
  report: htmlExporter
} as const satisfies Record<string, Exporter>

export const terminalExporter = consoleExporter
