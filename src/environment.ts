/** What every result records about where it was measured. */
import { execFileSync } from "node:child_process"
import * as os from "node:os"
import { fileURLToPath } from "node:url"
import process from "node:process"
import * as Effect from "effect/Effect"
import type { Environment } from "./results/schema.ts"

const git = (args: ReadonlyArray<string>): string | null => {
  try {
    return execFileSync("git", [...args], {
      cwd: fileURLToPath(new URL(".", import.meta.url)),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"]
    }).trim()
  } catch {
    // Not a git checkout (an unpacked tarball): recorded as unknown below.
    return null
  }
}

const runtime = (): { readonly name: string; readonly version: string } => {
  const deno = (globalThis as { readonly Deno?: { readonly version?: { readonly deno?: string } } }).Deno
  return deno?.version?.deno !== undefined
    ? { name: "deno", version: deno.version.deno }
    : { name: "node", version: process.version }
}

export const collectEnvironment = (input: { readonly storeVersion: string; readonly driver: string }): Effect.Effect<Environment> =>
  Effect.sync(() => {
    const cpus = os.cpus()
    const status = git(["status", "--porcelain", "--untracked-files=no"])
    return {
      runtime: runtime().name,
      runtimeVersion: runtime().version,
      storeVersion: input.storeVersion,
      driver: input.driver,
      cpuModel: cpus[0]?.model.trim() ?? "unknown",
      cpuCount: cpus.length,
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      gitCommit: git(["rev-parse", "HEAD"]) ?? "unknown",
      gitDirty: status === null ? null : status.length > 0
    }
  })
