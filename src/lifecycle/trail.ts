/**
 * A file's committed events as a path in one tree that every file shares:
 * each distinct sequence of events is one node, with one frozen array of
 * them. 100,000 files on the happy path hold one array of 3 events between
 * them, not one each (an array grown by push per file was a large part of
 * what a run kept on V8's heap). The tree only grows with sequences never seen
 * before, and those are few: the retry policy bounds a file's attempts.
 */
import type { Event } from "./fsm.ts"

export interface Trail {
  /** The events so far, in order. */
  readonly events: ReadonlyArray<Event>
  /** This trail with `event` after it: the same node for the same sequence, every time. */
  readonly then: (event: Event) => Trail
}

const trail = (events: ReadonlyArray<Event>): Trail => {
  const next = new Map<Event, Trail>()
  return {
    events,
    then: (event) => {
      const known = next.get(event)
      if (known !== undefined) return known
      const made = trail(Object.freeze([...events, event]))
      next.set(event, made)
      return made
    }
  }
}

/** No event yet: where every file's trail starts. */
export const emptyTrail: Trail = trail(Object.freeze([]))
