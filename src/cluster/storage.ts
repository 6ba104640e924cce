/**
 * Where the cluster keeps its own state (its runners, their health, the shard
 * locks): never the store being measured. On Postgres, a database of its own
 * (on the throwaway server, one created beside the run's; with `--pg-url`,
 * the one `--cluster-url` names); on SQLite, a file of its own beside none of
 * the run's. Messages are volatile, so its message tables stay empty.
 */
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type { SqlClient } from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"

/** The cluster's storage: a Postgres URL, or a SQLite file's path. */
export type ClusterStorage =
  | { readonly kind: "postgres"; readonly url: string }
  | { readonly kind: "sqlite"; readonly file: string }

/** Table names' prefix in the cluster's storage. */
export const TABLE_PREFIX = "cluster"

/** A client of the cluster's storage (one connection or two: it polls every second or so). */
export const storageClient = (storage: ClusterStorage): Layer.Layer<SqlClient, unknown> =>
  storage.kind === "postgres"
    ? PgClient.layer({ url: Redacted.make(storage.url), maxConnections: 4 })
    : SqliteClient.layer({ filename: storage.file })
