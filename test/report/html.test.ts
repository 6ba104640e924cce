/**
 * The HTML report in a real browser (Debian's Chromium, driven by
 * playwright-core): a run's report loads with no network, draws every chart
 * as SVG with marks in it, and logs no error.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { chromium } from "playwright-core"
import { measureBench } from "../../src/bench/execute.ts"
import { builtInRegistry, MitigationRegistry } from "../../src/mitigations/registry.ts"
import { silent } from "../../src/bench/progress.ts"
import { reportHtml } from "../../src/report/html.ts"
import { BetterSqlite } from "../drivers.ts"
import { configFrom } from "../cli/inProcess.ts"
import { tempDb, tempDir } from "../helpers.ts"

const CHROMIUM = "/usr/bin/chromium"

describe("the HTML report", () => {
  it.live("renders the answer and every chart in Chromium, with no console error and no network", () =>
    Effect.gen(function*() {
      expect(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`).toBe(true)
      const config = Either.getOrThrow(
        yield* configFrom(
          "--files", "12", "--concurrency", "2,10", "--realistic-delay", "0.002", "--ladder", "full", "--trials", "2",
          "--warmup", "0"
        )
      )
      const measured = yield* measureBench(config, { dbPath: tempDb(), dbLabel: "temporary", createdAt: new Date().toISOString() })
        .pipe(Effect.provideService(MitigationRegistry, builtInRegistry))
      const doc = { ...measured.doc, files: { results: "r.json", mitigation: "m.json", summary: "s.md", report: "r.html" } }
      const file = path.join(tempDir(), "report.html")
      fs.writeFileSync(file, yield* reportHtml(doc))
      const seen = yield* Effect.acquireUseRelease(
        Effect.promise(() =>
          chromium.launch({
            executablePath: CHROMIUM,
            args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
          })
        ),
        (browser) =>
          Effect.promise(async () => {
            const page = await browser.newPage()
            const errors: Array<string> = []
            const requests: Array<string> = []
            page.on("console", (m) => {
              if (m.type() === "error") errors.push(m.text())
            })
            page.on("pageerror", (e) => errors.push(e.message))
            page.on("request", (r) => {
              if (!r.url().startsWith("file:")) requests.push(r.url())
            })
            await page.goto(`file://${file}`)
            return {
              errors,
              requests,
              title: await page.title(),
              answer: await page.locator("pre.answer").innerText(),
              headings: await page.locator("section.chart h2").allInnerTexts(),
              charts: await page.locator("section.chart svg").count(),
              // Marks drawn: ECDF steps and scaling lines, stacked bars, the forest's points.
              lines: await page.locator("section.chart svg path").count(),
              points: await page.locator("section.chart svg .mark-symbol path").count()
            }
          }),
        (browser) => Effect.promise(() => browser.close())
      )
      expect(seen.errors).toEqual([])
      expect(seen.requests).toEqual([])
      expect(seen.title).toContain("VLID-06")
      expect(seen.answer).toContain("Persistence")
      expect(seen.headings).toEqual([
        "Distributions, zero", "Distributions, realistic", "Where the time goes", "Mitigations", "Scaling", "Trials", "The machine"
      ])
      expect(seen.charts).toBe(7)
      expect(seen.lines).toBeGreaterThan(40)
      // 3 steps × 13 rows, each with a point, plus the scaling lines' points, plus every counted trial's point
      // (4 matrix configurations and 3 steps, 2 trials each).
      expect(seen.points).toBeGreaterThanOrEqual(39 + 14)
    }).pipe(Effect.provide(silent), Effect.provide(BetterSqlite.layer)), 60_000)
})
