import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as JSONSchema from "effect/JSONSchema"
import { benchCommand } from "../../src/cli/bench.ts"
import { benchOptions as benchFlags } from "../../src/config/options.ts"
import { subcommands } from "../../src/cli/main.ts"
import { cliReference, metricsReference, resultsReference } from "../../src/cli/reference.ts"
import { Events, States } from "../../src/lifecycle/fsm.ts"
import { MetricDefinitions } from "../../src/metrics/definitions.ts"
import { SegmentNames } from "../../src/metrics/segments.ts"
import { MitigationDocument, ResultsDocument } from "../../src/results/schema.ts"

const committed = (path: string) => fs.readFileSync(new URL(`../../${path}`, import.meta.url), "utf8")

describe("the generated reference pages", () => {
  it("docs/reference/cli.md is what the flag tables give (npm run docs rewrites it)", () => {
    expect(committed("docs/reference/cli.md")).toBe(cliReference(subcommands))
  })

  it("docs/reference/results.md is what the result Schema gives (npm run docs rewrites it)", () => {
    expect(committed("docs/reference/results.md")).toBe(resultsReference())
  })

  it("docs/reference/metrics.md is what the metric definitions give (npm run docs rewrites it)", () => {
    expect(committed("docs/reference/metrics.md")).toBe(metricsReference())
  })

  it("every series a run exports is described for Prometheus users, in the README and in docs/watching.md", () => {
    for (const page of ["README.md", "docs/watching.md"]) {
      const text = committed(page)
      for (const metric of Object.values(MetricDefinitions)) {
        for (const series of metric.prometheus) {
          // A histogram's three series are written once, as `name_bucket`, `_sum`, `_count`.
          const shown = text.includes(series) || (series.endsWith("_sum") || series.endsWith("_count")) && text.includes(`\`_${series.split("_").pop()}\``)
          expect(shown, `${series} in ${page}`).toBe(true)
        }
      }
    }
  })

  it("a changed flag changes the page: its description, default and range are on it", () => {
    const page = cliReference([benchCommand])
    expect(page).toContain("| `--files N` | 818 | files (actors) per configuration (1 to 1,000,000) |")
    const changed = { ...benchCommand, flags: { ...benchFlags, files: { ...benchFlags.files, description: "how many files" } } }
    const other = cliReference([changed])
    expect(other).not.toBe(page)
    expect(other).toContain("| `--files N` | 818 | how many files (1 to 1,000,000) |")
  })

  it("every command and every flag is on the page, each in one row", () => {
    const page = cliReference(subcommands)
    for (const command of subcommands) {
      expect(page).toContain(`## ${command.name}\n`)
      for (const flag of Object.values(command.flags)) expect(page).toMatch(new RegExp(`\\| \`--${flag.name}[ \`]`))
    }
  })

  it("every field of both result documents has a description, so none reaches the page undescribed", () => {
    interface Node {
      readonly $ref?: string
      readonly description?: string
      readonly $defs?: Record<string, Node>
      readonly properties?: Record<string, Node & { readonly description?: string }>
      readonly anyOf?: ReadonlyArray<Node>
      readonly items?: Node | ReadonlyArray<Node>
    }
    const undescribed: Array<string> = []
    let defs: Record<string, Node> = {}
    // A field that is only a named type may be described by its type.
    const describedType = (field: Node) => field.$ref !== undefined && defs[field.$ref.slice(field.$ref.lastIndexOf("/") + 1)]?.description !== undefined
    const walk = (node: Node | undefined, path: string): void => {
      if (node === undefined) return
      const names = Object.keys(node.properties ?? {})
      // A record keyed by segment, event or state names: its keys are the segments', events' and states'.
      const keyed = [SegmentNames, Events, States].some((keys) => keys.every((k) => names.includes(k)))
      for (const [name, field] of Object.entries(node.properties ?? {})) {
        // The intervals of a segment's P50, P95 and P99 say what they are; a union's tag is its member's.
        const obvious = /^(p50|p95|p99|kind)$/.test(name)
        if (field.description === undefined && !describedType(field) && !keyed && !obvious) undescribed.push(`${path}.${name}`)
        walk(field, `${path}.${name}`)
      }
      for (const member of node.anyOf ?? []) walk(member, path)
      if (Array.isArray(node.items)) for (const item of node.items) walk(item, `${path}[]`)
      else walk(node.items as Node | undefined, `${path}[]`)
    }
    for (const schema of [JSONSchema.make(ResultsDocument) as Node, JSONSchema.make(MitigationDocument) as Node]) {
      defs = schema.$defs ?? {}
      walk(schema, "")
      for (const [name, def] of Object.entries(schema.$defs ?? {})) walk(def, name)
    }
    expect(undescribed).toEqual([])
  })
})
