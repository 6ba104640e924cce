/** A runner for runs on other hosts (`bench --runners`): `npx tsx programs/runner.ts --listen HOST:PORT --cluster-url URL`. Only wiring. */
import process from "node:process"
import { launch } from "../src/cli/launch.ts"

await launch(["runner", ...process.argv.slice(2)])
