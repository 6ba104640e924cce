/** The run's calibrator: its probes recorded, its threads and scratch folder gone when its scope closes. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { makeCalibrator } from "../../src/bench/calibration.ts"
import { TEMPORARY_PREFIX } from "../../src/process/tempFolders.ts"
import { BetterSqlite } from "../drivers.ts"

const threads = () => fs.readdirSync("/proc/self/task").length
const scratchFolders = () => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(TEMPORARY_PREFIX) && fs.existsSync(path.join(os.tmpdir(), n, "probe.db")))

describe("the calibrator", () => {
  it.live("records each probe, on every core and on a scratch database, and leaves no thread or folder", () =>
    Effect.gen(function*() {
      const before = threads()
      const foldersBefore = scratchFolders()
      const probes = yield* Effect.scoped(
        Effect.gen(function*() {
          const calibrator = yield* makeCalibrator({ commits: 10 })
          expect(threads()).toBe(before + Math.max(1, os.availableParallelism()))
          yield* calibrator.probe("start")
          yield* calibrator.probe("c=10 zero baseline, round 1")
          expect(calibrator.cpu).toContain(`on ${os.availableParallelism()} threads at once`)
          expect(calibrator.storage).toContain("10 commits")
          expect(calibrator.unavailable).toBeNull()
          return calibrator.probes()
        })
      )
      expect(probes.map((p) => p.at)).toEqual(["start", "c=10 zero baseline, round 1"])
      for (const p of probes) {
        expect(p.cpuMs).toBeGreaterThan(0)
        expect(p.storageMs).toBeGreaterThan(0)
      }
      // Worker threads end a moment after terminate() resolves; the scratch folder is gone at once.
      yield* Effect.promise(async () => {
        for (let i = 0; i < 100 && threads() > before; i++) await new Promise((r) => setTimeout(r, 20))
      })
      expect(threads()).toBe(before)
      expect(scratchFolders()).toEqual(foldersBefore)
    }).pipe(Effect.provide(BetterSqlite.layer)))
})
