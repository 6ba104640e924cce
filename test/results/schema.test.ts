/**
 * The result document: a run's document validates against the committed
 * `results/schema.json` (by a JSON Schema validator, not by our own Schema),
 * the committed file is what the Schema exports today, and decoding what was
 * encoded gives the document back.
 */
import * as fs from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Ajv } from "ajv"
import { Effect, Either } from "effect"
import { measureBench } from "../../src/bench/execute.ts"
import { builtInRegistry, MitigationRegistry } from "../../src/mitigations/registry.ts"
import { silent } from "../../src/bench/progress.ts"
import { decodeResults, encodeResults } from "../../src/results/files.ts"
import { resultsJsonSchema } from "../../src/results/jsonSchema.ts"
import { SCHEMA_ID, SCHEMA_VERSION } from "../../src/results/schema.ts"
import { BetterSqlite } from "../drivers.ts"
import { configFrom } from "../cli/inProcess.ts"
import { tempDb } from "../helpers.ts"

const committed = fs.readFileSync(new URL("../../results/schema.json", import.meta.url), "utf8")

describe("the result document", () => {
  it("results/schema.json is what the Schema exports (run `npm run docs` after changing it)", () => {
    expect(committed).toBe(resultsJsonSchema())
  })

  it.live("a run's document validates against results/schema.json and decodes back to itself", () =>
    Effect.gen(function*() {
      const config = Either.getOrThrow(
        yield* configFrom(
          "--files", "6", "--concurrency", "2,10", "--realistic-delay", "0.002", "--seed", "7", "--ladder", "full",
          "--trials", "2", "--warmup", "0"
        )
      )
      const measured = yield* measureBench(config, { dbPath: tempDb(), dbLabel: "temporary", createdAt: new Date().toISOString() })
        .pipe(Effect.provideService(MitigationRegistry, builtInRegistry))
      const doc = { ...measured.doc, files: { results: "r.json", mitigation: "m.json", summary: "s.md", report: "r.html" } }
      const text = encodeResults(doc)
      const json: unknown = JSON.parse(text)
      const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(committed))
      expect(validate(json), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true)
      expect(json).toMatchObject({ $schema: SCHEMA_ID, schemaVersion: SCHEMA_VERSION })
      expect(doc.comparisons?.steps).toHaveLength(3)
      expect(Either.getOrThrow(decodeResults("r.json", text))).toEqual(doc)
      // And the validator does reject what is not one: a run without its segments.
      const broken = JSON.parse(text)
      delete broken.runs[0].segments
      expect(validate(broken)).toBe(false)
    }).pipe(Effect.provide(silent), Effect.provide(BetterSqlite.layer)))
})

describe("results of the schema before this one", () => {
  // The reference run of 2026-11-28, kept as a fixture when the reference was measured again.
  const reference = new URL("fixtures/results-schema5.json", import.meta.url)

  it("a schema-5 document (an earlier reference run) is read as this schema: SQLite, one process, no conflicts", () => {
    const text = fs.readFileSync(reference, "utf8")
    expect(JSON.parse(text).schemaVersion).toBe(5)
    const doc = Either.getOrThrow(decodeResults("reference.json", text))
    expect(doc.schemaVersion).toBe(SCHEMA_VERSION)
    expect(doc.environment.storeVersion).toMatch(/^SQLite 3\.\d+\.\d+$/)
    expect(doc.config).toMatchObject({ store: "sqlite", poolSize: 1, workers: 1 })
    expect(doc.runs.every((r) => r.workers === 1 && r.integrity.occConflicts === 0)).toBe(true)
  })

  it("an OCC conflict listed among a schema-5 run's problems is counted; an older schema is refused by name", () => {
    const old = JSON.parse(fs.readFileSync(reference, "utf8"))
    const run = old.runs[0]
    run.integrity = {
      ...run.integrity,
      ok: false,
      problems: ["library/00001.txt: actor failed: OccConflict: OCC conflict on library/00001.txt"],
      problemCount: 1
    }
    const doc = Either.getOrThrow(decodeResults("old.json", JSON.stringify(old)))
    expect(doc.runs[0]?.integrity.occConflicts).toBe(1)
    const older = Either.flip(decodeResults("older.json", JSON.stringify({ ...old, schemaVersion: 4 })))
    expect(Either.getOrThrow(older).message).toBe("older.json: a result document of schema 4; this version reads schemas 5 to 7")
  })
})
