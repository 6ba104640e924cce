/**
 * Stopping a child process the run started (the throwaway PostgreSQL server,
 * a worker): asked first, killed if it lingers, waited for either way.
 */
import type { ChildProcess } from "node:child_process"

export const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null

/** Wait for the child's exit, up to `ms`; true if it exited. */
const exitWithin = (child: ChildProcess, ms: number): Promise<boolean> =>
  exited(child) ? Promise.resolve(true) : new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    child.once("exit", () => {
      clearTimeout(timer)
      resolve(true)
    })
  })

/** `ask` the child to stop (a signal, a closed channel), give it `graceMs`, then SIGKILL it and wait up to 2 s more. */
export const stopChild = async (child: ChildProcess, ask: () => void, graceMs: number): Promise<void> => {
  if (exited(child)) return
  ask()
  if (!(await exitWithin(child, graceMs))) {
    child.kill("SIGKILL")
    await exitWithin(child, 2_000)
  }
}
