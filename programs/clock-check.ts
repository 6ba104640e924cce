/** The time warp against real time: `npx tsx programs/clock-check.ts [flags]`. Only wiring. */
import process from "node:process"
import { main } from "../src/cli/main.ts"

main(["clock-check", ...process.argv.slice(2)])
