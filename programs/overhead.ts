/** The tool's own cost against the storage floor: `npx tsx programs/overhead.ts [flags]`. Only wiring. */
import process from "node:process"
import { launch } from "../src/cli/launch.ts"

await launch(["overhead", ...process.argv.slice(2)])
