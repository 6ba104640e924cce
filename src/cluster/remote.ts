/**
 * `--runners HOST:PORT,…`: runners on other hosts (each started with
 * `upload-fsm-bench runner`), registered in the database `--cluster-url`
 * names; the run's process their client. Each is reached first over TCP, so
 * that one that cannot be is said in one line before anything is measured.
 */
import * as net from "node:net"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { parseAddress } from "./address.ts"
import { type Cluster, clusterLayer, ClusterUnavailable } from "./client.ts"

/** How long a runner may take to accept a connection. */
const CONNECT_MS = 5_000
/** How long the runners, once reached, may take to be seen registered and healthy. */
const REGISTER_MS = 20_000

/** A TCP connection to `address` opened and closed, or why it could not be. */
const reach = (address: string): Effect.Effect<void, ClusterUnavailable> =>
  Effect.async((resume) => {
    const parsed = parseAddress(address)
    if (parsed._tag === "Left") return resume(Effect.fail(new ClusterUnavailable({ detail: `--runners: ${parsed.left}` })))
    const socket = net.connect({ host: parsed.right.host, port: parsed.right.port })
    const fail = (why: string) => {
      socket.destroy()
      resume(Effect.fail(new ClusterUnavailable({ detail: `--runners: runner ${address} cannot be reached (${why}); is it started (upload-fsm-bench runner --listen ${address})?` })))
    }
    socket.setTimeout(CONNECT_MS, () => fail(`no answer within ${CONNECT_MS / 1000} s`))
    socket.once("error", (e) => fail(e.message))
    socket.once("connect", () => {
      socket.end()
      resume(Effect.void)
    })
    return Effect.sync(() => socket.destroy())
  })

/** The run's process as the client of the runners at `runners`, which keep the cluster's state at `clusterUrl`. */
export const remoteCluster = (runners: ReadonlyArray<string>, clusterUrl: string): Layer.Layer<Cluster, ClusterUnavailable> =>
  Layer.unwrapEffect(
    Effect.as(
      Effect.forEach(runners, reach, { concurrency: "unbounded", discard: true }),
      clusterLayer({ runners, storage: { kind: "postgres", url: clusterUrl }, gone: () => Effect.never, registerWithinMs: REGISTER_MS })
    )
  )
