/** The time warp against real time: `npx tsx programs/clock-check.ts [flags]`. Only wiring. */
import process from "node:process"
import { launch } from "../src/cli/launch.ts"

await launch(["clock-check", ...process.argv.slice(2)])
