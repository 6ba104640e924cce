/**
 * A node-postgres client connected for one of the run's own uses (its lock,
 * the storage floor, a setup statement). One that fails to connect (refused,
 * or an authentication it cannot answer, such as SCRAM without a password)
 * is ended at once: left open, its socket kept the process alive until the
 * server gave up on it (60 s by default), long after the error was said.
 */
import pg from "pg"

/**
 * How long a connection may take to be made and answered: a server that
 * accepts the connection and never says anything (a wrong port, a hung
 * server) is a failure after this, not a wait without end.
 */
export const CONNECT_TIMEOUT_MS = 10_000

/** A connected client; `signal` abandons the attempt (an interrupted run does not wait for it). */
export const connectedClient = async (config: pg.ClientConfig, signal?: AbortSignal): Promise<pg.Client> => {
  const client = new pg.Client({ connectionTimeoutMillis: CONNECT_TIMEOUT_MS, ...config })
  // A connection the server closes (the run's end, a shutdown) must not crash the process.
  client.on("error", () => undefined)
  // Not awaited: the server may never answer the goodbye of a client it is still authenticating.
  const abandon = () => void client.end().catch(() => undefined)
  signal?.addEventListener("abort", abandon, { once: true })
  try {
    await client.connect()
  } catch (error) {
    abandon()
    throw error
  } finally {
    signal?.removeEventListener("abort", abandon)
  }
  return client
}
