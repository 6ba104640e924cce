/**
 * The power test's change of code (`programs/compare-noise.ts`): the baseline
 * Writer with a fixed cost added to every write, a busy wait of
 * WRITE_COST_US microseconds while the write lock is held (after BEGIN,
 * before COMMIT), so that writes pay it one after another as a slower
 * statement would. Both sides of a pair run this mitigation, so that
 * `compare` matches them; only the cost differs (0 on the before side).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { defineConfig, defineMitigation, Driver, makeLedger, transitionTransaction, Writer, writeTiming } from "../../src/index.ts"

const costUs = Number(process.env["WRITE_COST_US"] ?? "0")

const spin = () => {
  const until = performance.now() + costUs / 1000
  while (performance.now() < until) {
    // The cost is the wait itself.
  }
}

const writeCost = defineMitigation({
  name: "write-cost",
  short: "cost",
  replaces: "Writer",
  summary: `each transition in its own transaction, with a busy wait of ${costUs} µs while it holds the lock`,
  risk: null,
  layer: () =>
    Layer.effect(
      Writer,
      Effect.map(Driver, (driver) => {
        const { add, snapshot } = makeLedger()
        let commits = 0
        // The driver's BEGIN (with its first statement, where it sends them together), then the wait.
        const costly = {
          store: driver.store,
          begin: (conn: Parameters<typeof driver.begin>[0]) => Effect.tap(driver.begin(conn), () => Effect.sync(spin)),
          beginThen: (conn: Parameters<typeof driver.begin>[0]) => {
            const inner = driver.beginThen?.(conn)
            return inner === undefined
              ? undefined
              : (sql: string, params: ReadonlyArray<unknown>) => Effect.tap(inner(sql, params), () => Effect.sync(spin))
          }
        }
        return {
          name: `commit-each+${costUs}us`,
          persist: (lease, write) =>
            Effect.map(lease.use((conn) => transitionTransaction(conn, costly, write)), ({ queueWaitMs, value }) => {
              commits += 1
              add(write)
              return writeTiming(queueWaitMs, value.lock, value.writeMs)
            }),
          flush: Effect.void,
          stats: Effect.sync(() => ({ commits, failedCommits: 0, lostTransitions: 0, ...snapshot() }))
        }
      })
    ),
  // Its storage work is the baseline's: each transition in its own transaction on the file's connection.
  floor: () => ({ writer: "file-connection" })
})

export default defineConfig({ mitigations: [writeCost] })
