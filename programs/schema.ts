/** Writes `results/schema.json`, the JSON Schema of the result document: `npm run schema`. Only wiring. */
import * as fs from "node:fs"
import { resultsJsonSchema } from "../src/results/jsonSchema.ts"

fs.writeFileSync(new URL("../results/schema.json", import.meta.url), resultsJsonSchema())
