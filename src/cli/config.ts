/**
 * The config file on the command line: found (`--config PATH`, else one in
 * the working directory), loaded and checked before the flags are parsed;
 * its defaults (for the flags the command line does not give), registry,
 * profiles and path reach the command through `CommandConfig`.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { ConfigError, findConfig, type LoadedConfig, loadConfig } from "../config/load.ts"
import { builtInRegistry } from "../mitigations/registry.ts"

/** What a command runs with from the config file: the built-ins alone when there is none. */
export class CommandConfig extends Context.Tag("upload-fsm-bench/CommandConfig")<CommandConfig, Omit<LoadedConfig, "sha256" | "file"> & {
  readonly file: string | null
}>() {}

export const noConfig: Context.Tag.Service<CommandConfig> = { file: null, registry: builtInRegistry, profiles: [], defaults: {} }

/** The value of `--config` in `args` (either form), if given; undefined when the flag is absent. */
const configFlag = (args: ReadonlyArray<string>): string | undefined => {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? ""
    if (arg === "--config") return args[i + 1] ?? ""
    if (arg.startsWith("--config=")) return arg.slice("--config=".length)
  }
  return undefined
}

/** The config the command line names or the working directory holds, loaded; `noConfig` when there is none. */
export const commandConfig = (args: ReadonlyArray<string>, cwd: string): Effect.Effect<Context.Tag.Service<CommandConfig>, ConfigError> => {
  const given = configFlag(args)
  if (given !== undefined && (given.trim() === "" || given.startsWith("--"))) {
    return Effect.fail(new ConfigError({ file: "(none)", detail: "--config needs a file (PATH)" }))
  }
  const file = given ?? findConfig(cwd)
  return file === null ? Effect.succeed(noConfig) : loadConfig(file)
}

/** What `--help` adds with a config: every registered mitigation, where it came from, and the ladder. */
export const registeredLines = (config: Context.Tag.Service<CommandConfig>): ReadonlyArray<string> =>
  config.file === null ? [] : [
    "",
    `Mitigations (the built-ins and ${config.file}'s):`,
    ...config.registry.mitigations.map(({ definition: d, origin }) =>
      `  ${d.name.padEnd(20)} replaces ${d.replaces}${origin.kind === "built-in" ? "" : " (config)"}: ${d.summary}`
    ),
    `Ladder: ${config.registry.ladder.map((step) => step.join("+")).join(" → ")}`
  ]
