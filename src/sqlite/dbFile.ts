/**
 * The database file on disk: refusing files that are not ours before anything
 * opens them (opening alone would switch a foreign database to WAL), the
 * temporary default database, and the WAL file's size.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import process from "node:process"
import { Data, Effect, type Scope } from "effect"
import { APPLICATION_ID } from "../identity.ts"

export class DatabasePathError extends Data.TaggedError("DatabasePathError")<{ readonly detail: string }> {
  override get message(): string {
    return this.detail
  }
}

const MAGIC = "SQLite format 3\u0000"

/**
 * Accepts a path that does not exist yet (in a writable folder), an empty
 * file, or a database this tool created (its header carries our
 * application_id) with a schema this code knows (its user_version at most
 * `maxSchemaVersion`). Anything else is refused from the header alone, read
 * only: opening it would already switch it to WAL.
 */
export const checkDatabasePath = (file: string, maxSchemaVersion: number): Effect.Effect<void, DatabasePathError> =>
  Effect.try({
    try: () => {
      const stat = fs.statSync(file, { throwIfNoEntry: false })
      if (stat === undefined) {
        const dir = path.dirname(path.resolve(file))
        fs.accessSync(dir, fs.constants.W_OK)
        return undefined
      }
      if (!stat.isFile()) return `--db ${file}: is not a regular file`
      if (stat.size === 0) return undefined
      const header = Buffer.alloc(100)
      const fd = fs.openSync(file, "r")
      const read = (() => {
        try {
          return fs.readSync(fd, header, 0, 100, 0)
        } finally {
          fs.closeSync(fd)
        }
      })()
      if (read < 100 || header.toString("latin1", 0, 16) !== MAGIC) {
        return `--db ${file}: exists and is not an SQLite database; refusing to touch it`
      }
      if (header.readUInt32BE(68) !== APPLICATION_ID) {
        return `--db ${file}: is an SQLite database not created by upload-fsm-bench; refusing to touch it`
      }
      const userVersion = header.readUInt32BE(60)
      if (userVersion > maxSchemaVersion) {
        return `--db ${file}: has schema version ${userVersion}, newer than this tool's ${maxSchemaVersion}; refusing to touch it`
      }
      fs.accessSync(file, fs.constants.W_OK)
      return undefined
    },
    catch: (cause) =>
      new DatabasePathError({ detail: `--db ${file}: ${cause instanceof Error ? cause.message : String(cause)}` })
  }).pipe(Effect.flatMap((problem) => problem === undefined ? Effect.void : Effect.fail(new DatabasePathError({ detail: problem }))))

/** A database path in a fresh temporary folder, removed (with its WAL and SHM files) when the scope closes. */
export const temporaryDatabase: Effect.Effect<string, DatabasePathError, Scope.Scope> = Effect.acquireRelease(
  Effect.try({
    try: () => {
      removeStaleTemporaryFolders()
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), TEMPORARY_PREFIX))
      fs.writeFileSync(path.join(dir, OWNER_FILE), String(process.pid))
      return dir
    },
    catch: (cause) => new DatabasePathError({ detail: `cannot create a temporary database folder: ${String(cause)}` })
  }),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
).pipe(Effect.map((dir) => path.join(dir, "bench.db")))

const TEMPORARY_PREFIX = "upload-fsm-bench-"
/** In each temporary folder: the pid of the process that owns it. */
const OWNER_FILE = "owner.pid"

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it lives, under another user.
    return typeof error === "object" && error !== null && "code" in error && error.code === "EPERM"
  }
}

/**
 * Remove the temporary folders of runs whose process died without removing
 * its own (killed, or crashed): those whose owner pid is no longer alive.
 * Folders without an owner file, or that cannot be read, are left alone.
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
      const pid = Number(fs.readFileSync(path.join(dir, OWNER_FILE), "utf8").trim())
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid)) {
        fs.rmSync(dir, { recursive: true, force: true })
        removed.push(dir)
      }
    } catch {
      // Not ours to judge: no owner file, or unreadable.
    }
  }
  return removed
}

/**
 * The WAL header's salt-1 (null while the WAL is empty). SQLite adds 1 to it
 * each time a checkpoint lets the log restart from its beginning (a fresh log
 * starts from a random one), so its growth over a run counts those restarts.
 */
export const walSalt = (file: string): Effect.Effect<number | null> =>
  Effect.sync(() => {
    try {
      const fd = fs.openSync(`${file}-wal`, "r")
      try {
        const header = Buffer.alloc(20)
        return fs.readSync(fd, header, 0, 20, 0) === 20 ? header.readUInt32BE(16) : null
      } finally {
        fs.closeSync(fd)
      }
    } catch {
      // No WAL file yet: nothing written since the last truncation.
      return null
    }
  })

/** Size of the database's WAL file now (0 when there is none). */
export const walBytes = (file: string): Effect.Effect<number> =>
  Effect.sync(() => fs.statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0)
