/**
 * Prepared statements kept per connection, the least recently used dropped
 * first: as Python's sqlite3 module (the seed's production driver) keeps them,
 * 128 per connection. A fresh per-file connection prepares each of its
 * statements once; a long-lived one (shared, observer, writer) prepares each
 * once per run.
 */
export const STATEMENT_CACHE_SIZE = 128

export const statementCache = <S>(prepare: (sql: string) => S, size: number = STATEMENT_CACHE_SIZE): (sql: string) => S => {
  const cache = new Map<string, S>()
  return (sql) => {
    const hit = cache.get(sql)
    if (hit !== undefined) {
      // Re-inserted: a Map iterates in insertion order, so the first key is the least recently used.
      cache.delete(sql)
      cache.set(sql, hit)
      return hit
    }
    const statement = prepare(sql)
    if (cache.size >= size) {
      const oldest = cache.keys().next()
      if (oldest.done !== true) cache.delete(oldest.value)
    }
    cache.set(sql, statement)
    return statement
  }
}
