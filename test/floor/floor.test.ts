import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { zero } from "../../src/api/profiles.ts"
import { measureTrial } from "../../src/bench/trial.ts"
import { measureFloor } from "../../src/floor/measure.ts"
import { type Event, HAPPY_PATH } from "../../src/lifecycle/fsm.ts"
import { BUILT_IN_LADDER as LADDER, builtInRegistry, MitigationRegistry, mitigationLabel } from "../../src/mitigations/registry.ts"
import { type RawConnection, Driver } from "../../src/store/driver.ts"
import { BetterSqlite } from "../drivers.ts"
import { filePath, readAll } from "../../src/store/store.ts"
import { drivers, stores } from "../drivers.ts"
import { open, partsOf, seeded, tempDb } from "../helpers.ts"

const FILES = 20

const trialOn = (dbPath: string, mitigations: ReadonlyArray<string>) =>
  measureTrial({
    dbPath,
    files: FILES,
    concurrency: 4,
    profile: zero,
    mitigations,
    batch: { batchSize: 3, failBatch: null },
    seed: 42,
    clock: "warp",
    runLabel: `floor-test-${Math.random()}`,
    retry: { maxAttempts: 3, baseSeconds: 1 },
    scenario: "happy"
  }).pipe(Effect.provideService(MitigationRegistry, builtInRegistry))

/** The driver, counting the raw connections it opens and how many are open at once (answering as the driver does). */
const countingRaw = (driver: Layer.Layer<Driver>) => {
  const counter = { opened: 0, open: 0, most: 0 }
  const counted = (conn: RawConnection): RawConnection => {
    counter.opened += 1
    counter.most = Math.max(counter.most, ++counter.open)
    return {
      ...conn,
      close: () => {
        counter.open -= 1
        return conn.close()
      }
    }
  }
  const layer = Layer.effect(
    Driver,
    Effect.map(Driver, (d) => ({
      ...d,
      rawConnect: (file: string) => {
        const conn = d.rawConnect(file)
        return conn instanceof Promise ? conn.then(counted) : counted(conn)
      }
    }))
  ).pipe(Layer.provide(driver))
  return { counter, layer }
}

const sets: ReadonlyArray<ReadonlyArray<string>> = [[], ...LADDER]

describe.each(stores)("the storage floor on %s", (_name, driver) => {
  for (const set of sets) {
    it.live(`${mitigationLabel(set)}: replays every committed transition, leaving each file where the run left it`, () =>
      Effect.gen(function*() {
        const dbPath = tempDb()
        yield* Effect.scoped(seeded(dbPath, FILES))
        const { trial, replay } = yield* trialOn(dbPath, set)
        expect(trial.integrity.ok).toBe(true)
        if ("unavailable" in replay) throw new Error(`no replay: ${replay.unavailable}`)
        const { counter, layer } = countingRaw(driver)
        const { floor } = yield* measureFloor({ dbPath, files: FILES, seed: 42, replay, parts: partsOf(set, 3), runs: 2 })
          .pipe(Effect.provide(layer))
        expect(floor).not.toBeNull()
        expect(floor?.runs).toHaveLength(2)
        expect(floor?.transitions).toBe(trial.transitions)
        expect(floor?.elapsedSeconds).toBeGreaterThan(0)
        // Connections as the strategy has them: one per file, or one shared; a batched writer has its own.
        const perRun = (set.includes("shared-connection") ? 1 : FILES) + (set.includes("batched-writes") ? 1 : 0)
        expect(counter.opened).toBe(2 * perRun)
        const rows = yield* Effect.scoped(Effect.flatMap(open(dbPath), readAll))
        expect(rows).toHaveLength(FILES)
        expect(rows.every((r) => r.state === "indexed" && r.version === 3 && r.hasFileId && r.hasDocId)).toBe(true)
      }).pipe(Effect.provide(driver)))
  }
})

describe("the storage floor", () => {
  it.live("a replay the database cannot follow gives no floor (null), not a wrong one", () =>
    Effect.gen(function*() {
      const dbPath = tempDb()
      yield* Effect.scoped(seeded(dbPath, 3))
      // complete_upload from untracked: the OCC UPDATE changes no row.
      const replay = new Map<string, ReadonlyArray<Event>>([[filePath(2), ["complete_upload"]]])
      for (const mitigations of [[], ["in-memory-guards", "shared-connection", "batched-writes"]] as const) {
        const { floor } = yield* measureFloor({ dbPath, files: 3, seed: 42, replay, parts: partsOf(mitigations, 2), runs: 1 })
        expect(floor).toBeNull()
      }
      // Nothing half-written: the failed transaction rolled back.
      const rows = yield* Effect.scoped(Effect.flatMap(open(dbPath), readAll))
      expect(rows.map((r) => [r.state, r.version])).toEqual([["untracked", 0], ["untracked", 0], ["untracked", 0]])
    }).pipe(Effect.provide(BetterSqlite.layer)))
})

describe.each(drivers)("the storage floor with files in flight at once on %s", (name, driver) => {
  const replay = new Map(Array.from({ length: FILES }, (_, i) => [filePath(i + 1), HAPPY_PATH] as const))
  const answersLater = name === "threaded"

  for (const set of sets) {
    it.live(`${mitigationLabel(set)} at c=4: ` +
      (answersLater ? "refused, the driver answers later; nothing written" : "every file replayed, per-file connections open at once"), () =>
      Effect.gen(function*() {
        const dbPath = tempDb()
        yield* Effect.scoped(seeded(dbPath, FILES))
        const { counter, layer } = countingRaw(driver)
        const { floor } = yield* measureFloor({ dbPath, files: FILES, seed: 42, replay, parts: partsOf(set, 3), runs: 1, concurrency: 4 })
          .pipe(Effect.provide(layer))
        const rows = yield* Effect.scoped(Effect.flatMap(open(dbPath), readAll))
        if (answersLater) {
          expect(floor).toBeNull()
          expect(rows.every((r) => r.state === "untracked")).toBe(true)
          return
        }
        expect(floor?.transitions).toBe(3 * FILES)
        expect(rows.every((r) => r.state === "indexed" && r.version === 3)).toBe(true)
        const connections = set.includes("shared-connection") ? 1 : 4
        expect(counter.most).toBe(connections + (set.includes("batched-writes") ? 1 : 0))
        expect(counter.open).toBe(0)
      }).pipe(Effect.provide(driver)))
  }

  it.live("a file that fails stops the others, and no floor is given", () =>
    Effect.gen(function*() {
      const dbPath = tempDb()
      yield* Effect.scoped(seeded(dbPath, FILES))
      // File 5 cannot complete_upload from untracked: its OCC UPDATE changes no row.
      const broken = new Map(replay)
      broken.set(filePath(5), ["complete_upload"])
      const { floor } = yield* measureFloor({ dbPath, files: FILES, seed: 42, replay: broken, parts: partsOf([], 3), runs: 1, concurrency: 4 })
      expect(floor).toBeNull()
      // Stopped early: not every other file got through.
      const rows = yield* Effect.scoped(Effect.flatMap(open(dbPath), readAll))
      expect(rows.filter((r) => r.state === "indexed").length).toBeLessThan(FILES - 1)
    }).pipe(Effect.provide(driver)))
})
