/**
 * The longest the event loop was blocked in a process, said on stderr as it
 * exits: load it into a run with
 * `NODE_OPTIONS="--import ./scripts/loop-delay.mjs" npx tsx programs/bench.ts`
 * (every Node process of the run reports, tsx's own included). Under
 * `npx tsx`, a signal the process does not acknowledge within about 30 ms
 * has tsx kill it outright, so a block longer than that can lose a run.
 */
import * as fs from "node:fs"
import { monitorEventLoopDelay } from "node:perf_hooks"
import process from "node:process"
import { isMainThread } from "node:worker_threads"

if (isMainThread) {
  const histogram = monitorEventLoopDelay({ resolution: 5 })
  histogram.enable()
  const started = Date.now()
  process.on("exit", () => {
    histogram.disable()
    const ms = (ns) => (ns / 1e6).toFixed(1)
    fs.writeSync(
      2,
      `loop-delay pid ${process.pid} (${process.argv.slice(1).join(" ").slice(0, 80)}): max ${ms(histogram.max)} ms, ` +
        `p99 ${ms(histogram.percentile(99))} ms, p99.9 ${ms(histogram.percentile(99.9))} ms over ${((Date.now() - started) / 1000).toFixed(1)} s\n`
    )
  })
}
