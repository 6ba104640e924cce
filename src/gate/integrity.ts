/**
 * The check after every run: the database must hold exactly what the actors
 * say they committed. On the happy path: all N files indexed at version 3,
 * 3N transitions persisted, each file's version equal to the transitions the
 * writer saw commit for it (its ledger), every remote id recorded, one upload
 * attempt each, and no actor failure left unrepaired.
 */
import type { FileFailure } from "../actor/runner.ts"
import type { StoredFile } from "../store/store.ts"

/** Persisted transitions per file on the happy path: start_upload, complete_upload, complete_processing. */
export const TRANSITIONS_PER_FILE = 3

export interface Integrity {
  readonly ok: boolean
  readonly files: number
  readonly indexed: number
  /** Transitions persisted, counted from the rows' versions. */
  readonly transitions: number
  /** The first problems found (at most 20), each one line. */
  readonly problems: ReadonlyArray<string>
  readonly problemCount: number
}

export const checkIntegrity = (input: {
  readonly expectedFiles: number
  readonly stored: ReadonlyArray<StoredFile>
  /** Transitions committed per file, as the writer counted them. */
  readonly ledger: ReadonlyMap<string, number>
  readonly failures: ReadonlyArray<FileFailure>
}): Integrity => {
  const problems: Array<string> = []
  for (const failure of input.failures) {
    problems.push(`${failure.path}: actor failed: ${failure.error._tag}: ${failure.error.message}`)
  }
  if (input.stored.length !== input.expectedFiles) {
    problems.push(`expected ${input.expectedFiles} rows, found ${input.stored.length}`)
  }
  let indexed = 0
  let transitions = 0
  for (const row of input.stored) {
    transitions += row.version
    if (row.state === "indexed") indexed += 1
    else problems.push(`${row.path}: state ${row.state}, expected indexed`)
    if (row.version !== TRANSITIONS_PER_FILE) {
      problems.push(`${row.path}: version ${row.version}, expected ${TRANSITIONS_PER_FILE}`)
    }
    const committed = input.ledger.get(row.path) ?? 0
    if (committed !== row.version) {
      problems.push(`${row.path}: ${committed} transitions committed, row has version ${row.version}`)
    }
    if (!row.hasFileId || !row.hasDocId) problems.push(`${row.path}: remote file id or document id missing`)
    if (row.attempts !== 1) problems.push(`${row.path}: ${row.attempts} upload attempts, expected 1`)
  }
  if (transitions !== TRANSITIONS_PER_FILE * input.expectedFiles) {
    problems.push(`${transitions} transitions persisted, expected ${TRANSITIONS_PER_FILE * input.expectedFiles}`)
  }
  return {
    ok: problems.length === 0,
    files: input.stored.length,
    indexed,
    transitions,
    problems: problems.slice(0, 20),
    problemCount: problems.length
  }
}
