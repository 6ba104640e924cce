/**
 * Every duration in this project comes from here: Effect's Clock (monotonic
 * nanoseconds), so that another clock layer (the time warp) changes every
 * timing at once. Never `Date`.
 */
import * as Effect from "effect/Effect"

export const nanosToMs = (nanos: bigint): number => Number(nanos) / 1e6

/** Run `self` and return how long it took in milliseconds, with its value. */
export const timed = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<readonly [number, A], E, R> =>
  // One clock lookup for both readings: this wraps every step of every file.
  Effect.clockWith((clock) => {
    const start = clock.unsafeCurrentTimeNanos()
    return Effect.map(self, (a) => [nanosToMs(clock.unsafeCurrentTimeNanos() - start), a] as const)
  })
