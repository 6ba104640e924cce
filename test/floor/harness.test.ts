import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { measureHarness, memoryRows, memoryStatements } from "../../src/floor/harness.ts"
import { BUILT_IN_LADDER as LADDER, mitigationLabel } from "../../src/mitigations/registry.ts"
import { transitionWrite } from "../../src/store/store.ts"
import { transitionStatement } from "../../src/store/service.ts"
import { sqliteStatements } from "../../src/backends/sqlite/store.ts"

const READ_STATE_SQL = sqliteStatements.readState

const sets: ReadonlyArray<ReadonlyArray<string>> = [[], ...LADDER]

describe("the harness alone", () => {
  for (const set of sets) {
    it.live(`${mitigationLabel(set)}: every file driven to indexed on the stand-in store, each trial timed`, () =>
      Effect.gen(function*() {
        const trials = yield* measureHarness({
          files: 25,
          concurrency: 4,
          mitigations: set,
          batch: { batchSize: 3, failBatch: null },
          poolSize: 1,
          warmup: 1,
          trials: 2
        })
        expect(trials).toHaveLength(2)
        expect(trials.every((t) => t.indexed === 25)).toBe(true)
        expect(trials.every((t) => t.elapsedMs > 0)).toBe(true)
      }))
  }
})

describe("the stand-in store", () => {
  const path = "a/file.pdf"
  const write = (version: number, event: "start_upload" | "complete_upload", values = {}) =>
    transitionStatement(sqliteStatements, transitionWrite(path, { state: version === 0 ? "untracked" : "uploading", version }, event, { now: "t", ...values }))

  it("applies a transition where the row is at its state and version, and nowhere else", () => {
    const rows = memoryRows([path])
    const s = memoryStatements(rows)
    const start = write(0, "start_upload")
    expect(s.raw(start.text, start.params)).toEqual({ changes: 1 })
    // The same write again is stale: no row changed, as an OCC conflict on a store.
    expect(s.raw(start.text, start.params)).toEqual({ changes: 0 })
    const uploaded = write(1, "complete_upload", { fileId: "files/x", uri: "u" })
    expect(s.raw(uploaded.text, uploaded.params)).toEqual({ changes: 1 })
    expect(s.rows(READ_STATE_SQL, [path])).toEqual([
      { gemini_state: "processing", version: 2, gemini_file_id: "files/x", upload_attempt_count: 1, upload_round: 1 }
    ])
    expect(s.rows(READ_STATE_SQL, ["no/such/file"])).toEqual([])
  })

  it("refuses a statement an actor never sends", () => {
    const s = memoryStatements(memoryRows([path]))
    expect(() => s.raw("DELETE FROM files", [])).toThrow("the stand-in store does not answer: DELETE FROM files")
    expect(s.raw("BEGIN IMMEDIATE", [])).toEqual({ changes: 0 })
  })
})
