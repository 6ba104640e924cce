/** The compare command as a CI gate: exit 0 without regression, 1 with one, 2 on bad input. */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { encodeResults } from "../../src/results/files.ts"
import { CPU_ELASTICITY } from "../../src/verdict/compareResults.ts"
import { tempDir } from "../helpers.ts"
import { fakeDocument, fakeRun } from "../verdict/fixtures.ts"
import { cli } from "./inProcess.ts"

const compare = (...args: ReadonlyArray<string>) => cli("compare", ...args)

/** A result document with one configuration whose trials have the given elapsed times (P95s equal them). */
const results = (dir: string, name: string, elapsed: ReadonlyArray<number>, profile = "zero") => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, encodeResults(fakeDocument([fakeRun({ concurrency: 10, profile, trialElapsed: elapsed })])))
  return file
}

describe("compare.ts", () => {
  const dir = tempDir()
  const base = results(dir, "base.json", [1.0, 1.02, 0.98, 1.01, 0.99])

  it.effect("exits 0 when nothing regressed", () =>
    Effect.gen(function*() {
      const same = results(dir, "same.json", [1.01, 0.99, 1.0, 1.02, 0.98])
      const r = yield* compare(base, same)
      expect(r.code).toBe(0)
      expect(r.stdout).toContain("no regression")
      expect(r.stdout).toContain("no significant change")
    }))

  it.effect("exits 0 on an improvement", () =>
    Effect.gen(function*() {
      const faster = results(dir, "faster.json", [0.5, 0.51, 0.49, 0.5, 0.52])
      const r = yield* compare(base, faster)
      expect(r.code).toBe(0)
      expect(r.stdout).toContain("improved")
    }))

  it.effect("exits 1 when a row regressed beyond the noise threshold, and 0 when --noise tolerates it", () =>
    Effect.gen(function*() {
      const slower = results(dir, "slower.json", [1.3, 1.32, 1.28, 1.31, 1.29])
      const r = yield* compare(base, slower)
      expect(r.code).toBe(1)
      expect(r.stdout).toContain("regressed")
      expect((yield* compare(base, slower, "--noise", "0.5")).code).toBe(0)
    }))

  it.effect("BEFORE may name a saved baseline (--baselines DIR); a name neither a file nor saved is refused in one line", () =>
    Effect.gen(function*() {
      const folder = path.join(dir, "baselines")
      fs.mkdirSync(folder, { recursive: true })
      fs.copyFileSync(base, path.join(folder, "main.json"))
      const slower = results(dir, "slower-than-main.json", [1.3, 1.32, 1.28, 1.31, 1.29])
      const r = yield* compare("main", slower, "--baselines", folder)
      expect(r.code).toBe(1)
      expect(r.stdout).toContain("before: baseline main (")
      expect(r.stdout).toMatch(/^REGRESSED: c=10 zero baseline elapsed \+30\.0% \(elapsed:\+5%\)$/m)
      const missing = yield* compare("nope", slower, "--baselines", folder)
      expect(missing.code).toBe(2)
      expect(missing.stderr.trim()).toBe(`error: nope: no such file, and no baseline 'nope' in ${folder} (saved: main)`)
    }))

  it.effect("--fail-on sets what fails, and a config file's defaults.failOn does when the flag is absent", () =>
    Effect.gen(function*() {
      const slower = results(dir, "slower-by-30.json", [1.3, 1.32, 1.28, 1.31, 1.29])
      const tolerant = yield* compare(base, slower, "--fail-on", "elapsed:+50%")
      expect(tolerant.code).toBe(0)
      expect(tolerant.stdout).toContain("fail rules: elapsed:+50%;")
      // A segment's rule: every segment's P95 rose 30% with elapsed in these documents.
      const segment = yield* compare(base, slower, "--fail-on", "lock_wait_ms.p95:+10%")
      expect(segment.code).toBe(1)
      expect(segment.stdout).toMatch(/^REGRESSED: c=10 zero baseline lock_wait_ms P95 \+30\.0% \(lock_wait_ms\.p95:\+10%\)$/m)
      const config = path.join(dir, "tolerant.config.mjs")
      fs.writeFileSync(config, "export default { defaults: { failOn: \"elapsed:+50%\" } }\n")
      expect((yield* compare(base, slower, "--config", config)).code).toBe(0)
      const bad = yield* compare(base, slower, "--fail-on", "elapsed:+10")
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain("'elapsed:+10' is not a rule")
    }))

  it.effect("the machines' probes: a run 1.5× slower on a machine that explains it is no regression, and the output says why", () =>
    Effect.gen(function*() {
      const probed = (name: string, elapsed: ReadonlyArray<number>, cpuMs: number, storageMs: number) => {
        const file = results(dir, name, elapsed)
        const doc = JSON.parse(fs.readFileSync(file, "utf8"))
        const probes = ["start", "c=10 zero baseline", "end"].map((at) => ({ at, cpuMs, storageMs }))
        doc.calibration = {
          cpu: "test", storage: "test", storageUnavailable: null, probes,
          drift: { cpu: 1, storage: 1 }, threshold: 2, shifted: false, hit: []
        }
        fs.writeFileSync(file, JSON.stringify(doc))
        return file
      }
      // The busy side's all-core CPU probe reads 1.5^(1/0.4) ≈ 2.76× slower: elapsed should be 1.5× slower, and is.
      const quiet = probed("quiet.json", [1.0, 1.02, 0.98, 1.01, 0.99], 10, 40)
      const busy = probed("busy.json", [1.5, 1.53, 1.47, 1.515, 1.485], 10 * 1.5 ** (1 / CPU_ELASTICITY), 20)
      const r = yield* compare(quiet, busy)
      expect(r.code).toBe(0)
      expect(r.stdout).toContain(
        "machine: after's machine was 1.50× slower for this run (CPU probe 2.76×, storage probe 0.50×; elapsed moves with the CPU " +
          "probe to the power 0.4); the verdicts rest on the figures divided by it"
      )
      expect(r.stdout).toContain("after ÷ 1.500 (normalized by the machines)")
      expect(r.stdout).toMatch(/^no regression: after's machine was 1\.50× slower for this run; normalized, no rule broken \(the raw figures broke 1\)$/m)
    }))

  it.effect("with fewer than 3 trials a side: no interval and no verdict, exit 0, and a caveat says why", () =>
    Effect.gen(function*() {
      const one = results(dir, "one.json", [1.0])
      const slowerOne = results(dir, "slower-one.json", [1.5])
      const r = yield* compare(one, slowerOne)
      expect(r.code).toBe(0)
      expect(r.stdout).toContain("caveat: fewer than 3 trials on a side: no interval and no verdict for those configurations")
      expect(r.stdout).not.toContain("regressed")
      expect(r.stdout).toContain("no regression")
    }))

  it.effect("a partial document on a side is named in a caveat", () =>
    Effect.gen(function*() {
      const file = path.join(dir, "partial.json")
      const doc = fakeDocument([fakeRun({ concurrency: 10, profile: "zero", trialElapsed: [1.0, 1.01, 0.99] })])
      fs.writeFileSync(file, encodeResults({ ...doc, partial: true }))
      const r = yield* compare(base, file)
      expect(r.stdout).toContain("caveat: after is a partial document (an interrupted run): only the configurations it completed")
    }))

  it.effect("exits 2 on unreadable, foreign or mismatched input, with one line on stderr", () =>
    Effect.gen(function*() {
      const notJson = path.join(dir, "notes.txt")
      fs.writeFileSync(notJson, "hello")
      const realistic = results(dir, "realistic.json", [1, 1, 1], "realistic")
      for (const [args, mentions] of [
        [[base, path.join(dir, "missing.json")], "cannot read"],
        [[base, notJson], "not JSON"],
        [[base, path.join(dir, "..")], "cannot read"],
        [[base, realistic], "no configuration in common"],
        [[base, base, "--noise", "-1"], "--noise"]
      ] as const) {
        const r = yield* compare(...args)
        expect(r.code).toBe(2)
        expect(r.stderr.trim().split("\n")).toHaveLength(1)
        expect(r.stderr).toContain(mentions)
      }
      const foreign = path.join(dir, "foreign.json")
      fs.writeFileSync(foreign, JSON.stringify({ hello: "world" }))
      const r = yield* compare(base, foreign)
      expect(r.code).toBe(2)
      expect(r.stderr).toContain("not an upload-fsm-bench result")
      // A document of an older schema is named as such, not half-read.
      const old = path.join(dir, "old.json")
      fs.writeFileSync(old, JSON.stringify({ ...JSON.parse(fs.readFileSync(base, "utf8")), schemaVersion: 2 }))
      const older = yield* compare(base, old)
      expect(older.code).toBe(2)
      expect(older.stderr).toContain("a result document of schema 2")
    }))

  it.effect("warns when the two were measured on different stores, workers or pool sizes", () =>
    Effect.gen(function*() {
      const other = path.join(dir, "postgres.json")
      const doc = JSON.parse(fs.readFileSync(base, "utf8"))
      fs.writeFileSync(other, JSON.stringify({ ...doc, config: { ...doc.config, store: "postgres", workers: 4, poolSize: 8 } }))
      const r = yield* compare(base, other)
      expect(r.code).toBe(0)
      expect(r.stdout).toContain("measured on different stores (sqlite vs postgres): a comparison of stores, not a regression check")
      expect(r.stdout).toContain("workers differ: 1 vs 4")
      expect(r.stdout).toContain("pool sizes differ: 1 vs 8")
    }))
})
