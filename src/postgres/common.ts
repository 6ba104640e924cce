/**
 * What the rest of the tool needs of the Postgres store without loading its
 * driver (node-postgres is loaded only by a run on Postgres): how a URL is
 * shown, and how many connections a run may need.
 */

import { PROCESS_CONNECTIONS } from "../bench/config.ts"

/** A URL with its password hidden, for messages and results. */
export const redacted = (url: string): string => {
  try {
    const parsed = new URL(url)
    if (parsed.password !== "") parsed.password = "***"
    return parsed.toString()
  } catch {
    return url.replace(/:[^:@/]*@/, ":***@")
  }
}

/**
 * The connections a run may hold at once: every actor's (a per-file
 * connection each), each process's shared pool, observer and batched writer,
 * and a few of the run's own (its setup, its lock, the floor's).
 */
export const connectionsNeeded = (options: { readonly concurrency: number; readonly workers: number; readonly poolSize: number }): number =>
  options.concurrency + options.workers * (options.poolSize + PROCESS_CONNECTIONS) + 10

/** A throwaway server's room beyond them: cancels of interrupted statements (one per actor at most), a curious user's psql. */
export const SLACK = 30
