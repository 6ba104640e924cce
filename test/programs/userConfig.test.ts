/**
 * A config file of a user's, as a user runs it: the bench started as a
 * process from a folder holding the config (found by itself) or with
 * `--config PATH`. A good config's mitigation runs on the ladder, in worker
 * processes too; each kind of bad config is one line naming the file, exit 2,
 * nothing run and nothing written; a config's mitigation that dies mid-run
 * fails its configuration with exit 3, naming it.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { tempDir } from "../helpers.ts"
import { root } from "./spawned.ts"

const bin = path.join(root, "bin", "upload-fsm-bench.js")

/** A project folder (an ES module package) holding `upload-fsm-bench.config.ts` with `body`. */
const configIn = (body: string): string => {
  const dir = tempDir()
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }))
  // The project's own Effect (a user's project depends on it), the same one the bench runs with.
  fs.mkdirSync(path.join(dir, "node_modules"))
  fs.symlinkSync(path.join(root, "node_modules", "effect"), path.join(dir, "node_modules", "effect"))
  fs.writeFileSync(path.join(dir, "upload-fsm-bench.config.ts"), body)
  return dir
}

/** The bench as a process in `cwd` (spawned, not run synchronously: the test runner's own messages go on meanwhile). */
const bench = (cwd: string, ...args: ReadonlyArray<string>) =>
  new Promise<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, "bench", ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => void (stdout += d.toString()))
    child.stderr.on("data", (d: Buffer) => void (stderr += d.toString()))
    const guard = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`no exit within 120 s; stderr: ${stderr.slice(-500)}`))
    }, 120_000)
    child.on("close", (code) => {
      clearTimeout(guard)
      resolve({ code, stdout, stderr })
    })
  })

const SMALL = ["--files", "20", "--quick", "--profiles", "zero", "--concurrency", "4", "--trials", "1", "--warmup", "0", "--contrast", "off"]

/** A Guard replacement that trusts the FSM, as a user would write it (the built-in's shape, under another name). */
const trustingGuard = (name: string, extra = "") => `
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { defineMitigation, Guard } from "upload-fsm-bench"
export const ${name.replaceAll("-", "_")} = defineMitigation({
  name: "${name}",
  short: "trust",
  replaces: "Guard",
  summary: "no read before a write",
  risk: null,
  layer: () => Layer.succeed(Guard, { name: "trusting", check: () => Effect.succeed({ queueWaitMs: 0, guardMs: 0 }) }),
  floor: () => ({ readBeforeWrite: false })${extra}
})
`

