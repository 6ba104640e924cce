/**
 * How a program starts. Under Node it runs a bundle of the project's sources
 * (one file with Effect and the other pure-JavaScript dependencies inside),
 * built with esbuild into `node_modules/.cache/upload-fsm-bench/<fingerprint>/`
 * the first time it is wanted and again after any change: the fingerprint
 * covers every source file the bundle was built from, the package files and
 * this module. Loading the sources one module at a time through tsx's loader
 * costs several times what the bundle does before anything runs
 * (docs/measurements.md, "Fixed cost and memory").
 *
 * The bundle is the same code: each source module's `import.meta.url` is its
 * own file's, as when it runs from the sources; only `bundled.ts` says where
 * the bundle is (the runners of `--workers` start from it). Under Deno, with
 * `UPLOAD_FSM_BENCH_SOURCES=1`, or when the bundle cannot be built (a message
 * says why), the program runs from its sources.
 *
 * This module imports only Node's own modules: it runs before anything else.
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import process from "node:process"
import { fileURLToPath, pathToFileURL } from "node:url"
import { installStartSignals } from "../process/startSignals.ts"

// Before anything else loads: a stop signal while the program loads is remembered, not fatal.
installStartSignals()

/** The program's entry, whichever way it was loaded. */
export interface Entry {
  readonly main: (args: ReadonlyArray<string>, origin?: string) => void
}


/** The environment variable that asks for the sources. */
export const SOURCES_VARIABLE = "UPLOAD_FSM_BENCH_SOURCES"

const root = fileURLToPath(new URL("../..", import.meta.url))

/** Where bundles are kept (tools' caches conventionally live in node_modules/.cache). */
export const defaultCacheDir = path.join(root, "node_modules", ".cache", "upload-fsm-bench")

/** Besides the sources a bundle was built from, what its fingerprint covers (project-relative). */
const ALWAYS = ["package.json", "package-lock.json", "tsconfig.json", "src/cli/launch.ts"]

/**
 * Packages left outside the bundle: native addons (and pg's optional one), and what only some runs load
 * (CommonJS, read with require). `pg` is inside: left outside, `@effect/sql-pg`'s top-level import of it
 * became an import at the top of the bundle, loading it (and Node's fetch with it) for every run;
 * inside, it loads when a Postgres run first imports its driver.
 */
const EXTERNAL = ["better-sqlite3", "pg-native", "playwright-core", "vega", "vega-lite", "esbuild", "tsx"]

/** Where the launcher leaves its `import` for the bundle, which holds none of its own (`config/importer.ts`). */
const IMPORT_KEY = "upload-fsm-bench/import"

/** The bundles built (and kept) at most: older ones are removed after a build. */
const KEEP = 3

interface Latest {
  /** Project-relative paths of the sources the last bundle was built from. */
  readonly inputs: ReadonlyArray<string>
}

/**
 * A digest of the project's folder, `inputs` and `ALWAYS` (names and
 * contents: as `read` holds them, else as the files hold them now); throws
 * if one cannot be read.
 */
export const fingerprint = (inputs: ReadonlyArray<string>, project: string = root, read: ReadonlyMap<string, string> = new Map()): string => {
  const hash = crypto.createHash("sha256").update(project)
  for (const file of [...new Set([...ALWAYS, ...inputs])].sort()) {
    hash.update(`\0${file}\0`).update(read.get(file) ?? fs.readFileSync(path.join(project, file)))
  }
  return hash.digest("hex").slice(0, 20)
}

const readLatest = (cacheDir: string): Latest | null => {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(path.join(cacheDir, "latest.json"), "utf8"))
    if (typeof parsed === "object" && parsed !== null && "inputs" in parsed && Array.isArray(parsed.inputs)) {
      const inputs = parsed.inputs.filter((x): x is string => typeof x === "string")
      return { inputs }
    }
    return null
  } catch {
    return null
  }
}

