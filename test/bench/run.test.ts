/**
 * `runBench` as a user's test calls it: a config given as a value, the typed
 * document back; bad options as a typed `BenchError`, nothing run.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { temporaryDatabase } from "../../src/backends/sqlite/dbFile.ts"
import { sqliteStore } from "../../src/backends/sqlite/store.ts"
import {
  BenchError,
  betterSqlite3,
  defineBackend,
  defineConfig,
  defineDriver,
  defineMitigation,
  Driver,
  Guard,
  runBench
} from "../../src/index.ts"

const trusting = defineMitigation({
  name: "trusting-guard",
  short: "trust",
  replaces: "Guard",
  summary: "no read before a write",
  risk: "none worth naming",
  layer: () => Layer.succeed(Guard, { name: "trusting", check: () => Effect.succeed({ queueWaitMs: 0, guardMs: 0 }) }),
  floor: () => ({ readBeforeWrite: false })
})

const small = { files: 12, profiles: ["zero"], concurrency: [4], trials: 2, warmup: 0, contrast: "off", driver: "better-sqlite3" } as const

describe("runBench", () => {
  it.live("runs a config given as a value and answers the typed document, writing no file without out", () =>
    Effect.gen(function*() {
      const doc = yield* runBench({ ...small, config: defineConfig({ mitigations: [trusting], ladder: [["trusting-guard"]] }), ladder: "full" })
      expect(doc.files).toBeNull()
      expect(doc.integrity.ok).toBe(true)
      expect(doc.comparisons?.steps.map((s) => s.mitigation)).toEqual(["trusting-guard"])
      expect(doc.comparisons?.steps[0]?.after.strategy.guard).toBe("trusting")
      expect(doc.comparisons?.steps[0]?.after.floor).not.toBeNull()
      expect(doc.catalog.find((c) => c.name === "trusting-guard")?.origin).toEqual({ kind: "program" })
    }))

  it.live("bad options, an unknown mitigation, and workers with a config value are BenchErrors of kind bad-input", () =>
    Effect.gen(function*() {
      const zero = yield* Effect.flip(runBench({ ...small, files: 0 }))
      expect(zero).toBeInstanceOf(BenchError)
      expect(zero.kind).toBe("bad-input")
      expect(zero.message).toBe("options.files: must be at least 1, got 0")
      const unknown = yield* Effect.flip(runBench({ ...small, mitigations: ["warp-drive"] }))
      expect(unknown.message).toBe("--mitigations: unknown mitigation 'warp-drive' (known: in-memory-guards, shared-connection, batched-writes)")
      const workers = yield* Effect.flip(runBench({ ...small, workers: 2, config: defineConfig({ mitigations: [trusting] }) }))
      expect(workers.kind).toBe("bad-input")
      expect(workers.message).toMatch(/give config as the file's path/)
    }))

  it.live("takes a driver a config value defines (no flag can name one): the run is measured on it and the document says so", () =>
    Effect.gen(function*() {
      let connections = 0
      // better-sqlite3's driver, counting the connections the run opens through it.
      const counting = defineDriver({
        ...betterSqlite3,
        name: "counting-sqlite",
        summary: "better-sqlite3, counting its connections",
        load: async () =>
          Layer.effect(
            Driver,
            Effect.map(Driver, (inner) => ({
              ...inner,
              name: "counting-sqlite",
              connect: (file: string) => Effect.zipRight(Effect.sync(() => void (connections += 1)), inner.connect(file)),
              open: (file: string) => Effect.zipRight(Effect.sync(() => void (connections += 1)), inner.open(file))
            }))
          ).pipe(Layer.provide(await betterSqlite3.load()))
      })
      const doc = yield* runBench({ ...small, driver: "counting-sqlite", ladder: "off", config: defineConfig({ drivers: [counting] }) })
      expect(doc.config.driver).toBe("counting-sqlite")
      expect(doc.environment.driver).toBe("counting-sqlite")
      expect(doc.integrity.ok).toBe(true)
      expect(doc.runs[0]?.indexed).toBe(12)
      // Every file's actor opens its own connection: at least one per file per trial, besides the observers.
      expect(connections).toBeGreaterThanOrEqual(2 * 12)
      expect(doc.answer.drivers).toEqual([{ name: "counting-sqlite", summary: "better-sqlite3, counting its connections", inline: true }])
      // The config's default names it too; an unknown name, or a second driver of a built-in's name, is bad input.
      const { driver: _, ...withoutDriver } = small
      const byDefault = yield* runBench({ ...withoutDriver, ladder: "off", config: defineConfig({ drivers: [counting], defaults: { driver: "counting-sqlite" } }) })
      expect(byDefault.config.driver).toBe("counting-sqlite")
      const unknown = yield* Effect.flip(runBench({ ...small, driver: "counting-sqlite" }))
      expect(unknown.message).toBe("--driver: 'counting-sqlite' is not one of better-sqlite3, threaded, node-sqlite, effect-sqlite")
      const clash = yield* Effect.flip(runBench({ ...small, config: defineConfig({ drivers: [{ ...counting, name: "threaded" }] }) }))
      expect(clash.message).toBe("config: driver 'threaded' is a built-in's name; choose another")
    }))

  it.live("--target-ci: the deciding configurations get rounds until the interval or the cap, and the document says which", () =>
    Effect.gen(function*() {
      const deciding = { ...small, concurrency: [10], ladder: "full", config: defineConfig({ ladder: [["in-memory-guards"]] }) } as const
      // No interval is ever that narrow: every side goes on to the cap, in rounds.
      const capped = yield* runBench({ ...deciding, targetCi: 1e-9, maxTrials: 4 })
      const step = capped.comparisons?.steps[0]
      expect([step?.before.trials, step?.after.trials]).toEqual([4, 4])
      expect(step?.before.adaptive).toMatchObject({ reason: "cap", target: 1e-9, maxTrials: 4 })
      expect(step?.after.adaptive?.reason).toBe("cap")
      expect(capped.config).toMatchObject({ targetCi: 1e-9, maxTrials: 4, trials: 2 })
      // Two trials' interval is never wider than their median (a target of 1): they stop at the minimum.
      const pinned = yield* runBench({ ...deciding, targetCi: 1 })
      expect(pinned.comparisons?.steps[0]?.before).toMatchObject({ trials: 2, adaptive: { reason: "interval", maxTrials: 6 } })
      // Without a target, a fixed number of trials, and nothing said of stopping.
      const fixed = yield* runBench({ ...deciding })
      expect(fixed.comparisons?.steps[0]?.before.trials).toBe(2)
      expect(fixed.comparisons?.steps[0]?.before.adaptive).toBeUndefined()
      expect(fixed.config).toMatchObject({ targetCi: null, maxTrials: null })
    }))

  it.live("takes a store a config value defines: one value (its store, its driver, its target), and the run is on it", () =>
    Effect.gen(function*() {
      // A test double: SQLite's statements and ways under another name, better-sqlite3's connections, and a
      // database the target makes for the run in a temporary folder.
      const twinDriver = defineDriver({
        ...betterSqlite3,
        name: "twin-inline",
        store: "twin",
        summary: "better-sqlite3, on the twin store",
        load: async () =>
          Layer.effect(Driver, Effect.map(Driver, (inner) => ({ ...inner, name: "twin-inline" }))).pipe(
            Layer.provide(await betterSqlite3.load())
          )
      })
      const twin = defineBackend({
        name: "twin",
        store: async () => ({ ...sqliteStore, name: "twin" }),
        drivers: [twinDriver],
        defaultDriver: "twin-inline",
        target: () =>
          Effect.succeed({ given: null, named: "--store twin", open: Effect.map(temporaryDatabase, (path) => ({ path, label: "a twin file" })) })
      })
      const { driver: _, ...withoutDriver } = small
      const doc = yield* runBench({ ...withoutDriver, store: "twin", ladder: "off", config: defineConfig({ backends: [twin] }) })
      expect(doc.config).toMatchObject({ store: "twin", driver: "twin-inline", db: "a twin file" })
      expect(doc.environment.storeVersion).toMatch(/^SQLite 3\./)
      expect(doc.integrity.ok).toBe(true)
      expect(doc.runs[0]?.indexed).toBe(12)
      // Without the config, no such store; with it, no driver of another store on it.
      const unknown = yield* Effect.flip(runBench({ ...withoutDriver, store: "twin" }))
      expect(unknown.message).toBe("--store: 'twin' is not one of sqlite, postgres")
      const foreign = yield* Effect.flip(runBench({ ...small, store: "twin", config: defineConfig({ backends: [twin] }) }))
      expect(foreign.message).toBe("--driver better-sqlite3: a SQLite driver; --store twin has its own")
    }))
})
