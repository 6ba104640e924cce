/** What every result records about where it was measured. */
import { execFile } from "node:child_process"
import * as os from "node:os"
import { fileURLToPath } from "node:url"
import process from "node:process"
import * as Effect from "effect/Effect"
import type { Environment } from "../results/schema.ts"

/** A git command's trimmed output in this project's folder, or null (not a checkout, no git). Does not block. */
const git = (args: ReadonlyArray<string>): Effect.Effect<string | null> =>
  Effect.async<string | null>((resume) => {
    const child = execFile(
      "git",
      [...args],
      { cwd: fileURLToPath(new URL(".", import.meta.url)), encoding: "utf8" },
      // Not a git checkout (an unpacked tarball): recorded as unknown.
      (error, stdout) => resume(Effect.succeed(error === null ? stdout.trim() : null))
    )
    child.stdin?.end()
    return Effect.sync(() => child.kill())
  })

const runtime = (): { readonly name: string; readonly version: string } => {
  const deno = (globalThis as { readonly Deno?: { readonly version?: { readonly deno?: string } } }).Deno
  return deno?.version?.deno !== undefined
    ? { name: "deno", version: deno.version.deno }
    : { name: "node", version: process.version }
}

/**
 * The machine's facts, at once; the checkout's (`gitCommit`, `gitDirty`) are
 * "unknown" and null here, and `withGit` fills them in.
 */
export const environmentNow = (input: { readonly storeVersion: string; readonly driver: string }): Environment => {
  const cpus = os.cpus()
  return {
    runtime: runtime().name,
    runtimeVersion: runtime().version,
    storeVersion: input.storeVersion,
    driver: input.driver,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cpuCount: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    gitCommit: "unknown",
    gitDirty: null
  }
}

/**
 * `environment` with the checkout's commit and whether it has uncommitted
 * changes: two git commands run side by side, without blocking (the bench
 * runs them while its first trial does: run one after the other and
 * synchronously, they held the first trial up; see CHANGELOG.md).
 */
export const withGit = (environment: Environment): Effect.Effect<Environment> =>
  Effect.map(
    Effect.all([git(["rev-parse", "HEAD"]), git(["status", "--porcelain", "--untracked-files=no"])], { concurrency: 2 }),
    ([commit, status]) => ({ ...environment, gitCommit: commit ?? "unknown", gitDirty: status === null ? null : status.length > 0 })
  )