/** Writes `text` to `file` whole or not at all (a reader never sees half of it). */
const writeAtomically = (file: string, text: string) => {
  const temporary = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}`
  fs.writeFileSync(temporary, text)
  fs.renameSync(temporary, file)
}

/** The bundle's folder for the sources as they are now, if one was built; its mtime is refreshed (it is in use). */
export const freshBundle = (cacheDir: string, project: string = root): string | null => {
  const latest = readLatest(cacheDir)
  if (latest === null) return null
  let dir: string
  try {
    dir = path.join(cacheDir, fingerprint(latest.inputs, project))
  } catch {
    return null // a source it was built from is gone
  }
  if (!fs.existsSync(path.join(dir, "main.mjs"))) return null
  try {
    const now = new Date()
    fs.utimesSync(dir, now, now)
  } catch {
    // A cache that cannot be written to still serves.
  }
  return dir
}

/**
 * Builds the bundle of the sources as they are now into `cacheDir` and
 * returns its folder. Concurrent builds are safe: each writes a folder of its
 * own and renames it into place; the first rename wins, the others' folders
 * are removed.
 */
export const buildBundle = async (cacheDir: string): Promise<string> => {
  const esbuild = await import("esbuild")
  // The sources as the build read them: the fingerprint is of these, not of files that may change meanwhile.
  const read = new Map<string, string>()
  const sourceUrls: import("esbuild").Plugin = {
    name: "source-urls",
    setup(build) {
      // Where the bundle is: the one module that differs from its source.
      build.onLoad({ filter: /[\\/]src[\\/]process[\\/]bundled\.ts$/ }, () => ({
        contents: "import { fileURLToPath } from \"node:url\"; export const bundleDir = fileURLToPath(new URL(\".\", import.meta.url))",
        loader: "ts"
      }))
      // The launcher imports for the bundle (see `IMPORT_KEY`).
      build.onLoad({ filter: /[\\/]src[\\/]config[\\/]importer\.ts$/ }, () => ({
        contents: "const launcher = globalThis as unknown as Record<symbol, (url: string) => Promise<unknown>>\n" +
          `export const importModule = (url: string): Promise<unknown> => launcher[Symbol.for(${JSON.stringify(IMPORT_KEY)})]!(url)`,
        loader: "ts"
      }))
      // Every other source module keeps its own file's URL.
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined
        const text = fs.readFileSync(args.path, "utf8")
        read.set(path.relative(root, args.path).split(path.sep).join("/"), text)
        return { contents: text.replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href)), loader: "ts" }
      })
    }
  }
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { main: "src/cli/main.ts", runner: "src/cluster/child.ts" },
    outdir: "bundle",
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: EXTERNAL,
    // Bundled CommonJS dependencies call require for Node's modules.
    banner: { js: "import { createRequire as __bundleRequire } from \"node:module\"; const require = __bundleRequire(import.meta.url);" },
    plugins: [sourceUrls],
    metafile: true,
    write: false,
    logLevel: "silent"
  })
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith("node_modules/") && !f.includes(":"))
  const id = fingerprint(inputs, root, read)
  const dir = path.join(cacheDir, id)
  fs.mkdirSync(cacheDir, { recursive: true })
  if (!fs.existsSync(path.join(dir, "main.mjs"))) {
    const temporary = fs.mkdtempSync(path.join(cacheDir, "building-"))
    for (const out of result.outputFiles) fs.writeFileSync(path.join(temporary, path.basename(out.path)), out.contents)
    try {
      fs.renameSync(temporary, dir)
    } catch (error) {
      fs.rmSync(temporary, { recursive: true, force: true })
      if (!fs.existsSync(path.join(dir, "main.mjs"))) throw error
    }
  }
  writeAtomically(path.join(cacheDir, "latest.json"), JSON.stringify({ inputs } satisfies Latest))
  prune(cacheDir, id)
  return dir
}

/**
 * Removes all but the `KEEP` most recently used bundles (never `current`),
 * and abandoned build folders; best effort (another process may be pruning too).
 */
const prune = (cacheDir: string, current: string) => {
  const entries = fs.readdirSync(cacheDir, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== current)
  const aged = entries.flatMap((e) => {
    try {
      return [{ name: e.name, mtime: fs.statSync(path.join(cacheDir, e.name)).mtimeMs }]
    } catch {
      return []
    }
  })
  const hourAgo = Date.now() - 3_600_000
  const stale = [
    ...aged.filter((e) => e.name.startsWith("building-") && e.mtime < hourAgo),
    ...aged.filter((e) => !e.name.startsWith("building-")).sort((a, b) => b.mtime - a.mtime).slice(KEEP - 1)
  ]
  for (const e of stale) fs.rmSync(path.join(cacheDir, e.name), { recursive: true, force: true })
}

const fromSources = async (): Promise<Entry> => await import("./main.ts")

/**
 * The entry to run and where it came from (said in the debug log): the
 * bundle when it can be had, else the sources.
 */
export const load = async (
  cacheDir: string = defaultCacheDir,
  args: ReadonlyArray<string> = []
): Promise<{ readonly entry: Entry; readonly origin: string }> => {
  if ("Deno" in globalThis) return { entry: await fromSources(), origin: "the sources (Deno)" }
  if (usesConfig(args)) return { entry: await fromSources(), origin: "the sources (a config file's modules share them)" }
  if (process.env[SOURCES_VARIABLE] === "1") return { entry: await fromSources(), origin: `the sources (${SOURCES_VARIABLE}=1)` }
  try {
    let dir = freshBundle(cacheDir)
    let built = ""
    if (dir === null) {
      const started = performance.now()
      dir = await buildBundle(cacheDir)
      built = `, built in ${(performance.now() - started).toFixed(0)} ms`
    }
    Object.assign(globalThis, { [Symbol.for(IMPORT_KEY)]: (url: string): Promise<unknown> => import(url) })
    const loaded: unknown = await import(pathToFileURL(path.join(dir, "main.mjs")).href)
    if (!isEntry(loaded)) throw new Error(`${path.join(dir, "main.mjs")} has no main`)
    return { entry: loaded, origin: `the bundle ${path.relative(root, dir)}${built}` }
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error)
    process.stderr.write(`upload-fsm-bench: running from the sources (slower to start): the bundle could not be built or loaded in ${cacheDir}: ${why}\n`)
    return { entry: await fromSources(), origin: `the sources (no bundle: ${why})` }
  }
}

const isEntry = (module: unknown): module is Entry =>
  typeof module === "object" && module !== null && "main" in module && typeof module.main === "function"

/**
 * Whether the command line names a config file or the working directory
 * holds one: its code then imports this package, which must be the very
 * modules running (and Effect with them), so the run takes the sources.
 */
export const usesConfig = (args: ReadonlyArray<string>, cwd: string = process.cwd()): boolean => {
  if (args.some((a) => a === "--config" || a.startsWith("--config="))) return true
  try {
    return fs.readdirSync(cwd).some((name) => /^upload-fsm-bench\.config\.(ts|mts|mjs|js)$/.test(name))
  } catch {
    return false
  }
}

/** Runs `args` (the command line after runtime and script) as the process. */
export const launch = async (args: ReadonlyArray<string>): Promise<void> => {
  const { entry, origin } = await load(defaultCacheDir, args)
  entry.main(args, origin)
}
