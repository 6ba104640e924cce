/**
 * Seeded randomness: every random choice of a run (ids, seeded rows, API
 * latencies and failures, backoff jitter, bootstrap resampling) draws from
 * these, so that the same seed gives the same run.
 */

/** A small seeded generator (mulberry32): uniform in [0, 1). */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A generator for one keyed draw (e.g. one file's one API call): the same
 * seed and key give the same numbers whatever order the keys are drawn in.
 */
export const keyedRandom = (seed: number, key: string): (() => number) => {
  let h = (0x811c9dc5 ^ seed) >>> 0
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return seededRandom(h)
}
