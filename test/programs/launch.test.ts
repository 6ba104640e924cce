/**
 * How the programs start (`src/cli/launch.ts`): the bundle of the sources, built
 * into a cache folder and rebuilt when a source changes; the sources under
 * `UPLOAD_FSM_BENCH_SOURCES=1` or when the bundle cannot be built.
 */
import * as fs from "node:fs"
import { isBuiltin } from "node:module"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { afterEach, describe, expect, it, vi } from "@effect/vitest"
import { buildBundle, fingerprint, freshBundle, load, SOURCES_VARIABLE } from "../../src/cli/launch.ts"
import { tempDir } from "../helpers.ts"
import { root, spawn, tsx } from "./spawned.ts"

afterEach(() => {
  vi.restoreAllMocks()
})

const latestInputs = (cacheDir: string): ReadonlyArray<string> =>
  (JSON.parse(fs.readFileSync(path.join(cacheDir, "latest.json"), "utf8")) as { inputs: ReadonlyArray<string> }).inputs

describe("the bundle", () => {
  it("is built from the sources into the cache: main and the runners' process, found again while nothing changes", async () => {
    const cache = tempDir()
    const dir = await buildBundle(cache)
    expect(fs.readdirSync(dir).sort()).toEqual(["main.mjs", "runner.mjs"])
    const inputs = latestInputs(cache)
    expect(inputs).toContain("src/cli/main.ts")
    expect(inputs).toContain("src/cluster/child.ts")
    expect(inputs.filter((f) => f.startsWith("node_modules/"))).toEqual([])
    expect(path.basename(dir)).toBe(fingerprint(inputs))
    expect(freshBundle(cache)).toBe(dir)
    // Built again with nothing changed: the same folder, and nothing else left in the cache.
    expect(await buildBundle(cache)).toBe(dir)
    expect(fs.readdirSync(cache).sort()).toEqual([path.basename(dir), "latest.json"])
  })

  it("keeps each module's own import.meta.url, says where it is only in bundled.ts, and has no dynamic import", async () => {
    const dir = await buildBundle(tempDir())
    const main = fs.readFileSync(path.join(dir, "main.mjs"), "utf8")
    // local.ts finds its runner's source by its own URL; in the bundle, that URL is the source file's.
    expect(main).toContain(JSON.stringify(pathToFileURL(path.join(root, "src", "cluster", "local.ts")).href))
    // (A module a lazily loaded one shares is initialized on first use: its `var` is then declared apart.)
    expect(main).toMatch(/(var )?bundleDir = fileURLToPath\d*\(new URL\("\.", import\.meta\.url\)\);/)
    expect(main).not.toMatch(/(var )?bundleDir = null/)
    // tsx's loader passes a module through untouched only when it has no `import(`: the whole point of the bundle.
    expect(main).not.toContain("import(")
    expect(fs.readFileSync(path.join(dir, "runner.mjs"), "utf8")).not.toContain("import(")
    // What loading the bundle loads at once: Node's own modules and the SQLite addon, nothing else (pg, for one,
    // loads with the Postgres driver, when a run asks for it).
    const loadedAtOnce = new Set([...main.matchAll(/^import [^;]* from "([^"]+)";?$/gm)].map((m) => m[1]))
    // (Node's own, with or without the `node:` prefix: msgpackr, for one, imports "module".)
    expect([...loadedAtOnce].filter((name) => name === undefined || !isBuiltin(name))).toEqual(["better-sqlite3"])
  })

  it("concurrent builds into one cache agree on one folder and leave no half-built one", async () => {
    const cache = tempDir()
    const dirs = await Promise.all([buildBundle(cache), buildBundle(cache), buildBundle(cache)])
    expect(new Set(dirs).size).toBe(1)
    expect(fs.readdirSync(cache).filter((n) => n.startsWith("building-") || n.includes("latest.json."))).toEqual([])
  })

  it("a build removes all but the most recently used bundles", async () => {
    const cache = tempDir()
    const old = ["aaaa", "bbbb", "cccc", "dddd"]
    old.forEach((name, i) => {
      fs.mkdirSync(path.join(cache, name))
      const t = new Date(Date.now() - (i + 1) * 60_000)
      fs.utimesSync(path.join(cache, name), t, t)
    })
    const dir = await buildBundle(cache)
    // The new one and the two most recent of the old (3 in all).
    expect(fs.readdirSync(cache).filter((n) => n !== "latest.json").sort()).toEqual(["aaaa", "bbbb", path.basename(dir)].sort())
  })
})

describe("the fingerprint", () => {
  const project = () => {
    const dir = tempDir()
    for (const f of ["package.json", "package-lock.json", "tsconfig.json", "src/cli/launch.ts", "src/a.ts"]) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true })
      fs.writeFileSync(path.join(dir, f), `// ${f}\n`)
    }
    return dir
  }

  it("changes with any input's contents, the package files, and the project's folder", () => {
    const a = project()
    const before = fingerprint(["src/a.ts"], a)
    expect(fingerprint(["src/a.ts"], a)).toBe(before)
    fs.appendFileSync(path.join(a, "src/a.ts"), "export {}\n")
    const edited = fingerprint(["src/a.ts"], a)
    expect(edited).not.toBe(before)
    fs.appendFileSync(path.join(a, "package-lock.json"), "\n")
    expect(fingerprint(["src/a.ts"], a)).not.toBe(edited)
    const b = project()
    expect(fingerprint(["src/a.ts"], b)).not.toBe(fingerprint(["src/a.ts"], project()))
  })

  it("of a build: the sources as the build read them, not as they are by the time it ends", () => {
    const a = project()
    const onDisk = fingerprint(["src/a.ts"], a)
    expect(fingerprint(["src/a.ts"], a, new Map([["src/a.ts", "// src/a.ts\n"]]))).toBe(onDisk)
    expect(fingerprint(["src/a.ts"], a, new Map([["src/a.ts", "// changed meanwhile\n"]]))).not.toBe(onDisk)
  })

  it("a bundle whose sources are gone or changed is not fresh", () => {
    const a = project()
    const cache = tempDir()
    fs.writeFileSync(path.join(cache, "latest.json"), JSON.stringify({ inputs: ["src/a.ts"] }))
    fs.mkdirSync(path.join(cache, fingerprint(["src/a.ts"], a)))
    fs.writeFileSync(path.join(cache, fingerprint(["src/a.ts"], a), "main.mjs"), "")
    expect(freshBundle(cache, a)).toBe(path.join(cache, fingerprint(["src/a.ts"], a)))
    fs.appendFileSync(path.join(a, "src/a.ts"), "export {}\n")
    expect(freshBundle(cache, a)).toBeNull()
    fs.rmSync(path.join(a, "src/a.ts"))
    expect(freshBundle(cache, a)).toBeNull()
    fs.writeFileSync(path.join(cache, "latest.json"), "not json")
    expect(freshBundle(cache, a)).toBeNull()
  })
})

