/** The benchmark: `npx tsx programs/bench.ts [flags]` (see `--help`). Only wiring. */
import process from "node:process"
import { launch } from "../src/cli/launch.ts"

await launch(["bench", ...process.argv.slice(2)])
