import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import * as fs from "node:fs"
import { cli, configFrom } from "../cli/inProcess.ts"
import { runnerCommand } from "../../src/cli/runner.ts"
import { parseAddress } from "../../src/cluster/address.ts"

const root = new URL("../../", import.meta.url)
const readme = fs.readFileSync(new URL("README.md", root), "utf8")

/** Every command of the README's `sh` blocks, one per `&&`, without comments. */
const commands = (): ReadonlyArray<string> =>
  [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((block) =>
    (block[1] ?? "").split("\n").flatMap((line) =>
      line.replace(/\s+#.*$/, "").split("&&").map((c) => c.trim()).filter((c) => c !== "")
    )
  )

/** A command's words: plain space-separated, as every README command is (no quotes). */
const words = (command: string): ReadonlyArray<string> => command.split(/\s+/)

describe("the README's commands", () => {
  it("has the two commands a fresh machine runs, as written", () => {
    expect(commands()).toEqual(expect.arrayContaining(["npm ci", "npx tsx programs/bench.ts", "npm test"]))
    const scripts = (JSON.parse(fs.readFileSync(new URL("package.json", root), "utf8")) as { scripts: Record<string, string> }).scripts
    expect(scripts.test).toBe("vitest run")
    expect(fs.existsSync(new URL("package-lock.json", root))).toBe(true)
  })

  it.effect("every bench command's flags are accepted by the real command line; compare runs; every script exists", () =>
    Effect.gen(function*() {
      const checked: Array<string> = []
      for (const command of commands()) {
        const [first, ...rest] = words(command)
        if (command === "npm ci" || command === "npm test") continue
        if (first === "bash") {
          expect(fs.existsSync(new URL(rest[0] ?? "", root)), command).toBe(true)
          checked.push(command)
          continue
        }
        // npx tsx programs/X.ts …, or npx deno run -A programs/X.ts …
        const at = rest.findIndex((w) => /^programs\/[a-z-]+\.ts$/.test(w))
        expect(first === "npx" && at >= 0, `not a command this test knows: ${command}`).toBe(true)
        const program = rest[at] ?? ""
        expect(fs.existsSync(new URL(program, root)), command).toBe(true)
        const args = rest.slice(at + 1)
        if (program === "programs/bench.ts") {
          const config = yield* configFrom(...args)
          expect(Either.isRight(config) ? "accepted" : config.left, command).toBe("accepted")
        } else if (program === "programs/runner.ts") {
          // Not started (it would serve until stopped): its flags are the command's, its address one it takes.
          const flags = args.filter((a) => a.startsWith("--")).map((a) => a.slice(2))
          const known = Object.values(runnerCommand.flags).map((f) => f.name)
          expect(flags.filter((f) => !known.includes(f)), command).toEqual([])
          expect(Either.isRight(parseAddress(args[args.indexOf("--listen") + 1] ?? "")), command).toBe(true)
        } else if (program === "programs/compare.ts") {
          const run = yield* cli("compare", ...args)
          expect(run.code, `${command}: ${run.stderr}`).toBe(0)
        } else {
          expect.fail(`no check for ${program}: ${command}`)
        }
        checked.push(command)
      }
      // The blocks hold the run, Deno, Postgres (with a server of yours) and compare commands.
      expect(checked.length).toBeGreaterThanOrEqual(6)
    }))

  it.effect("a command in the text (`npx upload-fsm-bench bench …`) is accepted too", () =>
    Effect.gen(function*() {
      const inline = [...readme.matchAll(/`npx upload-fsm-bench bench ([^`]*)`/g)].map((m) => m[1] ?? "")
      expect(inline.length).toBeGreaterThan(0)
      for (const args of inline) {
        const config = yield* configFrom(...words(args))
        expect(Either.isRight(config) ? "accepted" : config.left, args).toBe("accepted")
      }
    }))

  it("is at most 400 lines, and points at no path outside the repository", () => {
    expect(readme.split("\n").length).toBeLessThanOrEqual(400)
    expect(readme).not.toMatch(/\.\.\/shared|\.\.\/seed/)
    for (const [, target] of readme.matchAll(/\]\(((?!https?:)[^)#]+)(#[^)]*)?\)/g)) {
      expect(fs.existsSync(new URL(target ?? "", root)), target).toBe(true)
    }
  })
})

describe("the documentation's links", () => {
  /** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens. */
  const slug = (heading: string) =>
    heading.trim().toLowerCase().replace(/`/g, "").replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-")
  const anchors = (text: string) => new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1] ?? "")))
  const pages = ["README.md", ...fs.readdirSync(new URL("docs/", root), { recursive: true }).map(String).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)]

  it.each(pages)("every relative link of %s reaches a file, and its anchor a heading there", (page) => {
    const text = fs.readFileSync(new URL(page, root), "utf8")
    const broken: Array<string> = []
    for (const [, target = "", anchor] of text.matchAll(/\]\(((?!https?:)[^)#\s]*)(?:#([^)\s]+))?\)/g)) {
      const file = target === "" ? new URL(page, root) : new URL(target, new URL(page, root))
      if (!fs.existsSync(file)) {
        broken.push(`${target}: no such file`)
        continue
      }
      if (anchor !== undefined && !anchors(fs.readFileSync(file, "utf8")).has(anchor)) broken.push(`${target}#${anchor}: no such heading`)
    }
    expect(broken).toEqual([])
  })
})
