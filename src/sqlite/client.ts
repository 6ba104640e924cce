/**
 * An `@effect/sql` client over one connection of ours (a thread's, or a
 * node:sqlite database): statements take the connection in turn, and a
 * reserved connection (a transaction) holds it until released, as the
 * better-sqlite3 client does.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as Client from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import * as Statement from "@effect/sql/Statement"
import { Effect } from "effect"

const compiler = Statement.makeCompilerSqlite()

export const clientOver = (connection: Connection): Effect.Effect<Client.SqlClient> =>
  Effect.gen(function*() {
    const semaphore = yield* Effect.makeSemaphore(1)
    return yield* Client.make({
      acquirer: semaphore.withPermits(1)(Effect.succeed(connection)),
      transactionAcquirer: Effect.as(Effect.acquireRelease(semaphore.take(1), () => semaphore.release(1)), connection),
      compiler,
      spanAttributes: [["db.system.name", "sqlite"]]
    })
  }).pipe(Effect.provide(Reactivity.layer))
