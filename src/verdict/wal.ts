/**
 * The WAL contention verdict. It rests on what actually waited: SQLITE_BUSY
 * answers while taking the write lock, and the time spent retrying after them.
 * - CLEAN: no connection was ever refused the write lock.
 * - MINOR: some were, but retrying cost at most 5% of all database time.
 * - CONTENTION: retrying for the lock cost more than 5% of all database time.
 * The seed's rule (lock-wait P95 above 5% of db P95) is reported beside it,
 * for comparison: on its own it counts the cost of an uncontended
 * BEGIN IMMEDIATE as contention.
 */
import type { WalReport } from "../results/schema.ts"

export const CONTENTION_SHARE = 0.05

export const walReport = (input: {
  readonly bytesStart: number
  readonly bytesEnd: number
  readonly checkpoints: number | null
  readonly busy: number
  readonly busyWaitMs: number
  readonly dbTotalMs: number
  readonly lockWaitP95: number
  readonly dbTotalP95: number
}): WalReport => {
  const busyShareOfDb = input.dbTotalMs > 0 ? input.busyWaitMs / input.dbTotalMs : 0
  return {
    bytesStart: input.bytesStart,
    bytes: input.bytesEnd,
    checkpoints: input.checkpoints,
    busy: input.busy,
    busyWaitMs: input.busyWaitMs,
    busyShareOfDb,
    seedRatio: input.dbTotalP95 > 0 ? input.lockWaitP95 / input.dbTotalP95 : 0,
    verdict: input.busy === 0 ? "CLEAN" : busyShareOfDb > CONTENTION_SHARE ? "CONTENTION" : "MINOR"
  }
}