describe("a config file's mitigations", () => {
  it("found in the working directory: its mitigation runs on its ladder, with a floor, and the result says where it came from", async () => {
    const dir = configIn(`${trustingGuard("trusting-guard")}
import { defineConfig } from "upload-fsm-bench"
export default defineConfig({ mitigations: [trusting_guard], ladder: [["trusting-guard"]] })
`)
    const out = path.join(dir, "out")
    const r = await bench(dir, ...SMALL, "--ladder", "full", "--out", out, "--json")
    expect(r.stderr).not.toContain("error")
    const doc = JSON.parse(r.stdout)
    expect(doc.comparisons.steps.map((s: { mitigation: string }) => s.mitigation)).toEqual(["trusting-guard"])
    expect(doc.comparisons.steps[0].after.strategy.guard).toBe("trusting")
    expect(doc.comparisons.steps[0].after.floor).not.toBeNull()
    const entry = doc.catalog.find((c: { name: string }) => c.name === "trusting-guard")
    expect(entry.origin.kind).toBe("config")
    expect(entry.origin.path).toBe(path.join(fs.realpathSync(dir), "upload-fsm-bench.config.ts"))
    expect(entry.origin.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(doc.answer.mitigations.map((m: { set: string }) => m.set)).toEqual(["trusting-guard"])
  })

  it("with --config and --workers 2: each worker loads it, and --mitigations takes its names", async () => {
    const dir = configIn(`${trustingGuard("trusting-guard")}
import { defineConfig } from "upload-fsm-bench"
export default defineConfig({ mitigations: [trusting_guard] })
`)
    const elsewhere = tempDir()
    const r = await bench(elsewhere, ...SMALL, "--config", path.join(dir, "upload-fsm-bench.config.ts"), "--mitigations", "trusting-guard",
      "--workers", "2", "--out", path.join(elsewhere, "out"), "--json")
    const doc = JSON.parse(r.stdout)
    expect(doc.config.mitigations).toEqual(["trusting-guard"])
    expect(doc.runs[0].workers).toBe(2)
    expect(doc.runs[0].strategy.guard).toBe("trusting")
    expect(doc.runs[0].integrity.ok).toBe(true)
  })

  it("a mitigation without a floor: its efficiency is unavailable, and the result says why", async () => {
    const dir = configIn(`${trustingGuard("no-floor", "").replace("floor: () => ({ readBeforeWrite: false })", 'floor: { none: "it cannot be replayed" }')}
import { defineConfig } from "upload-fsm-bench"
export default defineConfig({ mitigations: [no_floor] })
`)
    const r = await bench(dir, ...SMALL, "--mitigations", "no-floor", "--out", path.join(dir, "out"), "--json")
    const doc = JSON.parse(r.stdout)
    const step = doc.comparisons.steps[0]
    expect(step.after.floor).toBeNull()
    expect(step.after.efficiency).toBeNull()
    expect(step.after.floorUnavailable).toBe("no floor: no-floor: it cannot be replayed")
    expect(step.before.floor).not.toBeNull()
  })

  const bad: ReadonlyArray<readonly [string, string, RegExp]> = [
    ["does not load (a syntax error)", "export default {", /does not load/],
    ["throws while it loads", 'throw new Error("no database password set")', /does not load: no database password set/],
    ["exports the wrong shape", "export default 42", /its default export is not a config/],
    ["has no default export", "export const config = {}", /has no default export/],
    [
      "registers a name twice",
      `${trustingGuard("twice")}\nimport { defineConfig } from "upload-fsm-bench"\nexport default defineConfig({ mitigations: [twice, twice] })`,
      /mitigation 'twice' is registered twice/
    ],
    [
      "takes a built-in's name",
      `${trustingGuard("in-memory-guards")}\nimport { defineConfig } from "upload-fsm-bench"\nexport default defineConfig({ mitigations: [in_memory_guards] })`,
      /mitigation 'in-memory-guards' is a built-in's name/
    ],
    [
      "names an unknown service",
      `${trustingGuard("cache").replace('replaces: "Guard"', 'replaces: "Cache" as "Guard"')}\nexport default {}`,
      /'replaces' is "Cache", not one of Connections, Guard, Writer/
    ],
    [
      "requires an unknown mitigation",
      `${trustingGuard("needy", ',\n  requires: [{ mitigation: "warp-drive", because: "it is fast" }]')}\nimport { defineConfig } from "upload-fsm-bench"\nexport default defineConfig({ mitigations: [needy] })`,
      /mitigation 'needy' requires 'warp-drive', which is not registered/
    ],
    [
      "has a layer that fails while it is built",
      `import * as Layer from "effect/Layer"
import { defineConfig, defineMitigation } from "upload-fsm-bench"
const broken = defineMitigation({
  name: "broken",
  short: "broken",
  replaces: "Guard",
  summary: "a guard whose queue is not there",
  risk: null,
  layer: () => Layer.fail("no such queue"),
  floor: () => ({ readBeforeWrite: false })
})
export default defineConfig({ mitigations: [broken] })`,
      /mitigation broken: its layer failed while it was built \(no such queue\)/
    ],
    [
      "has a layer() that throws, not selected by the run",
      `import { defineConfig, defineMitigation } from "upload-fsm-bench"
const throwing = defineMitigation({
  name: "throwing",
  short: "throwing",
  replaces: "Writer",
  summary: "a writer whose layer() throws",
  risk: null,
  layer: () => {
    throw new Error("no writer today")
  },
  floor: () => ({ writer: "own-connection", batchSize: 1 })
})
export default defineConfig({ mitigations: [throwing], ladder: [["in-memory-guards"]] })`,
      /mitigation throwing: its layer failed while it was built \(.*no writer today\)/
    ],
    ["has a bad default", "export default { defaults: { batchSize: 0 } }", /defaults\.batchSize: must be at least 1/]
  ]
  for (const [what, body, message] of bad) {
    it(`a config that ${what}: one line naming the file, exit 2, nothing written`, async () => {
      const dir = configIn(body)
      const out = path.join(dir, "out")
      const r = await bench(dir, ...SMALL, "--out", out)
      expect(r.code).toBe(2)
      const lines = r.stderr.trim().split("\n")
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/^error: config .*upload-fsm-bench\.config\.ts: /)
      expect(lines[0]).toMatch(message)
      expect(r.stdout).toBe("")
      expect(fs.existsSync(out)).toBe(false)
    })
  }

  it("a config whose top level never returns: a signal while it loads ends the process (nothing is held yet)", async () => {
    const dir = configIn(`import * as fs from "node:fs"
fs.writeFileSync("loading", "")
for (;;) {}
`)
    const child = spawn(process.execPath, [bin, "bench", ...SMALL, "--out", path.join(dir, "out")], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] })
    const ended = new Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>((resolve) =>
      child.on("close", (code, signal) => resolve({ code, signal }))
    )
    try {
      // The config's top level has begun (it says so in a file), and loops from then on.
      while (!fs.existsSync(path.join(dir, "loading"))) await new Promise((resolve) => setTimeout(resolve, 50))
      child.kill("SIGINT")
      const stopped = await Promise.race([ended, new Promise<null>((resolve) => setTimeout(() => resolve(null), 60_000))])
      expect(stopped).toEqual({ code: null, signal: "SIGINT" })
      expect(fs.existsSync(path.join(dir, "out"))).toBe(false)
    } finally {
      child.kill("SIGKILL")
    }
  }, 90_000)

  it("a .ts config in a folder that is not an ES module package: one line saying what to do; as .mts it loads", async () => {
    const dir = configIn(`${trustingGuard("trusting-guard")}
import { defineConfig } from "upload-fsm-bench"
export default defineConfig({ mitigations: [trusting_guard] })
`)
    fs.rmSync(path.join(dir, "package.json"))
    const r = await bench(dir, ...SMALL, "--out", path.join(dir, "out"))
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toBe(
      `error: config ${path.join(dir, "upload-fsm-bench.config.ts")}: is read as CommonJS here; a config is an ES module: ` +
        "add \"type\": \"module\" to the package.json of its folder, or name it upload-fsm-bench.config.mts"
    )
    fs.renameSync(path.join(dir, "upload-fsm-bench.config.ts"), path.join(dir, "upload-fsm-bench.config.mts"))
    const help = await bench(dir, "--help")
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/trusting-guard\s+replaces Guard \(config\): no read before a write/)
  })

  it("--config naming a file that is not there: one line, exit 2", async () => {
    const dir = tempDir()
    const r = await bench(dir, ...SMALL, "--config", "missing.config.ts", "--out", path.join(dir, "out"))
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toMatch(/^error: config missing\.config\.ts: cannot read/)
    expect(fs.existsSync(path.join(dir, "out"))).toBe(false)
  })

  it("a config's writer that dies mid-run: exit 3, and the message names the configuration and the mitigation", async () => {
    const dir = configIn(`
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { defineConfig, defineMitigation, Writer } from "upload-fsm-bench"
let calls = 0
const flaky = defineMitigation({
  name: "flaky-writer",
  short: "flaky",
  replaces: "Writer",
  summary: "dies on its tenth write",
  risk: null,
  layer: () => Layer.succeed(Writer, {
    name: "flaky",
    persist: () => (++calls === 10 ? Effect.dieMessage("the disk went away") : Effect.succeed({ queueWaitMs: 0, lockWaitMs: 0, busyEvents: 0, busyWaitMs: 0, writeMs: 0 })),
    flush: Effect.void,
    stats: Effect.succeed({ commits: 0, failedCommits: 0, lostTransitions: 0, ledger: new Map(), byEvent: new Map() })
  }),
  floor: { none: "it writes nothing" }
})
export default defineConfig({ mitigations: [flaky] })
`)
    const r = await bench(dir, ...SMALL, "--mitigations", "flaky-writer", "--out", path.join(dir, "out"))
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/error: c=4 zero flaky-writer \(the config's flaky-writer\): .*the disk went away/)
  })
})
