/**
 * What the rest of the tool needs of the Postgres store without loading its
 * driver (node-postgres is loaded only by a run on Postgres): how a URL is
 * shown, and a throwaway server's room.
 */

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

/** A throwaway server's room beyond the connections a run may hold (`connectionsNeeded`): cancels of interrupted statements (one per actor at most), a curious user's psql. */
export const SLACK = 30
