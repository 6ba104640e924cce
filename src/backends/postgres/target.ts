/**
 * The run's Postgres database: a throwaway server's (the default), or a
 * server of the user's (`--pg-url`), checked before anything is written and
 * held by this run alone until it ends.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { CONNECT_TIMEOUT_MS, connectedClient } from "./client.ts"
import { APPLICATION_ID } from "../../process/identity.ts"
import type { Driver } from "../../store/driver.ts"
import { DatabasePathError, type Target } from "../../store/target.ts"
import type { StoreError } from "../../store/errors.ts"
import { withDatabase } from "../../store/store.ts"
import { refuseForeign } from "./store.ts"
import { redacted, SLACK } from "./common.ts"
import { throwawayServer } from "./server.ts"

const messageOf = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/**
 * The database held for this run: a session-level advisory lock (keyed by
 * our application id) on a connection kept open until the scope closes. A
 * second run on the same database is refused at once, as a second run on
 * one SQLite file is (`lockDatabase`).
 */
const cannotConnect = (url: string) => (cause: unknown) =>
  new DatabasePathError({ detail: `--pg-url ${redacted(url)}: cannot connect (${messageOf(cause)})` })

/** The lock's connection: made within the connect timeout, and given up at once if the run is interrupted meanwhile. */
const lockConnection = (url: string) =>
  Effect.acquireRelease(
    Effect.interruptible(Effect.tryPromise({
      try: (signal) =>
        connectedClient({ connectionString: url, application_name: "upload-fsm-bench lock", query_timeout: CONNECT_TIMEOUT_MS }, signal),
      catch: cannotConnect(url)
    })),
    (client) => Effect.promise(() => client.end().catch(() => undefined))
  )

const holdDatabase = (url: string, connections: number): Effect.Effect<void, DatabasePathError, Scope.Scope> =>
  Effect.flatMap(lockConnection(url), (client) =>
    Effect.tryPromise({
      try: async () => {
        const { rows } = await client.query<{ locked: boolean; free: number }>(
          `SELECT pg_try_advisory_lock($1) AS locked,
            current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
              - (SELECT COUNT(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS free`,
          [APPLICATION_ID]
        )
        return { locked: rows[0]?.locked === true, free: Number(rows[0]?.free) }
      },
      catch: cannotConnect(url)
    })).pipe(
    Effect.flatMap(({ free, locked }) =>
      !locked
        ? Effect.fail(new DatabasePathError({ detail: `--pg-url ${redacted(url)}: in use by another run (it holds the database's lock); refusing to share it` }))
        : free < connections
        ? Effect.fail(
          new DatabasePathError({
            detail: `--pg-url ${redacted(url)}: the server has room for ${free} more connections and this run may open ` +
              `${connections} (its concurrency, pools, observers and writers); raise max_connections or lower --concurrency`
          })
        )
        : Effect.void
    )
  )

/**
 * The run's database: with `pgUrl`, that server's, held and checked now (a
 * database that is not ours is refused untouched); without, a throwaway
 * server with room for `needed` connections, started when the run opens it
 * and stopped and removed with the scope.
 */
export const postgresTarget = (
  pgUrl: string | null,
  /** The most connections the run may hold at once (`connectionsNeeded`). */
  needed: number
): Effect.Effect<Target, DatabasePathError | StoreError, Scope.Scope | Driver> =>
  pgUrl === null
    ? Effect.succeed({
      given: null,
      named: "--pg-url",
      open: Effect.map(throwawayServer({ maxConnections: needed + SLACK }), (server) => ({ path: server.url, label: "throwaway PostgreSQL server" }))
    })
    : Effect.gen(function*() {
      yield* holdDatabase(pgUrl, needed)
      yield* withDatabase(pgUrl, refuseForeign).pipe(
        Effect.catchTag("ForeignDatabase", (e) => new DatabasePathError({ detail: `--pg-url ${redacted(pgUrl)}: ${e.message}` }))
      )
      const database = { path: pgUrl, label: redacted(pgUrl) }
      return { given: { ...database, flag: "--pg-url", empty: false }, named: `--pg-url ${redacted(pgUrl)}`, open: Effect.succeed(database) }
    })
