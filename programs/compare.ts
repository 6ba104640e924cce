/** Compare two result files: `npx tsx programs/compare.ts BEFORE.json AFTER.json [flags]`. Only wiring. */
import process from "node:process"
import { main } from "../src/cli/main.ts"

main(["compare", ...process.argv.slice(2)])
