/** The project as one command: `upload-fsm-bench <bench|compare|clock-check> [flags]`. Only wiring. */
import process from "node:process"
import { launch } from "../src/cli/launch.ts"

await launch(process.argv.slice(2))
