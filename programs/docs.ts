/** Writes the generated reference pages and `results/schema.json` from the code: `npm run docs`. Only wiring. */
import * as fs from "node:fs"
import { subcommands } from "../src/cli/main.ts"
import { cliReference, metricsReference, resultsReference } from "../src/cli/reference.ts"
import { resultsJsonSchema } from "../src/results/jsonSchema.ts"

const write = (path: string, text: string) => {
  const url = new URL(`../${path}`, import.meta.url)
  fs.mkdirSync(new URL(".", url), { recursive: true })
  fs.writeFileSync(url, text)
}

write("docs/reference/cli.md", cliReference(subcommands))
write("docs/reference/results.md", resultsReference())
write("docs/reference/metrics.md", metricsReference())
write("results/schema.json", resultsJsonSchema())