describe("loading", () => {
  it("a cache that cannot be written: the sources, and one line on stderr saying why", async () => {
    const file = path.join(tempDir(), "a-file")
    fs.writeFileSync(file, "")
    const lines: Array<string> = []
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk))
      return true
    })
    const { entry, origin } = await load(path.join(file, "cache"))
    expect(typeof entry.main).toBe("function")
    expect(origin).toMatch(/^the sources \(no bundle: /)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^upload-fsm-bench: running from the sources \(slower to start\): the bundle could not be built or loaded in .*a-file[/\\]cache: /)
  })

  it("a bundle that is not one (no main): the sources, and one line on stderr saying why", async () => {
    const cache = tempDir()
    fs.writeFileSync(path.join(cache, "latest.json"), JSON.stringify({ inputs: [] }))
    const dir = path.join(cache, fingerprint([]))
    fs.mkdirSync(dir)
    fs.writeFileSync(path.join(dir, "main.mjs"), "export const other = 1\n")
    const lines: Array<string> = []
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk))
      return true
    })
    const { entry, origin } = await load(cache)
    expect(typeof entry.main).toBe("function")
    expect(origin).toBe(`the sources (no bundle: ${path.join(dir, "main.mjs")} has no main)`)
    expect(lines).toEqual([`upload-fsm-bench: running from the sources (slower to start): the bundle could not be built or loaded in ${cache}: ${path.join(dir, "main.mjs")} has no main\n`])
  })

  it(`${SOURCES_VARIABLE}=1: the sources, nothing built`, async () => {
    const cache = path.join(tempDir(), "cache")
    vi.stubEnv(SOURCES_VARIABLE, "1")
    const { origin } = await load(cache)
    vi.unstubAllEnvs()
    expect(origin).toBe(`the sources (${SOURCES_VARIABLE}=1)`)
    expect(fs.existsSync(cache)).toBe(false)
  })

  it("programs/bench.ts runs from the bundle, or from the sources when asked; the debug log says which", () => {
    const args = ["programs/bench.ts", "--files", "3", "--concurrency", "1", "--profiles", "zero", "--trials", "1", "--warmup", "0",
      "--ladder", "off", "--driver", "better-sqlite3", "--json", "--log-level", "debug"]
    const bundled = spawn(tsx, [...args, "--out", tempDir()])
    expect(bundled.code).toBe(1)
    expect(bundled.stderr).toMatch(/first trial starts \d+ ms after process start .*; code: the bundle node_modules[/\\]\.cache[/\\]upload-fsm-bench[/\\][0-9a-f]{20}/)
    const sources = spawn("env", [`${SOURCES_VARIABLE}=1`, tsx, ...args, "--out", tempDir()])
    expect(sources.code).toBe(1)
    expect(sources.stderr).toContain(`code: the sources (${SOURCES_VARIABLE}=1)`)
    // The same run either way.
    const indexed = (stdout: string) => (JSON.parse(stdout) as { runs: ReadonlyArray<{ indexed: number }> }).runs.map((r) => r.indexed)
    expect(indexed(bundled.stdout)).toEqual(indexed(sources.stdout))
  })
})
