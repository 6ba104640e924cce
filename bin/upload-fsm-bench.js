#!/usr/bin/env node
// The project as one command (`upload-fsm-bench <bench|compare|clock-check>`): the TypeScript sources run through tsx.
import process from "node:process"

// Listen for stop signals before anything loads (tsx, the program): one
// arriving now is remembered, and the program says so and exits when it
// starts (`src/process/startSignals.ts` keeps the same record).
const key = Symbol.for("upload-fsm-bench/start-signals")
if (!(key in globalThis)) {
  const listener = (signal) => {
    state.received ??= signal
  }
  const state = {
    received: null,
    stop: () => {
      process.off("SIGINT", listener)
      process.off("SIGTERM", listener)
    }
  }
  process.on("SIGINT", listener)
  process.on("SIGTERM", listener)
  Object.defineProperty(globalThis, key, { value: state })
  // Named after the tool in ps and top (and, to a watcher, the sign that a stop signal is now caught), a URL's
  // password masked: the title takes the place of the command line every user can see (`titleOf` in the sources).
  process.title = ["upload-fsm-bench", ...process.argv.slice(2).map((a) => a.replace(/(:\/\/[^:/@\s]*:)[^@\s]*@/g, "$1***@"))].join(" ")
}

const { register } = await import("tsx/esm/api")
register()
await import("../programs/cli.ts")
