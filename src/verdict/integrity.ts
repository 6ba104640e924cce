/**
 * The check after every run: the database must hold exactly what the writer
 * committed, and every file must have ended where the scenario allows.
 * - N rows; each in a terminal state of the scenario (`indexed`, or `failed`
 *   after using all its upload attempts when calls can fail);
 * - each row's version equal to the transitions the writer saw commit for
 *   that file (its ledger); on the plain happy path, exactly 3;
 * - indexed files have their remote ids; failed ones their error message;
 *   upload attempts between 1 and the policy's maximum (exactly 1 on the
 *   plain happy path);
 * - no actor failure left unrepaired, except a file that gave up waiting
 *   for the write lock: counted apart (`lockTimeouts`), its row held only to
 *   what was committed, since a lock timeout is a verdict on speed, not on
 *   the data.
 */
import type { FileFailure } from "../actor/runner.ts"
import { type State, States } from "../lifecycle/fsm.ts"
import type { Integrity } from "../results/schema.ts"
import { isLockTimeout } from "../store/errors.ts"
import type { StoredFile } from "../store/store.ts"

/** Persisted transitions per file on the happy path: start_upload, complete_upload, complete_processing. */
export const TRANSITIONS_PER_FILE = 3

export interface Expectation {
  /** States a file may end in. */
  readonly terminal: ReadonlyArray<State>
  /** Every file's version when the path through the FSM is fixed (the plain happy path), else null. */
  readonly exactVersion: number | null
  readonly maxAttempts: number
  /** Whether the scenario sends a file round again once indexed; null when it sends none. */
  readonly secondRound: ((path: string) => boolean) | null
}

export const happyPath = (maxAttempts: number): Expectation => ({
  terminal: ["indexed"],
  exactVersion: TRANSITIONS_PER_FILE,
  maxAttempts,
  secondRound: null
})

export const checkIntegrity = (input: {
  readonly expectedFiles: number
  readonly stored: ReadonlyArray<StoredFile>
  /** Transitions committed per file, as the writer counted them. */
  readonly ledger: ReadonlyMap<string, number>
  readonly failures: ReadonlyArray<FileFailure>
  readonly expect: Expectation
}): Integrity => {
  const problems: Array<string> = []
  const { expect } = input
  const gaveUp = new Set<string>()
  for (const failure of input.failures) {
    if (isLockTimeout(failure.error)) gaveUp.add(failure.path)
    else problems.push(`${failure.path}: actor failed: ${failure.error._tag}: ${failure.error.message}`)
  }
  if (input.stored.length !== input.expectedFiles) {
    problems.push(`expected ${input.expectedFiles} rows, found ${input.stored.length}`)
  }
  const finalStates = Object.fromEntries(States.map((s) => [s, 0])) as Record<State, number>
  let transitions = 0
  let committed = 0
  for (const row of input.stored) {
    transitions += row.version
    if (row.state !== "invalid") finalStates[row.state] += 1
    if (row.state === "invalid" || (!expect.terminal.includes(row.state) && !gaveUp.has(row.path))) {
      problems.push(`${row.path}: state ${row.state}, expected ${expect.terminal.join(" or ")}`)
    }
    const ledger = input.ledger.get(row.path) ?? 0
    committed += ledger
    if (ledger !== row.version) problems.push(`${row.path}: ${ledger} transitions committed, row has version ${row.version}`)
    // A file that gave up on the lock stopped where its last commit left it: only that is checked.
    if (gaveUp.has(row.path)) continue
    if (expect.exactVersion !== null && row.version !== expect.exactVersion) {
      problems.push(`${row.path}: version ${row.version}, expected ${expect.exactVersion}`)
    }
    const owesRound = expect.secondRound?.(row.path) ?? false
    if (row.state === "indexed" && row.round === 1 && owesRound) {
      problems.push(`${row.path}: indexed in round 1; the scenario sends it round again`)
    }
    if (row.round !== 1 && !owesRound) problems.push(`${row.path}: in round ${row.round}; the scenario sends it round once`)
    if (row.state === "indexed" && (!row.hasFileId || !row.hasDocId)) {
      problems.push(`${row.path}: indexed without its remote file id or document id`)
    }
    if (row.state === "failed" && (row.attempts !== expect.maxAttempts || !row.hasError)) {
      problems.push(`${row.path}: failed after ${row.attempts} of ${expect.maxAttempts} attempts${row.hasError ? "" : ", no error message"}`)
    }
    const attemptsOk = expect.exactVersion !== null ? row.attempts === 1 : row.attempts >= 1 && row.attempts <= expect.maxAttempts
    if (!attemptsOk) problems.push(`${row.path}: ${row.attempts} upload attempts`)
  }
  if (committed !== transitions) problems.push(`${transitions} transitions in the rows' versions, ${committed} committed`)
  return {
    ok: problems.length === 0,
    files: input.stored.length,
    indexed: finalStates.indexed,
    finalStates,
    transitions,
    problems: problems.slice(0, 20),
    problemCount: problems.length,
    lockTimeouts: gaveUp.size,
    occConflicts: input.failures.filter((f) => f.error._tag === "OccConflict").length
  }
}
