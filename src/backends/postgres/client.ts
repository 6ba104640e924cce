/**
 * A node-postgres client connected for one of the run's own uses (its lock,
 * the storage floor, a setup statement). One that fails to connect (refused,
 * or an authentication it cannot answer, such as SCRAM without a password)
 * is ended at once: left open, its socket kept the process alive until the
 * server gave up on it (60 s by default), long after the error was said.
 */
import pg from "pg"

export const connectedClient = async (config: pg.ClientConfig): Promise<pg.Client> => {
  const client = new pg.Client(config)
  // A connection the server closes (the run's end, a shutdown) must not crash the process.
  client.on("error", () => undefined)
  try {
    await client.connect()
  } catch (error) {
    // Not awaited: the server may never answer the goodbye of a client it is still authenticating.
    client.end().catch(() => undefined)
    throw error
  }
  return client
}
