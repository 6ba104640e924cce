/**
 * A performance check against a saved baseline, for a job of its own (not
 * `npm test`: its verdict is a timing ratio, which a unit suite on a shared
 * machine should never assert). Run it with `npm run perf`.
 *
 * The baseline comes first, from the code to hold against (a main branch),
 * with the same options:
 *
 *     npx upload-fsm-bench bench --files 200 --quick --trials 5 --save-baseline main
 *
 * Then this run is compared with it as `compare` does: configuration by
 * configuration, the ladder's steps included, normalized by the two machines'
 * probes when they differ, and failed by the rules given.
 */
import { describe, expect, it } from "vitest"
import { runBenchPromise } from "upload-fsm-bench"
import { baseline, benchMatchers, parseRules } from "upload-fsm-bench/vitest"
import config from "../upload-fsm-bench.config.ts"

expect.extend(benchMatchers)

describe("the single writer against main", () => {
  it("passes the gate and regresses no more than the rules allow", async () => {
    const doc = await runBenchPromise({ config, files: 200, quick: true, trials: 5 })
    expect(doc).toPassGate()
    expect(doc).toHoldAgainst(baseline("main"), { failOn: parseRules("elapsed:+10%,lock_wait_ms.p95:+25%") })
  }, 600_000)
})
