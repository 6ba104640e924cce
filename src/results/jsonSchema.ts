/** `results/schema.json`: the JSON Schema of the result document, made from its Effect Schema. */
import * as JSONSchema from "effect/JSONSchema"
import { ResultsDocument, SCHEMA_ID } from "./schema.ts"

export const resultsJsonSchema = (): string =>
  `${JSON.stringify({ $id: SCHEMA_ID, ...JSONSchema.make(ResultsDocument) }, null, 2)}\n`
