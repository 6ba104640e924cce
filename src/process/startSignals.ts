/**
 * Listeners for the stop signals from the moment the program starts, before
 * it has loaded: a signal arriving then is remembered instead of killing the
 * process with nothing said; the program's own listeners take over when it
 * starts (`signals.ts`), and it then says so and exits. The package's bin
 * installs the same record before tsx loads. Node's own modules only.
 */
import process from "node:process"

/** The global symbol's key under which the record is kept (one record, whichever copy of this code installed it). */
export const START_SIGNALS_KEY = "upload-fsm-bench/start-signals"

/** What the start listeners keep: the first signal, and how to remove them. */
export interface StartSignals {
  received: "SIGINT" | "SIGTERM" | null
  readonly stop: () => void
}

/**
 * Install the start listeners, unless they already are; then name the
 * process after the tool (`ps` and `top` show `upload-fsm-bench` and its
 * arguments, not `node`), which also says, to whoever watches the process,
 * that a stop signal is now caught.
 */
export const installStartSignals = (): void => {
  const key = Symbol.for(START_SIGNALS_KEY)
  if (key in globalThis) return
  const listener = (signal: "SIGINT" | "SIGTERM") => {
    state.received ??= signal
  }
  const state: StartSignals = {
    received: null,
    stop: () => {
      process.off("SIGINT", listener)
      process.off("SIGTERM", listener)
    }
  }
  process.on("SIGINT", listener)
  process.on("SIGTERM", listener)
  Object.defineProperty(globalThis, key, { value: state })
  nameProcess()
}

/**
 * The title `ps` shows for arguments `args`: the tool's name and the
 * arguments, a URL's password masked (`--pg-url`, `--cluster-url`): the title
 * takes the place of the command line the system shows to every user.
 */
export const titleOf = (args: ReadonlyArray<string>): string => ["upload-fsm-bench", ...args.map(maskedUrl)].join(" ")

/** `text` with the password of every URL in it masked (`scheme://user:***@host`). */
export const maskedUrl = (text: string): string => text.replace(/(:\/\/[^:/@\s]*:)[^@\s]*@/g, "$1***@")

/** The process's title: the tool's name and the arguments after the script (where the runtime lets it be set). */
const nameProcess = (): void => {
  try {
    process.title = titleOf(process.argv.slice(2))
  } catch {
    // A runtime that cannot retitle its process keeps its own name.
  }
}

/** The record the start listeners keep, if they were installed. */
export const startSignals = (): StartSignals | undefined => {
  const found: unknown = Reflect.get(globalThis, Symbol.for(START_SIGNALS_KEY))
  return typeof found === "object" && found !== null && "stop" in found && "received" in found
    ? found as StartSignals
    : undefined
}
