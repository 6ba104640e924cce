/**
 * Which signal stopped the process: SIGINT (Ctrl-C, exit 130) or SIGTERM
 * (exit 143). The runtime interrupts the command on either; this only
 * remembers which it was, for the exit code and the message.
 */
import process from "node:process"

export type StopSignal = "SIGINT" | "SIGTERM"

let received: StopSignal | null = null

/** Listen for both signals (once per process); the runtime's own listeners do the interrupting. */
export const rememberSignals = (): void => {
  process.once("SIGINT", () => {
    received ??= "SIGINT"
  })
  process.once("SIGTERM", () => {
    received ??= "SIGTERM"
  })
}

/** The signal received; an interruption without one (a test's) counts as SIGINT. */
export const stopSignal = (): StopSignal => received ?? "SIGINT"

export const exitCodeOf = (signal: StopSignal): number => (signal === "SIGTERM" ? 143 : 130)
