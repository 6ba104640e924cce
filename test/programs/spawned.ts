/** Spawning the programs as a user starts them: the project root, tsx, and a bench interrupted by a signal. */
import { spawn as spawnAsync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const root = fileURLToPath(new URL("../..", import.meta.url))
export const tsx = path.join(root, "node_modules", ".bin", "tsx")

export const spawn = (command: string, args: ReadonlyArray<string>) => {
  const r = spawnSync(command, [...args], { cwd: root, encoding: "utf8", timeout: 120_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** The tool's temporary folders that the process `pid` owned and that are still there. */
export const tempFoldersOf = (pid: number | undefined): ReadonlyArray<string> =>
  fs.readdirSync(os.tmpdir())
    .filter((n) => n.startsWith("upload-fsm-bench-"))
    .filter((n) => {
      try {
        return fs.readFileSync(path.join(os.tmpdir(), n, "owner.pid"), "utf8").trim() === String(pid)
      } catch {
        return false
      }
    })

/**
 * A bench started as `command args`, sent `signal` once its stderr shows
 * `when`; its exit code, stderr, and the temporary folders its pid owned
 * that are still there.
 */
export const interrupted = (
  command: string,
  args: ReadonlyArray<string>,
  when: RegExp,
  signal: NodeJS.Signals,
  toGroup = false,
  /** Send the signal a second time this many ms after the first (a user pressing Ctrl-C twice). */
  again: number | null = null
) =>
  new Promise<{ code: number | null; stderr: string; leftBehind: ReadonlyArray<string>; pid: number | undefined }>((resolve, reject) => {
    // toGroup: the child leads its own process group, and the signal goes to all of it, as a terminal's Ctrl-C or a
    // supervisor's stop does (a wrapper may relay it to the program too).
    const child = spawnAsync(command, [...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"], detached: toGroup })
    let stderr = ""
    let sent = false
    const guard = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`no exit after the signal; stderr: ${stderr.slice(-500)}`))
    }, 110_000)
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString()
      if (!sent && when.test(stderr)) {
        sent = true
        const send = () => {
          try {
            if (toGroup && child.pid !== undefined) process.kill(-child.pid, signal)
            else child.kill(signal)
          } catch {
            // Gone already.
          }
        }
        send()
        if (again !== null) setTimeout(send, again)
      }
    })
    // A wrapper killed by the signal itself (npx) has no code: the shell's 128 + signal number stands for it.
    child.on("close", (exit, by) => {
      const code = exit ?? (by === "SIGTERM" ? 143 : by === "SIGINT" ? 130 : null)
      clearTimeout(guard)
      resolve({ code, stderr, leftBehind: tempFoldersOf(child.pid), pid: child.pid })
    })
  })

/** The runners (`--workers`) of the run with this pid that are still there: their argument is its pid. */
export const runnersOf = (pid: number | undefined): ReadonlyArray<string> =>
  fs.readdirSync("/proc").filter((entry) => {
    if (!/^\d+$/.test(entry)) return false
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0")
      return argv.some((a) => a.endsWith("cluster/child.ts") || a.endsWith("runner.mjs")) && argv.includes(String(pid))
    } catch {
      return false
    }
  })
