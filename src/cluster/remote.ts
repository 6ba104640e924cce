/**
 * `--runners HOST:PORT,…`: runners on other hosts (each started with
 * `upload-fsm-bench runner`), registered in the database `--cluster-url`
 * names; the run's process their client. Each is reached first over TCP, so
 * that one that cannot be is said in one line before anything is measured.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { reach } from "../process/reach.ts"
import { parseAddress } from "./address.ts"
import type { Executor } from "../actor/executor.ts"
import { clusterLayer, ClusterUnavailable } from "./client.ts"

/** How long a runner may take to accept a connection. */
const CONNECT_MS = 5_000
/** How long the runners, once reached, may take to be seen registered and healthy. */
const REGISTER_MS = 20_000

/** A TCP connection to `address` opened and closed, or why it could not be. */
const reachRunner = (address: string): Effect.Effect<void, ClusterUnavailable> => {
  const parsed = parseAddress(address)
  return parsed._tag === "Left"
    ? Effect.fail(new ClusterUnavailable({ detail: `--runners: ${parsed.left}` }))
    : Effect.mapError(
      reach(parsed.right.host, parsed.right.port, CONNECT_MS),
      (why) => new ClusterUnavailable({ detail: `--runners: runner ${address} cannot be reached (${why}); is it started (upload-fsm-bench runner --listen ${address})?` })
    )
}

/** The run's process as the client of the runners at `runners`, which keep the cluster's state at `clusterUrl`. */
export const remoteCluster = (runners: ReadonlyArray<string>, clusterUrl: string): Layer.Layer<Executor, ClusterUnavailable> =>
  Layer.unwrapEffect(
    Effect.as(
      Effect.forEach(runners, reachRunner, { concurrency: "unbounded", discard: true }),
      clusterLayer({ runners, storage: { kind: "postgres", url: clusterUrl }, gone: () => Effect.never, registerWithinMs: REGISTER_MS })
    )
  )
