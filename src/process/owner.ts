/**
 * Who owns something a run leaves on disk while it lasts (a temporary
 * folder, a `--db` lock, reserved result names): its pid. A later run
 * removes what a dead owner left.
 */
import process from "node:process"

/** Whether the process `pid` is alive (EPERM: it lives, under another user). */
export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return typeof error === "object" && error !== null && "code" in error && error.code === "EPERM"
  }
}

/** Whether `text` (an owner file's content) names a process other than this one that is gone. */
export const ownerGone = (text: string): boolean => {
  const pid = Number(text.trim())
  return Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid)
}
