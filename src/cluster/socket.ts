/**
 * The cluster over TCP sockets with SQL storage: what `NodeClusterSocket.layer`
 * of `@effect/platform-node` builds for `storage: "sql"` and ping health
 * checks, composed here from the same parts. That module also loads undici
 * (for Kubernetes health checks, which no run uses) as soon as it is
 * imported, which would put it in the tool's bundle and in every runner.
 */
import * as MessageStorage from "@effect/cluster/MessageStorage"
import * as RunnerHealth from "@effect/cluster/RunnerHealth"
import * as Runners from "@effect/cluster/Runners"
import type * as Sharding from "@effect/cluster/Sharding"
import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as SocketRunner from "@effect/cluster/SocketRunner"
import * as SqlMessageStorage from "@effect/cluster/SqlMessageStorage"
import * as SqlRunnerStorage from "@effect/cluster/SqlRunnerStorage"
import { layerClientProtocol, layerSocketServer } from "@effect/platform-node-shared/NodeClusterSocket"
import * as RpcSerialization from "@effect/rpc/RpcSerialization"
import type { SqlClient } from "@effect/sql/SqlClient"
import * as Layer from "effect/Layer"

/** A runner (`clientOnly` false: it serves entities on its socket) or a client only, its state in `SqlClient`'s database. */
export const socketLayer = (options: {
  readonly clientOnly: boolean
  readonly shardingConfig: Partial<ShardingConfig.ShardingConfig["Type"]>
}): Layer.Layer<Sharding.Sharding | Runners.Runners | MessageStorage.MessageStorage, unknown, SqlClient> => {
  const runner = options.clientOnly
    ? Layer.provide(SocketRunner.layerClientOnly, layerClientProtocol)
    : Layer.provide(SocketRunner.layer, [layerSocketServer, layerClientProtocol])
  // A client checks no runner's health (`SocketRunner.layerClientOnly` asks for none); the runners ping each other.
  const health = options.clientOnly
    ? RunnerHealth.layerNoop
    : RunnerHealth.layerPing.pipe(Layer.provide(Runners.layerRpc), Layer.provide(layerClientProtocol))
  return runner.pipe(
    Layer.provide(health),
    Layer.provideMerge(Layer.orDie(SqlMessageStorage.layer)),
    Layer.provide(Layer.orDie(SqlRunnerStorage.layer)),
    Layer.provide(ShardingConfig.layer(options.shardingConfig)),
    Layer.provide(RpcSerialization.layerMsgPack)
  )
}
