/**
 * The result files on disk: the output folder proven writable before
 * anything runs, names chosen after the run's start (UTC) without taking an
 * existing one, files written without overwriting, and result documents
 * encoded and decoded with the one Schema (`schema.ts`).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import process from "node:process"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { ownerGone } from "../process/owner.ts"
import { MitigationDocument, ResultsDocument, SCHEMA_VERSION } from "./schema.ts"
import { upgradeResults } from "./upgrade.ts"

export class OutputError extends Data.TaggedError("OutputError")<{ readonly detail: string }> {
  override get message(): string {
    return this.detail
  }
}

/** A file given as a result document that is not one this version can read. */
export class ResultsInputError extends Data.TaggedError("ResultsInputError")<{ readonly detail: string }> {
  override get message(): string {
    return this.detail
  }
}

const reason = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/**
 * The folders to make for `dir`, outermost first, down from its nearest
 * existing ancestor (which must be a folder). Made one at a time, not with
 * `mkdirSync`'s recursive mode: on a file system that answers ENOENT for a
 * folder it will never hold (/proc), Node 20's recursive mode retries
 * forever at full CPU.
 */
const missingFolders = (dir: string): ReadonlyArray<string> => {
  const missing: Array<string> = []
  let at = path.resolve(dir)
  for (;;) {
    const stat = fs.statSync(at, { throwIfNoEntry: false })
    if (stat !== undefined) {
      if (!stat.isDirectory()) throw new Error(`${at} is not a folder`)
      return missing.reverse()
    }
    missing.push(at)
    const parent = path.dirname(at)
    if (parent === at) return missing.reverse()
    at = parent
  }
}

/** The folders made, innermost first, as long as each is empty (rmdir refuses any other): what a run wrote stays. */
const removeEmpty = (made: ReadonlyArray<string>): void => {
  for (const folder of [...made].reverse()) {
    try {
      fs.rmdirSync(folder)
    } catch {
      return
    }
  }
}

/**
 * Create the output folder if needed and prove it writable, before any
 * measuring starts. The folders it made are removed again when the scope
 * closes if nothing was written in them (the run refused or interrupted
 * before its first file).
 */
export const prepareOutDir = (dir: string): Effect.Effect<void, OutputError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        const made: Array<string> = []
        try {
          for (const folder of missingFolders(dir)) {
            fs.mkdirSync(folder)
            made.push(folder)
          }
          fs.accessSync(dir, fs.constants.W_OK)
          const probe = path.join(dir, `.write-probe-${process.pid}`)
          fs.writeFileSync(probe, "")
          fs.rmSync(probe)
          return made
        } catch (error) {
          removeEmpty(made)
          throw error
        }
      },
      catch: (cause) => new OutputError({ detail: `--out ${dir}: cannot write there (${reason(cause)})` })
    }),
    (made) => Effect.sync(() => removeEmpty(made))
  ).pipe(Effect.asVoid)

export const stamp = (iso: string): string => iso.slice(0, 19).replace(/[-:]/g, "").replace("T", "-")

/** A run's output names, held in the folder from the start. */
export interface Reservation {
  readonly suffix: string
  /** Fill the reserved `name` with `body`: written beside it, then renamed over it, so no reader sees half a file. */
  readonly fill: (name: string, body: string) => Effect.Effect<string, OutputError>
  /** Empty a name it filled again (the files of a run that could not write them all): it is then given back. */
  readonly unfill: (file: string) => Effect.Effect<void>
}

/** Beside a run's reserved names, its pid, until it fills them or gives them back. */
const ownerFileOf = (suffix: string): string => `.reserved-${suffix}.pid`
const OWNER_FILE = /^\.reserved-(.+)\.pid$/
/** A result file being written: beside its name, then renamed over it (`fill`). */
const TEMP_FILE = /\.tmp-(\d+)$/

/**
 * The names a run that died (killed outright: SIGKILL, a crash) reserved and
 * never filled: removed while still empty, with its owner file. A name it
 * filled is its result and stays.
 */
const sweepAbandoned = (dir: string, namesFor: (suffix: string) => ReadonlyArray<string>): void => {
  for (const entry of fs.readdirSync(dir)) {
    // A file half written by a run that died while writing it (its pid in the name).
    const writer = TEMP_FILE.exec(entry)?.[1]
    if (writer !== undefined && ownerGone(writer)) fs.rmSync(path.join(dir, entry), { force: true })
    const suffix = OWNER_FILE.exec(entry)?.[1]
    if (suffix === undefined) continue
    try {
      if (!ownerGone(fs.readFileSync(path.join(dir, entry), "utf8"))) continue
      for (const name of namesFor(suffix)) {
        const file = path.join(dir, name)
        if (fs.statSync(file, { throwIfNoEntry: false })?.size === 0) fs.rmSync(file, { force: true })
      }
      fs.rmSync(path.join(dir, entry), { force: true })
    } catch {
      // Best effort: another run may be sweeping the same folder.
    }
  }
}

/**
 * Reserve the run's file names before anything is measured: for the stamp,
 * then "-2", "-3", …, create every name of `namesFor(suffix)` empty and
 * exclusively, so that two runs started in the same second never pick the
 * same names (the second finds them taken and moves on). Reserved names the
 * run never fills are removed when the scope closes, on failure and
 * interruption too; those of a run killed outright, by the next run's
 * sweep (an owner file beside them holds the pid).
 */
