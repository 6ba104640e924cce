/** The project as one command: `upload-fsm-bench <bench|compare|clock-check> [flags]`. Only wiring. */
import process from "node:process"
import { main } from "../src/cli/main.ts"

main(process.argv.slice(2))
