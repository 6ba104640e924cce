/**
 * The JSON outputs: the result document itself, and the mitigation file
 * (the comparisons alone, with the baseline and every step's before/after
 * rows), both encoded with the result Schema.
 */
import * as Effect from "effect/Effect"
import { encodeMitigation, encodeResults } from "../results/files.ts"
import { type MitigationDocument, type ResultsDocument, SCHEMA_ID, SCHEMA_VERSION } from "../results/schema.ts"
import type { Exporter } from "./exporter.ts"

export const resultsExporter: Exporter = {
  name: "results",
  file: (suffix) => `results-${suffix}.json`,
  render: (doc) => Effect.succeed(encodeResults(doc))
}

/** The mitigation file's document; null when nothing was compared. */
export const mitigationDocument = (doc: ResultsDocument): MitigationDocument | null =>
  doc.comparisons === null
    ? null
    : {
      $schema: SCHEMA_ID,
      schemaVersion: SCHEMA_VERSION,
      createdAt: doc.createdAt,
      partial: doc.partial,
      environment: doc.environment,
      config: doc.config,
      catalog: doc.catalog,
      resultsFile: doc.files?.results ?? "",
      comparisonAt: doc.config.comparisonAt,
      path: doc.gate.path,
      mode: doc.comparisons.mode,
      firstSuccess: doc.comparisons.firstSuccess,
      thresholdZeroSeconds: doc.config.thresholdZeroSeconds,
      baseline: doc.comparisons.steps[0]?.before ?? null,
      steps: doc.comparisons.steps.map((step) => ({
        mitigation: step.mitigation,
        mitigations: step.mitigations,
        meetsThreshold1: step.meetsThreshold1,
        rows: step.rows,
        before: step.before,
        after: step.after
      }))
    }

export const mitigationExporter: Exporter = {
  name: "mitigation",
  file: (suffix) => `results-mitigation-${suffix}.json`,
  render: (doc) =>
    Effect.sync(() => {
      const mitigation = mitigationDocument(doc)
      return mitigation === null ? null : encodeMitigation(mitigation)
    })
}
