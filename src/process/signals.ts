/**
 * Which signal stopped the process: SIGINT (Ctrl-C, exit 130) or SIGTERM
 * (exit 143). The runtime interrupts the command on the first and then stops
 * listening; these listeners stay, so that a second signal (Ctrl-C pressed
 * twice) does not kill the process halfway through its cleanup (a throwaway
 * server left running, temporary files, reserved names): it says that the
 * cleanup is under way, and the first signal's exit stands.
 */
import process from "node:process"
import * as Effect from "effect/Effect"
import { startSignals } from "./startSignals.ts"

export type StopSignal = "SIGINT" | "SIGTERM"

let received: StopSignal | null = null

let listening = false
let finished = false

/**
 * The command has finished and set its exit code: a signal from here on
 * (something still holding the process open) ends the process at once.
 */
export const commandFinished = (): void => {
  finished = true
}

/**
 * Listen for both signals for the life of the process; the runtime's own
 * listeners do the interrupting. Takes over from the listeners installed at
 * start (`startSignals.ts`): the signal they kept, if one came while the program
 * loaded, or null.
 */
export const rememberSignals = (): StopSignal | null => {
  if (listening) return null
  listening = true
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (finished) process.exit(exitCodeOf(signal))
      if (received === null) received = signal
      else process.stderr.write(`${signal} again: still cleaning up after ${received}; the run stops by itself\n`)
    })
  }
  const start = startSignals()
  if (start === undefined) return null
  start.stop()
  received ??= start.received
  return start.received
}

/**
 * One turn of the event loop through a timer, so that a stop signal that
 * came while the program ran without yielding to it (a long synchronous
 * step) reaches its listeners here, where the step's handler still applies.
 * Deno hands a signal to its listeners only when its loop polls, which a
 * process that writes its files and exits may otherwise never do: the
 * signal was lost, and the run exited as if none had come.
 */
export const hearSignals: Effect.Effect<void> = Effect.async<void>((resume) => {
  const timer = setTimeout(() => resume(Effect.void), 0)
  return Effect.sync(() => clearTimeout(timer))
})

/** The signal received; an interruption without one (a test's) counts as SIGINT. */
export const stopSignal = (): StopSignal => received ?? "SIGINT"

export const exitCodeOf = (signal: StopSignal): number => (signal === "SIGTERM" ? 143 : 130)

/**
 * `load` (a user's code being imported) with the stop signals' default
 * action back: nothing is held yet that needs cleaning up, and code that
 * never returns (a config whose top level loops) blocks the event loop, so
 * that a listener would never run and the process would ignore the signal.
 */
export const withDefaultSignals = async <A>(load: () => Promise<A>): Promise<A> => {
  // Every listener, the runtime's own (the one that interrupts the program) too: one left would stand in for the default.
  const held = (["SIGINT", "SIGTERM"] as const).flatMap((signal) =>
    process.listeners(signal).map((listener) => [signal, listener] as const)
  )
  for (const [signal, listener] of held) process.off(signal, listener)
  try {
    return await load()
  } finally {
    for (const [signal, listener] of held) process.on(signal, listener)
  }
}
