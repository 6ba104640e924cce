/** Compare two result files: `npx tsx programs/compare.ts BEFORE.json AFTER.json [flags]`. Only wiring. */
import process from "node:process"
import { launch } from "../src/cli/launch.ts"

await launch(["compare", ...process.argv.slice(2)])
