/** The benchmark: `npx tsx programs/bench.ts [flags]` (see `--help`). Only wiring. */
import process from "node:process"
import { main } from "../src/cli/main.ts"

main(["bench", ...process.argv.slice(2)])
