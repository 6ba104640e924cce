/** The run's calibrator: its probes recorded, its threads and scratch folder gone when its scope closes. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { makeCalibrator } from "../../src/bench/calibration.ts"
import { TEMPORARY_PREFIX } from "../../src/process/tempFolders.ts"
import { BetterSqlite } from "../drivers.ts"

describe("the calibrator", () => {
  it.live("records each probe, on every core and on a scratch database, and leaves no thread or folder", () =>
    Effect.gen(function*() {
      const { probes, threads, scratch } = yield* Effect.scoped(
        Effect.gen(function*() {
          const calibrator = yield* makeCalibrator({ commits: 10 })
          expect(calibrator.threads).toHaveLength(Math.max(1, os.availableParallelism()))
          for (const t of calibrator.threads) expect(t.threadId).toBeGreaterThan(0)
          yield* calibrator.probe("start")
          yield* calibrator.probe("c=10 zero baseline, round 1")
          expect(calibrator.cpu).toContain(`on ${os.availableParallelism()} threads at once`)
          expect(calibrator.storage).toContain("10 commits")
          expect(calibrator.unavailable).toBeNull()
          expect(fs.existsSync(calibrator.scratch ?? "")).toBe(true)
          return { probes: calibrator.probes(), threads: calibrator.threads, scratch: calibrator.scratch }
        })
      )
      expect(probes.map((p) => p.at)).toEqual(["start", "c=10 zero baseline, round 1"])
      for (const p of probes) {
        expect(p.cpuMs).toBeGreaterThan(0)
        expect(p.storageMs).toBeGreaterThan(0)
      }
      // Its threads stopped and its scratch folder removed with its scope.
      for (const t of threads) expect(t.threadId).toBe(-1)
      expect(fs.existsSync(path.dirname(scratch ?? ""))).toBe(false)
    }).pipe(Effect.provide(BetterSqlite.layer)))

  it.live("a storage probe that cannot write records no figure and never fails the run", () =>
    Effect.gen(function*() {
      const probes = yield* Effect.scoped(
        Effect.gen(function*() {
          const calibrator = yield* makeCalibrator({ commits: 5 })
          // The scratch folder replaced by a file: the database cannot be opened there.
          const folder = path.dirname(calibrator.scratch ?? "")
          expect(path.basename(folder).startsWith(TEMPORARY_PREFIX)).toBe(true)
          fs.rmSync(folder, { recursive: true, force: true })
          fs.writeFileSync(folder, "not a folder")
          yield* calibrator.probe("start")
          fs.rmSync(folder, { force: true })
          return calibrator.probes()
        })
      )
      expect(probes).toHaveLength(1)
      expect(probes[0]?.storageMs).toBeNull()
      expect(probes[0]?.cpuMs).toBeGreaterThan(0)
    }).pipe(Effect.provide(BetterSqlite.layer)))
})
