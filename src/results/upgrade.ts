/**
 * Result documents of the schemas before this one, read as this one: a user's
 * older results stay comparable (`compare.ts`).
 *
 * Schema 6 → 7 opened the mitigations: a schema-6 run knew only the built-ins,
 * so its `catalog` is theirs, and each run's `floorUnavailable` is null where
 * it has a floor, else that the older document did not say why.
 *
 * Schema 5 → 6 added what the
 * Postgres store and the worker processes brought; a schema-5 run was always
 * a SQLite file in one process, so those fields are known:
 * - `environment.sqliteVersion` → `storeVersion` ("SQLite 3.x.y");
 * - `config.store` "sqlite", `config.poolSize` 1, `config.workers` 1, and each
 *   run's (and trial's) `workers` 1;
 * - each integrity's `occConflicts`: 0 when it held (any conflict was a
 *   problem), else counted from its listed problems (all of them when there
 *   were at most 20, the most it lists).
 * Anything else is left to the Schema's decoding to judge.
 */
import { builtInRegistry, catalogOf } from "../mitigations/registry.ts"
import { SCHEMA_VERSION } from "./schema.ts"

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const isIntegrity = (o: Record<string, unknown>) => "lockTimeouts" in o && "problemCount" in o && !("occConflicts" in o)

const conflictsOf = (o: Record<string, unknown>): number =>
  o["ok"] === true
    ? 0
    : Array.isArray(o["problems"])
    ? o["problems"].filter((p) => typeof p === "string" && p.includes("actor failed: OccConflict")).length
    : 0

/** Every object of the document, rewritten where schema 6 has a field schema 5 had not. */
const walk = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(walk)
  if (!isRecord(value)) return value
  const out: Record<string, unknown> = {}
  for (const [key, inner] of Object.entries(value)) out[key] = walk(inner)
  if (isIntegrity(value)) out["occConflicts"] = conflictsOf(value)
  // A run or a trial (both count their actors in flight): one process.
  if ("maxInFlight" in value && !("workers" in value)) out["workers"] = 1
  return out
}

/** Every run of a schema-6 document with the reason for a missing floor. */
const withFloorReasons = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(withFloorReasons)
  if (!isRecord(value)) return value
  const out: Record<string, unknown> = {}
  for (const [key, inner] of Object.entries(value)) out[key] = withFloorReasons(inner)
  if ("efficiency" in value && "floor" in value && !("floorUnavailable" in value)) {
    out["floorUnavailable"] = value["floor"] === null ? "not said (a result document of schema 6)" : null
  }
  return out
}

/** A schema-6 document as schema 7. */
const from6 = (value: Record<string, unknown>): unknown => {
  const doc = withFloorReasons(value)
  return isRecord(doc)
    ? { ...doc, $schema: `urn:upload-fsm-bench:results:${SCHEMA_VERSION}`, schemaVersion: SCHEMA_VERSION, catalog: catalogOf(builtInRegistry) }
    : doc
}

/** A schema-5 or schema-6 document as this schema; any other value as it is. */
export const upgradeResults = (value: unknown): unknown => {
  if (!isRecord(value)) return value
  if (value["schemaVersion"] === 6) return from6(value)
  if (value["schemaVersion"] !== 5) return value
  const doc = walk(value)
  if (!isRecord(doc)) return doc
  const environment = isRecord(doc["environment"]) ? { ...doc["environment"] } : doc["environment"]
  if (isRecord(environment) && typeof environment["sqliteVersion"] === "string") {
    environment["storeVersion"] = `SQLite ${environment["sqliteVersion"]}`
    delete environment["sqliteVersion"]
  }
  const config = isRecord(doc["config"]) ? { ...doc["config"], store: "sqlite", poolSize: 1, workers: 1 } : doc["config"]
  return from6({ ...doc, environment, config })
}
