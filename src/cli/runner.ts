/**
 * `runner`: a runner for runs on other hosts (`bench --runners`). It listens
 * on `--listen HOST:PORT` (the address the run names), registers in the
 * database `--cluster-url` names, and serves file actors on the Postgres
 * store each trial names, until it is interrupted (Ctrl-C, SIGTERM), when it
 * unregisters and gives its shards up.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { isPostgresUrl, otlpUrlProblem } from "../bench/config.ts"
import { driverLayer } from "../backends/all.ts"
import { redacted } from "../backends/postgres/common.ts"
import { addressText, parseAddress } from "../cluster/address.ts"
import { CommandConfig } from "./config.ts"
import { optionsOf, text } from "./flags.ts"
import { DEFAULT_METRICS_HOST, watchOptions } from "../config/options.ts"
import { asksToWatch, endpointLine, startWatching, type WatchSpec } from "../telemetry/watch.ts"
import { subcommand, usageError } from "./program.ts"

const runnerFlags = {
  listen: text("listen", {
    group: "workload",
    pseudo: "HOST:PORT",
    description: "where this runner listens, and the address runs name in --runners: a host name or IP the other hosts reach it by",
    fallback: undefined,
    shown: "required"
  }),
  clusterUrl: text("cluster-url", {
    group: "workload",
    pseudo: "URL",
    description: "the PostgreSQL database where runners and runs meet (the cluster's registrations, health and shard locks); " +
      "never the one a run measures",
    fallback: undefined,
    shown: "required"
  }),
  ...watchOptions
}

export const runnerCommand = subcommand(
  {
    name: "runner",
    summary: "serve file actors for runs on other hosts (bench --runners)",
    flags: runnerFlags,
    positional: 0,
    help: {
      usage: "--listen HOST:PORT --cluster-url URL [flags]",
      about: "Run file actors for `bench --runners` on @effect/cluster: listen on --listen, register in the database --cluster-url " +
        "names, and run each trial's files on the PostgreSQL store the run names (its --pg-url), until interrupted. Mitigations " +
        "of a config file (--config) are registered here too; the run's must match. See docs/scaling.md.",
      footer: ["Exit codes: 2 bad input · 3 error (the port taken, the database unreachable) · 130 interrupted (its normal end)."]
    }
  },
  optionsOf(runnerFlags),
  (o) =>
    Effect.gen(function*() {
      if (o.listen === undefined) return yield* usageError("runner: needs --listen HOST:PORT")
      if (o.clusterUrl === undefined) return yield* usageError("runner: needs --cluster-url URL (a PostgreSQL database of its own)")
      const address = parseAddress(o.listen)
      if (Either.isLeft(address)) return yield* usageError(`--listen: ${address.left}`)
      if (!isPostgresUrl(o.clusterUrl)) {
        return yield* usageError("--cluster-url: not a PostgreSQL connection URL (postgresql://USER:PASSWORD@HOST:PORT/DATABASE)")
      }
      if (o.metricsHost !== undefined && o.metricsPort === undefined) {
        return yield* usageError(`--metrics-host ${o.metricsHost}: only with --metrics-port N (the endpoint it is where to listen for)`)
      }
      const problem = o.otlp === undefined ? null : otlpUrlProblem(o.otlp)
      if (problem !== null) return yield* usageError(`--otlp ${o.otlp}: ${problem}`)
      const watch: WatchSpec = {
        metrics: o.metricsPort === undefined ? null : { host: o.metricsHost ?? DEFAULT_METRICS_HOST, port: o.metricsPort },
        otlp: o.otlp ?? null
      }
      const { registry } = yield* CommandConfig
      // Watched (its in-flight actors, its files' spans under the run's trials) only when asked: the exporters load only then.
      const watched = asksToWatch(watch)
        ? yield* startWatching(watch, { "upload_fsm.runner": addressText(address.right) }).pipe(
          Effect.catchTag("TelemetryUnavailable", (e) => usageError(e.message))
        )
        : undefined
      if (watch.metrics !== null) yield* Console.error(endpointLine(watch.metrics))
      // The cluster's modules load only for this command.
      const { serve } = yield* Effect.promise(() => import("../cluster/runner.ts"))
      yield* serve({ ...address.right, storage: { kind: "postgres", url: o.clusterUrl }, registry, watched }).pipe(
        Effect.provide(driverLayer("postgres"))
      )
      yield* Console.error(`runner ${addressText(address.right)}: registered in ${redacted(o.clusterUrl)}; serving until interrupted`)
      return yield* Effect.never
    }).pipe(Effect.scoped)
)
