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

const open = (filename: string) =>
  Effect.gen(function*() {
    const client = yield* SqliteClient.make({ filename })
    for (const pragma of connectionPragmas) {
      yield* client.unsafe(pragma).raw
    }
    return client
  }).pipe(
    Effect.provide(Reactivity.layer),
    // better-sqlite3 throws from its constructor (bad path, not a database):
    // make that a typed SqlError instead of a defect.
    Effect.catchAllDefect((cause) => Effect.fail(new SqlError({ cause, message: `cannot open ${filename}` })))
  )

export const layer: Layer.Layer<SqliteDriver> = Layer.succeed(SqliteDriver, {
  name: "better-sqlite3",
  open,
  isBusy
})
