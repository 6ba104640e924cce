/**
 * The SQLite backend: one file per run (`--db`, or a temporary one), its
 * store in SQLite's SQL, and its four drivers: the threaded one (threads
 * contending for the write lock, as production) and three inline ones.
 */
import * as Effect from "effect/Effect"
import { defineBackend } from "../../store/backend.ts"
import { defineDriver } from "../../store/defineDriver.ts"

/** Why better-sqlite3's native addon cannot load here (Deno refuses it: not a Node-API addon), or null. */
const addon = async (): Promise<string | null> => {
  const problem = (await import("./betterSqlite.ts")).addonProblem()
  return problem === null ? null : `better-sqlite3 cannot load in this runtime (${problem.split("\n")[0]})`
}

const INLINE = "inline: connections never wait for the write lock"

/** What the two drivers over better-sqlite3's addon, inline on the calling thread, have in common. */
const inlineOnAddon = {
  store: "sqlite",
  contends: false,
  summary: INLINE,
  needs: "better-sqlite3's native addon (Node; not Deno)",
  maxConcurrency: null,
  unavailable: addon
} as const

export const betterSqlite3 = defineDriver({
  name: "better-sqlite3",
  ...inlineOnAddon,
  load: async () => (await import("./betterSqlite.ts")).layer
})

export const threaded = defineDriver({
  name: "threaded",
  store: "sqlite",
  contends: true,
  summary: "threads contending for the write lock, as in production",
  needs: "worker threads, and better-sqlite3's native addon (Node) or the runtime's node:sqlite (Deno, Node 22.5 and later)",
  // Beyond it, on a 2-core machine, the longest waits for the write lock near its 5 s timeout and a run
  // measures timeouts more than contention (docs/measurements.md, "The threaded driver's pool and cap").
  maxConcurrency: {
    limit: 100,
    who: "the threaded driver takes",
    why: "beyond it, the longest waits for SQLite's write lock near its 5 s timeout on a 2-core machine; see docs/methodology.md, \"Drivers\""
  },
  // Its threads run better-sqlite3 where it loads, else node:sqlite.
  unavailable: async () =>
    (await addon()) === null || (await import("./nodeSqlite.ts")).problem() === null
      ? null
      : "neither better-sqlite3's addon nor node:sqlite can load in this runtime",
  load: async () => (await import("./threaded.ts")).layer
})

export const nodeSqlite = defineDriver({
  name: "node-sqlite",
  store: "sqlite",
  contends: false,
  summary: INLINE,
  needs: "the runtime's node:sqlite (Deno, or Node 22.5 and later)",
  maxConcurrency: null,
  unavailable: async () => (await import("./nodeSqlite.ts")).problem(),
  load: async () => (await import("./nodeSqlite.ts")).layer
})

export const effectSqlite = defineDriver({
  name: "effect-sqlite",
  ...inlineOnAddon,
  load: async () => (await import("./effectSqlite.ts")).layer
})

export const sqlite = defineBackend({
  name: "sqlite",
  store: async () => (await import("./store.ts")).sqliteStore,
  drivers: [betterSqlite3, threaded, nodeSqlite, effectSqlite],
  defaultDriver: "threaded",
  target: (request) => Effect.flatMap(Effect.promise(() => import("./target.ts")), ({ sqliteTarget }) => sqliteTarget(request.db))
})
