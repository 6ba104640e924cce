/**
 * `--metrics-port N`: Debian's real Prometheus server (`.ci/run` installs it)
 * scrapes a running bench, and its HTTP API answers for the run's segment
 * histogram and files-done counter; the server and the run leave nothing
 * behind.
 */
import { spawn as spawnAsync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { tempDir } from "../helpers.ts"
import { cli } from "../cli/inProcess.ts"
import { root, tempFoldersOf, tsx } from "../programs/spawned.ts"

const PROMETHEUS = "/usr/bin/prometheus"

/** A port nothing listens on now (the OS's pick, released at once). */
const freePort = Effect.async<number>((resume) => {
  const server = net.createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** A process started, and killed (then awaited) when the test's scope closes, whatever became of the test. */
const started = (command: string, args: ReadonlyArray<string>, options: { readonly cwd?: string } = {}) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const child = spawnAsync(command, [...args], { cwd: options.cwd ?? root, stdio: ["ignore", "pipe", "pipe"] })
      const output = { text: "" }
      child.stdout?.on("data", (d: Buffer) => void (output.text += d.toString()))
      child.stderr?.on("data", (d: Buffer) => void (output.text += d.toString()))
      const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
      return { child, output, exited }
    }),
    ({ child, exited }) => Effect.promise(() => (child.exitCode === null && child.signalCode === null ? (child.kill("SIGKILL"), exited) : exited))
  )

interface Vector {
  readonly status: string
  readonly data: { readonly result: ReadonlyArray<{ readonly metric: Readonly<Record<string, string>>; readonly value: readonly [number, string] }> }
}

/** Prometheus's instant query API, answered. */
const query = (base: string, promql: string) =>
  Effect.promise(() => fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`).then((r) => r.json() as Promise<Vector>))

describe("--metrics-port", () => {
  it.scopedLive("Debian's Prometheus scrapes a running bench: its segment histogram and its files-done counter", () =>
    Effect.gen(function*() {
      expect(spawnSync(PROMETHEUS, ["--version"]).status, `${PROMETHEUS} (Debian's prometheus package; .ci/run installs it)`).toBe(0)
      const dir = tempDir()
      const [metricsPort, webPort] = [yield* freePort, yield* freePort]
      fs.writeFileSync(
        path.join(dir, "prometheus.yml"),
        [
          "global:",
          "  scrape_interval: 1s",
          "scrape_configs:",
          "  - job_name: upload-fsm-bench",
          "    static_configs:",
          `      - targets: ["127.0.0.1:${metricsPort}"]`,
          ""
        ].join("\n")
      )
      const server = yield* started(PROMETHEUS, [
        `--config.file=${path.join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${path.join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${webPort}`
      ], { cwd: dir })
      const base = `http://127.0.0.1:${webPort}`
      yield* Effect.retry(
        Effect.tryPromise(() => fetch(`${base}/-/ready`).then((r) => (r.ok ? undefined : Promise.reject(new Error(String(r.status)))))),
        Schedule.spaced("200 millis").pipe(Schedule.upTo("30 seconds"))
      ).pipe(Effect.orDieWith(() => new Error(`Prometheus did not get ready: ${server.output.text.slice(-800)}`)))

      // Real time and realistic latency: a run of some seconds, long enough for scrapes while it lasts.
      const out = tempDir()
      const bench = yield* started(tsx, [
        "programs/bench.ts", "--files", "300", "--concurrency", "10", "--profiles", "realistic", "--quick", "--clock", "real",
        "--trials", "2", "--warmup", "0", "--ladder", "off", "--contrast", "off", "--out", out, "--metrics-port", String(metricsPort)
      ])

      // Scraped while it runs: files done, counted by Prometheus from the run's own endpoint.
      const done = yield* Effect.retry(
        Effect.flatMap(query(base, `sum(upload_fsm_files_done_total{job="upload-fsm-bench",state="indexed"})`), (v) => {
          const value = Number(v.data.result[0]?.value[1] ?? 0)
          return value > 0 ? Effect.succeed(value) : Effect.fail("not scraped yet")
        }),
        Schedule.spaced("250 millis").pipe(Schedule.upTo("60 seconds"))
      ).pipe(Effect.orDieWith(() => new Error(`no scrape of the run: ${bench.output.text.slice(-800)}`)))
      expect(done).toBeGreaterThan(0)

      // The lock-wait histogram of the configuration, bucketed: its +Inf bucket counts every file its _count does.
      const histogram = yield* query(base, `upload_fsm_segment_ms_bucket{segment="lock_wait_ms",concurrency="10",profile="realistic",le="+Inf"}`)
      expect(histogram.status).toBe("success")
      expect(histogram.data.result.length).toBeGreaterThan(0)
      const series = histogram.data.result[0]
      expect(series?.metric["mitigation"]).toBe("baseline")
      const count = yield* query(base, `upload_fsm_segment_ms_count{segment="lock_wait_ms",run="${series?.metric["run"] ?? ""}"}`)
      expect(count.data.result[0]?.value[1]).toBe(series?.value[1])
      const quantile = yield* query(base, `histogram_quantile(0.95, sum by (le) (upload_fsm_segment_ms_bucket{segment="total_wall_ms"}))`)
      expect(Number(quantile.data.result[0]?.value[1])).toBeGreaterThan(0)

      // The run ends on its own, its endpoint closed with it, and leaves no folder of its own behind.
      const code = yield* Effect.promise(() => bench.exited)
      expect([0, 1]).toContain(code)
      expect(tempFoldersOf(bench.child.pid)).toEqual([])
      const closed = yield* Effect.promise(() => fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(() => "open", () => "closed"))
      expect(closed).toBe("closed")
    }), { timeout: 120_000 })

  it.effect("refuses a port already taken, in one line, before measuring anything", () =>
    Effect.gen(function*() {
      const taken = yield* Effect.acquireRelease(
        Effect.async<net.Server>((resume) => {
          const server = net.createServer()
          server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
        }),
        (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
      )
      const address = taken.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      const r = yield* cli("bench", "--files", "5", "--out", tempDir(), "--metrics-port", String(port))
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(`--metrics-port ${port}: cannot listen on 127.0.0.1:${port}`)
      expect(r.stderr).not.toContain("trial 1/")
    }).pipe(Effect.scoped))
})