export const reserveNames = (
  dir: string,
  createdAt: string,
  namesFor: (suffix: string) => ReadonlyArray<string>
): Effect.Effect<Reservation, OutputError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        sweepAbandoned(dir, namesFor)
        for (let n = 1; ; n++) {
          const suffix = `${stamp(createdAt)}${n === 1 ? "" : `-${n}`}`
          const made: Array<string> = []
          try {
            for (const name of namesFor(suffix)) {
              const file = path.join(dir, name)
              fs.closeSync(fs.openSync(file, "wx"))
              made.push(file)
            }
            const owner = path.join(dir, ownerFileOf(suffix))
            fs.writeFileSync(owner, String(process.pid))
            return { suffix, files: made, owner, filled: new Set<string>() }
          } catch (cause) {
            for (const file of made) fs.rmSync(file, { force: true })
            if (!(cause instanceof Error && "code" in cause && cause.code === "EEXIST")) throw cause
          }
        }
      },
      catch: (cause) => new OutputError({ detail: `--out ${dir}: cannot reserve the result files (${reason(cause)})` })
    }),
    (held) => Effect.sync(() => {
      for (const file of held.files) if (!held.filled.has(file)) fs.rmSync(file, { force: true })
      fs.rmSync(held.owner, { force: true })
    })
  ).pipe(
    Effect.map((held): Reservation => ({
      suffix: held.suffix,
      fill: (name, body) =>
        Effect.try({
          try: () => {
            const file = path.join(dir, name)
            if (!held.files.includes(file)) throw new Error(`${name} was not reserved`)
            const temp = `${file}.tmp-${process.pid}`
            try {
              fs.writeFileSync(temp, body, { flag: "wx" })
              fs.renameSync(temp, file)
            } catch (error) {
              // Half written (a full disk): not left behind.
              fs.rmSync(temp, { force: true })
              throw error
            }
            held.filled.add(file)
            return file
          },
          catch: (cause) => new OutputError({ detail: `cannot write ${name} in ${dir}: ${reason(cause)}` })
        }),
      unfill: (file) =>
        Effect.sync(() => {
          if (!held.filled.delete(file)) return
          fs.rmSync(file, { force: true })
          // Reserved again, empty, until the scope gives it back.
          fs.closeSync(fs.openSync(file, "w"))
        })
    }))
  )

/** Write `name` in `dir`, failing rather than overwriting. Returns the path written. */
export const writeNew = (dir: string, name: string, body: string): Effect.Effect<string, OutputError> =>
  Effect.try({
    try: () => {
      const file = path.join(dir, name)
      fs.writeFileSync(file, body, { flag: "wx" })
      return file
    },
    catch: (cause) => new OutputError({ detail: `cannot write ${name} in ${dir}: ${reason(cause)}` })
  })

/** A path the run may create before it starts: refused (exit 2) if something is there or its folder cannot be written. */
export const checkNewFile = (flag: string, file: string): Effect.Effect<void, OutputError> =>
  Effect.try({
    try: () => {
      if (fs.existsSync(file)) throw new Error("exists; give a new file name")
      // Created and removed again: the folder's permission bits alone say nothing to root, nor of /proc.
      fs.closeSync(fs.openSync(file, "wx"))
      fs.rmSync(file)
    },
    catch: (cause) => new OutputError({ detail: `${flag} ${file}: ${reason(cause)}` })
  })

/** Write `file`, failing rather than overwriting. */
export const writeNewFile = (file: string, body: string): Effect.Effect<string, OutputError> =>
  writeNew(path.dirname(file), path.basename(file), body)

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`

export const encodeResults = (doc: ResultsDocument): string => json(Schema.encodeSync(ResultsDocument)(doc))

export const encodeMitigation = (doc: MitigationDocument): string => json(Schema.encodeSync(MitigationDocument)(doc))

/** A mitigation name the document uses that its catalog does not register; null when there is none. */
export const unregistered = (doc: Pick<ResultsDocument, "catalog" | "config" | "comparisons">): string | null => {
  const known = new Set(doc.catalog.map((c) => c.name))
  const used = [...doc.config.mitigations, ...(doc.comparisons?.steps.flatMap((s) => s.mitigations) ?? [])]
  return used.find((name) => !known.has(name)) ?? null
}

/** A result file's text, decoded with the Schema that wrote it; a one-line error naming the file otherwise. */
export const decodeResults = (name: string, text: string): Either.Either<ResultsDocument, ResultsInputError> => {
  const fail = (detail: string) => Either.left(new ResultsInputError({ detail: `${name}: ${detail}` }))
  const parsed = Either.try({ try: () => JSON.parse(text) as unknown, catch: () => null })
  if (Either.isLeft(parsed)) return fail("not JSON")
  // The schema before this one is read as this one (`upgrade.ts`); older ones are refused.
  const value = upgradeResults(parsed.right)
  const version = typeof value === "object" && value !== null && "schemaVersion" in value ? value.schemaVersion : undefined
  if (typeof version === "number" && version !== SCHEMA_VERSION) {
    return fail(`a result document of schema ${version}; this version reads schemas 5 to ${SCHEMA_VERSION}`)
  }
  return Schema.decodeUnknownEither(ResultsDocument)(value).pipe(
    Either.orElse((error) => {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
      return fail(
        `not an upload-fsm-bench result (schema ${SCHEMA_VERSION}): ` +
          (issue === undefined ? "invalid" : `${issue.path.join(".") || "document"}: ${issue.message}`)
      )
    }),
    Either.flatMap((doc) => {
      const stray = unregistered(doc)
      return stray === null ? Either.right(doc) : fail(`mitigation '${stray}' is not in the document's catalog`)
    })
  )
}
