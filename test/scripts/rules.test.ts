/**
 * The rules CI checks on the sources, checked on trees of their own: a
 * deliberate import cycle and a report that reaches into the run fail
 * dependency-cruiser with the project's own rules, a clean tree passes; a
 * function of 101 lines fails the length check, one of 100 passes.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { longFunctions } from "../../scripts/function-length.ts"
import { tempDir } from "../helpers.ts"

const root = path.resolve(import.meta.dirname, "../..")
/** A tree of `files` (path → text) in a temporary folder of its own (removed when the file's tests end). */
const tree = (files: Readonly<Record<string, string>>): string => {
  const dir = tempDir()
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    fs.writeFileSync(path.join(dir, file), text)
  }
  return dir
}

/** dependency-cruiser with the project's rules over `dir`'s src/: its exit code and what it said. */
const cruise = (dir: string) => {
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { allowImportingTsExtensions: true, noEmit: true } }))
  const r = spawnSync(path.join(root, "node_modules/.bin/depcruise"), ["src", "--config", path.join(root, ".dependency-cruiser.cjs")], {
    cwd: dir,
    encoding: "utf8"
  })
  return { code: r.status, out: `${r.stdout}${r.stderr}` }
}

describe("the import rules (dependency-cruiser)", () => {
  it("a cycle, a report that imports the run and a lifecycle that imports the store each fail; the same tree without them passes", () => {
    const clean = {
      "src/lifecycle/fsm.ts": "export const states = 5\n",
      "src/store/store.ts": "import { states } from \"../lifecycle/fsm.ts\"\nexport const store = states\n",
      "src/bench/run.ts": "import { store } from \"../store/store.ts\"\nexport const run = store\n",
      "src/report/html.ts": "import type { Doc } from \"../results/schema.ts\"\nexport const html = (d: Doc) => String(d)\n",
      "src/results/schema.ts": "export type Doc = { readonly ok: boolean }\n"
    }
    expect(cruise(tree(clean)).code).toBe(0)
    const broken = cruise(tree({
      ...clean,
      "src/store/store.ts": "import { run } from \"../bench/run.ts\"\nexport const store = run\n",
      "src/report/html.ts": "import { run } from \"../bench/run.ts\"\nexport const html = run\n",
      "src/lifecycle/fsm.ts": "import { store } from \"../store/store.ts\"\nexport const states = store\n"
    }))
    expect(broken.code).not.toBe(0)
    expect(broken.out).toContain("no-cycles")
    expect(broken.out).toContain("report-reads-the-document: src/report/html.ts → src/bench/run.ts")
    expect(broken.out).toContain("lifecycle-is-pure: src/lifecycle/fsm.ts → src/store/store.ts")
  })

  it("actors import no backend and no cluster; nothing in src/ imports the CLI", () => {
    const out = cruise(tree({
      "src/actor/actor.ts": "import { c } from \"../cluster/client.ts\"\nimport { s } from \"../backends/sqlite/store.ts\"\nexport const a = c + s\n",
      "src/cluster/client.ts": "export const c = 1\n",
      "src/backends/sqlite/store.ts": "export const s = 2\n",
      "src/bench/run.ts": "import { flags } from \"../cli/flags.ts\"\nexport const run = flags\n",
      "src/cli/flags.ts": "export const flags = 3\n"
    }))
    expect(out.code).not.toBe(0)
    expect(out.out).toContain("actor-knows-no-backend: src/actor/actor.ts → src/cluster/client.ts")
    expect(out.out).toContain("actor-knows-no-backend: src/actor/actor.ts → src/backends/sqlite/store.ts")
    expect(out.out).toContain("nothing-imports-the-cli: src/bench/run.ts → src/cli/flags.ts")
  })

  it("the project's own sources pass", () => {
    const r = spawnSync(path.join(root, "node_modules/.bin/depcruise"), ["src", "--config", ".dependency-cruiser.cjs"], { cwd: root, encoding: "utf8" })
    expect(r.stdout).toContain("no dependency violations found")
    expect(r.status).toBe(0)
  })
})

describe("the function-length check", () => {
  const body = (lines: number) => Array.from({ length: lines - 2 }, (_, i) => `  const x${i} = ${i}`).join("\n")
  it("names a function whose body spans 101 lines, and passes one of 100", () => {
    const dir = tree({
      "ok.ts": `export const fine = () => {\n${body(100)}\n}\n`,
      "long.ts": `export function tooLong() {\n${body(101)}\n}\n`
    })
    const long = longFunctions(dir, 100)
    expect(long.map((f) => [path.basename(f.file), f.name, f.lines])).toEqual([["long.ts", "tooLong", 101]])
  })

  it("finds none in the project's src/", () => {
    expect(longFunctions(path.join(root, "src"), 100)).toEqual([])
  })
})
