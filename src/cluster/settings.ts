/**
 * The cluster's settings that the run's process and every runner must share
 * (a client and runners that disagree on `shardsPerGroup` route a message to a
 * shard no runner holds, and it waits forever), and the intervals that decide
 * how soon a lost runner's shards move: its health checked every second, its
 * shard locks lapsing after five.
 *
 * Shard locks are rows of the cluster's lock table, not Postgres advisory
 * locks: those are numbered by a group's place in each runner's own list of
 * groups, and every runner has a group of its own (`protocol.ts`), so two
 * runners' own groups would take the same lock numbers.
 */
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"

export const shardingConfig = {
  shardsPerGroup: 128,
  refreshAssignmentsInterval: "1 second",
  runnerHealthCheckInterval: "1 second",
  shardLockRefreshInterval: "1 second",
  shardLockExpiration: "5 seconds",
  shardLockDisableAdvisory: true,
  sendRetryInterval: "50 millis",
  entityMaxIdleTime: "30 seconds"
} satisfies Partial<ShardingConfig.ShardingConfig["Type"]>
