/** The tool's own cost against the storage floor: `npx tsx programs/overhead.ts [flags]`. Only wiring. */
import process from "node:process"
import { main } from "../src/cli/main.ts"

main(["overhead", ...process.argv.slice(2)])
