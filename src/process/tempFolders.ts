/**
 * A run's temporary folders (`$TMPDIR/upload-fsm-bench-*`): each holds the
 * pid of the run that owns it, removed by that run when it ends, and swept
 * by a later run when its owner died without removing it (killed, crashed).
 * A folder in which the run started a process of its own (a throwaway
 * database server) says how to stop it (`STOP_FILE`), written before the
 * process starts: the sweep stops it first, so that nothing keeps running
 * on a removed folder. This module knows no store: only those records.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import process from "node:process"
import { isAlive, ownerGone } from "./owner.ts"

export const TEMPORARY_PREFIX = "upload-fsm-bench-"
/** In each temporary folder: the pid of the process that owns it. */
export const OWNER_FILE = "owner.pid"
/** In a folder where a process of the run's may be running: how to stop it (`StopRecord`, JSON). */
export const STOP_FILE = "stop.json"

/** How to stop a process a run started in its folder, should the run die first. */
export interface StopRecord {
  /** The file (in the folder) whose first line is the process's pid, written by the process itself. */
  readonly pidFile: string
  /** A word its command line holds: a pid the system gave to another process since is left alone. */
  readonly command: string
  readonly signal: NodeJS.Signals
  /** How long to wait for it to exit before the folder is removed, ms. */
  readonly waitMs: number
}

/** A new temporary folder owned by this process (stale folders swept first); its path. Throws when it cannot be made. */
export const makeTemporaryFolder = (): string => {
  removeStaleTemporaryFolders()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), TEMPORARY_PREFIX))
  fs.writeFileSync(path.join(dir, OWNER_FILE), String(process.pid))
  return dir
}

/** Record in `dir`, before the process starts, how to stop it. */
export const leaveStopRecord = (dir: string, record: StopRecord): void =>
  fs.writeFileSync(path.join(dir, STOP_FILE), JSON.stringify(record))

/** Alive and not a zombie (exited, waiting for its parent to reap it): what a stopped process's pid should not be. */
export const isRunning = (pid: number): boolean => {
  if (!isAlive(pid)) return false
  try {
    // /proc/PID/stat: "pid (comm) S …"; the state follows the last ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  } catch {
    return false
  }
}

const readRecord = (dir: string): StopRecord | null => {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(path.join(dir, STOP_FILE), "utf8"))
    if (typeof parsed !== "object" || parsed === null) return null
    const r = parsed as Partial<StopRecord>
    return typeof r.pidFile === "string" && typeof r.command === "string" && typeof r.signal === "string" && typeof r.waitMs === "number"
      ? (r as StopRecord)
      : null
  } catch {
    return null
  }
}

/**
 * The process a dead run left running in `dir`, stopped as its record says,
 * if its pid file names a live process whose command line holds the
 * record's word; the folder's removal waits for it to exit, up to its time.
 */
const stopLeftover = (dir: string): void => {
  const record = readRecord(dir)
  if (record === null) return
  let pid: number
  try {
    pid = Number(fs.readFileSync(path.join(dir, record.pidFile), "utf8").split("\n")[0])
  } catch {
    return
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) return
  try {
    if (!fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(record.command)) return
    process.kill(pid, record.signal)
  } catch {
    return
  }
  const until = Date.now() + record.waitMs
  while (isRunning(pid) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20)
}

/**
 * Remove the temporary folders of runs whose process died without removing
 * its own: those whose owner pid is no longer alive, after stopping a
 * process left running in one. Folders without an owner file, or that
 * cannot be read, are left alone.
 */
export const removeStaleTemporaryFolders = (tmp: string = os.tmpdir()): ReadonlyArray<string> => {
  const removed: Array<string> = []
  let names: ReadonlyArray<string> = []
  try {
    names = fs.readdirSync(tmp).filter((n) => n.startsWith(TEMPORARY_PREFIX))
  } catch {
    return removed
  }
  for (const name of names) {
    const dir = path.join(tmp, name)
    try {
      if (ownerGone(fs.readFileSync(path.join(dir, OWNER_FILE), "utf8"))) {
        stopLeftover(dir)
        fs.rmSync(dir, { recursive: true, force: true })
        removed.push(dir)
      }
    } catch {
      // Not ours to judge: no owner file, or unreadable.
    }
  }
  return removed
}
