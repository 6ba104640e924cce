/** The better-sqlite3 driver (via `@effect/sql-sqlite-node`): every statement runs synchronously on the calling thread. */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { SqlError } from "@effect/sql/SqlError"
import { Effect, Layer } from "effect"
import { connectionPragmas, SqliteDriver } from "./driver.ts"

const busyCodes = new Set(["SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT", "SQLITE_BUSY_RECOVERY", "SQLITE_BUSY_TIMEOUT"])

const hasCode = (cause: unknown): cause is { readonly code: unknown } =>
  typeof cause === "object" && cause !== null && "code" in cause

export const isBusy = (error: SqlError): boolean =>
  hasCode(error.cause) && typeof error.cause.code === "string" && busyCodes.has(error.cause.code)

const open = (reactivity: Reactivity.Reactivity["Type"]) => (filename: string) =>
  Effect.gen(function*() {
    const client = yield* SqliteClient.make({ filename })
    // Straight on the connection: a statement through the client would also
    // compile, trace and cache it, work done once per connection here.
    yield* Effect.scoped(
      Effect.flatMap(client.reserve, (conn) =>
        Effect.forEach(connectionPragmas, (pragma) => conn.executeUnprepared(pragma, [], undefined), { discard: true }))
    )
    return client
  }).pipe(
    // One Reactivity service for every connection (it only holds invalidation
    // handlers, none of which this project registers): building its layer per
    // connection doubled the cost of opening one.
    Effect.provideService(Reactivity.Reactivity, reactivity),
    // better-sqlite3 throws from its constructor (bad path, not a database):
    // make that a typed SqlError instead of a defect.
    Effect.catchAllDefect((cause) => Effect.fail(new SqlError({ cause, message: `cannot open ${filename}` })))
  )

export const layer: Layer.Layer<SqliteDriver> = Layer.effect(
  SqliteDriver,
  Effect.map(Reactivity.make, (reactivity) => ({ name: "better-sqlite3", open: open(reactivity), isBusy }))
)
