/**
 * A lock with one holder whose free take is synchronous: what guards a
 * connection (or a writer) that several actors share. A step that runs to
 * its end at once (a synchronous driver's statements, `store/lanes.ts`)
 * takes it with `tryAcquire` and gives it back in the same step, with no
 * Effect in between: nobody else can run meanwhile, so nobody ever waits for
 * it. A holder that carries on across Effect steps (a driver that answers
 * later, a busy lock's retries) takes it with `acquire`, and then every other
 * user, at once or not, waits its turn behind it, first come first served.
 *
 * Effect's own Semaphore gives the same exclusion, but every take of it is an
 * asynchronous registration and every release a scheduled task: for a step
 * that never waits, that was most of the shared connection's cost per use.
 */
import * as Effect from "effect/Effect"
import { nanosToMs } from "../metrics/timing.ts"

export interface Lock {
  /** Take the lock if nobody holds it: true when taken (give it back with `release`). */
  readonly tryAcquire: () => boolean
  /** Take the lock, waiting for it behind the holder and earlier waiters; interruptible while waiting. */
  readonly acquire: Effect.Effect<void>
  /** Give the lock back: to the longest waiter, if any. */
  readonly release: () => void
  /** Someone holds it (for tests and checks). */
  readonly held: () => boolean
}

export const makeLock = (): Lock => {
  let held = false
  const waiters: Array<() => void> = []
  const release = () => {
    const next = waiters.shift()
    // Handed straight to the next waiter: the lock stays held, so no one can take it in between.
    if (next === undefined) held = false
    else next()
  }
  const tryAcquire = () => {
    if (held) return false
    held = true
    return true
  }
  const wait = Effect.async<void>((resume) => {
    let granted = false
    const waiter = () => {
      granted = true
      resume(Effect.void)
    }
    waiters.push(waiter)
    // Interrupted while waiting: leave the queue; interrupted once handed the lock, but before
    // taking it up: hand it on, so that it is never lost.
    return Effect.sync(() => {
      if (granted) release()
      else {
        const at = waiters.indexOf(waiter)
        if (at >= 0) waiters.splice(at, 1)
      }
    })
  })
  return {
    tryAcquire,
    acquire: Effect.suspend(() => (tryAcquire() ? Effect.void : wait)),
    release,
    held: () => held
  }
}

/**
 * Run `use` holding `lock`, with the time spent waiting for it (ms on the
 * run's clock, also told to `use`); the lock given back however `use` ends,
 * on interruption too.
 */
export const withLock = <A, E, R>(
  lock: Lock,
  use: (queueWaitMs: number) => Effect.Effect<A, E, R>
): Effect.Effect<{ readonly queueWaitMs: number; readonly value: A }, E, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.clockWith((clock) => {
      const start = clock.unsafeCurrentTimeNanos()
      const taken = lock.tryAcquire()
        ? Effect.succeed(0)
        : Effect.map(restore(lock.acquire), () => nanosToMs(clock.unsafeCurrentTimeNanos() - start))
      return Effect.flatMap(taken, (queueWaitMs) =>
        restore(use(queueWaitMs)).pipe(
          Effect.ensuring(Effect.sync(lock.release)),
          Effect.map((value) => ({ queueWaitMs, value }))
        ))
    })
  )
