/**
 * Connections opened with `PRAGMA synchronous = OFF`: SQLite hands each
 * commit to the operating system and does not wait for the disk. Everything
 * else is the baseline: a connection per file, opened and closed around the
 * file's actor.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Connections, defineMitigation, perFile, storeError } from "upload-fsm-bench"

const synchronousOffLayer = (dbPath: string) =>
  Layer.effect(
    Connections,
    Effect.map(Connections, (base) => ({
      name: "per-file-sync-off",
      withLease: (use) =>
        base.withLease((lease) =>
          Effect.zipRight(
            lease.use((conn) => conn.executeUnprepared("PRAGMA synchronous = OFF", [], undefined)).pipe(
              Effect.mapError(storeError("PRAGMA synchronous = OFF"))
            ),
            use(lease)
          ))
    }))
  ).pipe(Layer.provide(perFile(dbPath)))

export const synchronousOff = defineMitigation({
  name: "synchronous-off",
  short: "syncoff",
  replaces: "Connections",
  summary: "connections with PRAGMA synchronous=OFF: commits do not wait for the disk",
  risk: "synchronous=OFF gives up durability: a power loss or an OS crash can lose the last transactions, or corrupt " +
    "the database file (an application crash alone loses nothing in WAL mode).",
  layer: ({ dbPath }) => synchronousOffLayer(dbPath),
  // The floor opens its connections as the baseline does (synchronous=NORMAL): it cannot run this one's.
  floor: { none: "the storage floor opens its connections with synchronous=NORMAL" }
})
