/**
 * The PostgreSQL backend: a throwaway server the run starts (or `--pg-url`'s),
 * its store in Postgres's SQL, and its one driver (row locks, a round trip
 * per statement). node-postgres loads only for a run on it.
 */
import * as Effect from "effect/Effect"
import { defineBackend } from "../../store/backend.ts"
import { defineDriver } from "../../store/defineDriver.ts"

export const postgresDriver = defineDriver({
  name: "postgres",
  store: "postgres",
  contends: true,
  summary: "row locks, a round trip per statement",
  needs: "a PostgreSQL server (a throwaway one of the run's own, or --pg-url)",
  // Each per-file actor holds a server connection, and each connection is a server process (a few MB each);
  // 200 is four times the reference runs' largest concurrency.
  maxConcurrency: { limit: 200, who: "on Postgres", why: "each actor holds a server connection; see docs/stores.md, \"Postgres\"" },
  unavailable: async () => null,
  load: async () => (await import("./driver.ts")).layer
})

export const postgres = defineBackend({
  name: "postgres",
  store: async () => (await import("./store.ts")).postgresStore,
  drivers: [postgresDriver],
  defaultDriver: "postgres",
  target: (request) =>
    Effect.flatMap(Effect.promise(() => import("./target.ts")), ({ postgresTarget }) => postgresTarget(request.pgUrl, request.connections))
})
