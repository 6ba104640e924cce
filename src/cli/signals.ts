/**
 * Which signal stopped the process: SIGINT (Ctrl-C, exit 130) or SIGTERM
 * (exit 143). The runtime interrupts the command on the first and then stops
 * listening; these listeners stay, so that a second signal (Ctrl-C pressed
 * twice) does not kill the process halfway through its cleanup (a throwaway
 * server left running, temporary files, reserved names): it says that the
 * cleanup is under way, and the first signal's exit stands.
 */
import process from "node:process"

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

/** Listen for both signals for the life of the process; the runtime's own listeners do the interrupting. */
export const rememberSignals = (): void => {
  if (listening) return
  listening = true
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (finished) process.exit(exitCodeOf(signal))
      if (received === null) received = signal
      else process.stderr.write(`${signal} again: still cleaning up after ${received}; the run stops by itself\n`)
    })
  }
}

/** The signal received; an interruption without one (a test's) counts as SIGINT. */
export const stopSignal = (): StopSignal => received ?? "SIGINT"

export const exitCodeOf = (signal: StopSignal): number => (signal === "SIGTERM" ? 143 : 130)
