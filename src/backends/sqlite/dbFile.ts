/**
 * The database file on disk: refusing files that are not ours before anything
 * opens them (opening alone would switch a foreign database to WAL), the
 * temporary default database, and the WAL file's size.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import process from "node:process"
import { DatabasePathError } from "../../store/target.ts"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { APPLICATION_ID } from "../../process/identity.ts"
import { isAlive } from "../../process/owner.ts"
import { makeTemporaryFolder } from "../../process/tempFolders.ts"

export { DatabasePathError }

const MAGIC = "SQLite format 3\u0000"

/**
 * The first 100 bytes of page 1 as the WAL beside `file` holds it, if a
 * committed transaction there wrote page 1 after the last checkpoint: a run
 * killed before its WAL was checkpointed left its application_id and
 * user_version there, not yet in the file's own header. Read only; null
 * when there is no such WAL or no such frame.
 */
const walHeader = (file: string): Buffer | null => {
  let fd: number
  try {
    fd = fs.openSync(`${file}-wal`, "r")
  } catch {
    return null
  }
  try {
    const head = Buffer.alloc(32)
    if (fs.readSync(fd, head, 0, 32, 0) < 32) return null
    const magic = head.readUInt32BE(0)
    if (magic !== 0x377f0682 && magic !== 0x377f0683) return null
    const pageSize = head.readUInt32BE(8)
    const size = fs.fstatSync(fd).size
    const frame = Buffer.alloc(24)
    let candidate: Buffer | null = null
    let committed: Buffer | null = null
    for (let at = 32; at + 24 + pageSize <= size; at += 24 + pageSize) {
      fs.readSync(fd, frame, 0, 24, at)
      // Frames of an older generation (before the last checkpoint restarted the WAL) carry other salts.
      if (frame.readUInt32BE(8) !== head.readUInt32BE(16) || frame.readUInt32BE(12) !== head.readUInt32BE(20)) break
      if (frame.readUInt32BE(0) === 1) {
        candidate = Buffer.alloc(100)
        fs.readSync(fd, candidate, 0, 100, at + 24)
      }
      // A commit frame (the database's size after it is set) makes what came before it part of the database.
      if (frame.readUInt32BE(4) !== 0) committed = candidate ?? committed
    }
    return committed
  } finally {
    fs.closeSync(fd)
  }
}

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
      // SQLite keeps a file's WAL, shared memory and locks by its path: two names of one file are two databases to
      // it, and a run on each corrupts the file (SQLite's "How To Corrupt", 2.6). The --db lock is by path too.
      if (stat.nlink > 1) {
        return `--db ${file}: has ${stat.nlink} hard links; SQLite keeps its WAL and locks by path, so a run on another ` +
          "name of the same file would corrupt it: give a file with one name (copy it)"
      }
      // An empty file is a new database: it must be writable too (read-only, or immutable), or nothing can run on it.
      fs.accessSync(file, fs.constants.W_OK)
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
      // The header as SQLite sees it: the WAL's newer copy of page 1 if it has one.
      const current = walHeader(file) ?? header
      if (current.readUInt32BE(68) !== APPLICATION_ID) {
        return `--db ${file}: is an SQLite database not created by upload-fsm-bench; refusing to touch it`
      }
      const userVersion = current.readUInt32BE(60)
      if (userVersion > maxSchemaVersion) {
        return `--db ${file}: has schema version ${userVersion}, newer than this tool's ${maxSchemaVersion}; refusing to touch it`
      }
      const truncated = truncation(header, stat.size)
      if (truncated !== null) return `--db ${file}: is corrupt (${truncated}); refusing to use it`
      return undefined
    },
    catch: (cause) =>
      new DatabasePathError({ detail: `--db ${file}: ${cause instanceof Error ? cause.message : String(cause)}` })
  }).pipe(Effect.flatMap((problem) => problem === undefined ? Effect.void : Effect.fail(new DatabasePathError({ detail: problem }))))

/**
 * Why a database file is shorter than its header says, or null. The header's
 * page count is valid only when its change counter matches the
 * version-valid-for number (SQLite file format, offsets 24, 28, 92); the
 * file's size is a whole number of pages either way, since every writer
 * writes whole pages (WAL mode writes the main file only at checkpoints).
 */
const truncation = (header: Buffer, size: number): string | null => {
  const raw = header.readUInt16BE(16)
  const pageSize = raw === 1 ? 65536 : raw
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) return `page size ${raw} in its header`
  if (size % pageSize !== 0) return `${size} bytes is not a whole number of ${pageSize}-byte pages: truncated`
  const pages = header.readUInt32BE(28)
  const valid = header.readUInt32BE(24) === header.readUInt32BE(92)
  return valid && pages * pageSize > size ? `truncated: ${size} bytes, its header says ${pages} pages of ${pageSize} bytes` : null
}

/**
 * The file's real path: symbolic links resolved (its folder's, for a file not
 * there yet), so that two names of one database are one database.
 */
const realPathOf = (file: string): string => {
  try {
    return fs.realpathSync(file)
  } catch {
    try {
      return path.join(fs.realpathSync(path.dirname(path.resolve(file))), path.basename(file))
    } catch {
      return path.resolve(file)
    }
  }
}

/**
 * The lock file beside a `--db` database, holding the pid of the run that
 * uses it: beside the file itself, whatever name (a symbolic link) it is
 * given by.
 */
export const lockFileOf = (file: string): string => `${realPathOf(file)}.lock`

/**
 * The `--db` database held by this run alone until the scope closes: a lock
 * file beside it, created exclusively, with this process's pid. A lock whose
 * process is alive refuses the run at once (another run would make each
 * other's OCC writes conflict and report integrity failures that are not
 * the store's); one whose process died (killed, crashed) is taken over.
 */
export const lockDatabase = (file: string): Effect.Effect<void, DatabasePathError, Scope.Scope> => {
  const lock = lockFileOf(file)
  const take = (): string | null => {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(lock, String(process.pid), { flag: "wx" })
        return null
      } catch (error) {
        if (!(typeof error === "object" && error !== null && "code" in error && error.code === "EEXIST")) throw error
      }
      const owner = Number(fs.readFileSync(lock, "utf8").trim())
      if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        return `--db ${file}: in use by another run (pid ${owner}; lock file ${lock}); refusing to share it`
      }
      // Its owner is gone: a stale lock, removed, then taken as a fresh one.
      fs.rmSync(lock, { force: true })
    }
    return `--db ${file}: could not take its lock file ${lock}`
  }
  return Effect.acquireRelease(
    Effect.try({
      try: take,
      catch: (cause) => new DatabasePathError({ detail: `--db ${file}: cannot lock it: ${cause instanceof Error ? cause.message : String(cause)}` })
    }).pipe(Effect.flatMap((problem) => (problem === null ? Effect.void : Effect.fail(new DatabasePathError({ detail: problem }))))),
    () =>
      Effect.try(() => {
        // Only our own lock goes: never one another run took over.
        if (fs.readFileSync(lock, "utf8").trim() === String(process.pid)) fs.rmSync(lock, { force: true })
      }).pipe(Effect.ignore)
  )
}

/** A database path in a fresh temporary folder of the run's, removed (with its WAL and SHM files) when the scope closes. */
export const temporaryDatabase: Effect.Effect<string, DatabasePathError, Scope.Scope> = Effect.acquireRelease(
  Effect.try({
    try: () => makeTemporaryFolder(),
    catch: (cause) => new DatabasePathError({ detail: `cannot create a temporary database folder: ${String(cause)}` })
  }),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
).pipe(Effect.map((dir) => path.join(dir, "bench.db")))

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
