import * as fs from "node:fs"
const Either = await import("effect/Either")
const dir = process.argv[2]
const { decodeResults } = await import(`${dir}/src/results/files.ts`)
const { summaryMarkdown } = await import(`${dir}/src/report/markdown.ts`)
const file = process.argv[3]
const doc = Either.getOrThrow(decodeResults(file, fs.readFileSync(file, "utf8")))
process.stdout.write(summaryMarkdown(doc))
