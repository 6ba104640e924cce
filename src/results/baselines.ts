/**
 * Saved baselines (criterion's `--save-baseline` and `--baseline`): a run's
 * result document kept under a name in a folder of the user's
 * (`<out>/baselines` unless told), to compare later runs with by that name.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as Either from "effect/Either"
import { decodeResults } from "./files.ts"
import type { ResultsDocument } from "./schema.ts"

/** A baseline's name: a file name's safe characters, no path. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** Why `name` is no baseline name, or null. */
export const baselineNameProblem = (name: string): string | null =>
  NAME.test(name) && !name.endsWith(".json") ? null : `'${name}' is not a baseline name: letters, digits, '.', '_', '-' (at most 64, no .json)`

/** The folder baselines are kept in, under the run's output folder unless given. */
export const baselineFolder = (out: string, given: string | null = null): string => given ?? path.join(out, "baselines")

const fileOf = (folder: string, name: string) => path.join(folder, `${name}.json`)

/** The names saved in `folder`, sorted. */
export const savedBaselines = (folder: string): ReadonlyArray<string> => {
  try {
    return fs.readdirSync(folder).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort()
  } catch {
    return []
  }
}

/** Baseline `name` from `folder`, decoded, or why not (one line). */
export const readBaseline = (folder: string, name: string): Either.Either<ResultsDocument, string> => {
  const problem = baselineNameProblem(name)
  if (problem !== null) return Either.left(problem)
  const file = fileOf(folder, name)
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch {
    const saved = savedBaselines(folder)
    return Either.left(`no baseline '${name}' in ${folder} (${saved.length === 0 ? "none saved: --save-baseline NAME keeps one" : `saved: ${saved.join(", ")}`})`)
  }
  return Either.mapLeft(decodeResults(file, text), (e) => e.message)
}

/**
 * `text` (a result document) kept as baseline `name` in `folder`, replacing
 * one of that name: written beside it first, then renamed over it, so that a
 * failed write leaves the old one whole. The file's path, or why not.
 */
export const saveBaseline = (folder: string, name: string, text: string): Either.Either<string, string> => {
  const problem = baselineNameProblem(name)
  if (problem !== null) return Either.left(problem)
  const file = fileOf(folder, name)
  const temporary = `${file}.tmp-${process.pid}`
  try {
    fs.mkdirSync(folder, { recursive: true })
    fs.writeFileSync(temporary, text)
    fs.renameSync(temporary, file)
    return Either.right(file)
  } catch (cause) {
    try {
      fs.rmSync(temporary, { force: true })
    } catch {
      // There was no folder to leave it in.
    }
    return Either.left(`baseline '${name}' not saved in ${folder}: ${cause instanceof Error ? cause.message : String(cause)}`)
  }
}
