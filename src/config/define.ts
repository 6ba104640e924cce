/**
 * A user's config file (`upload-fsm-bench.config.ts`, `.mts`, `.js` or
 * `.mjs`, or `--config PATH`): its mitigations join the built-ins everywhere,
 * it may set its own ladder, add latency profiles, and set defaults for the
 * bench's flags (a flag on the command line still wins).
 */
import type { AnyMitigation } from "../mitigations/define.ts"
import type { LatencyProfile } from "../api/profiles.ts"
import type { Backend } from "../store/backend.ts"
import type { DriverDefinition } from "../store/defineDriver.ts"
import type { ConfigDefaults } from "./options.ts"

export type { ConfigDefaults }

/** What `defineConfig` takes. */
export interface ConfigSpec {
  /** Mitigations beyond the built-ins, each from `defineMitigation`. */
  readonly mitigations?: ReadonlyArray<AnyMitigation>
  /** The ladder's steps, cheapest first, each a set of registered names; the built-in ladder when absent. */
  readonly ladder?: ReadonlyArray<ReadonlyArray<string>>
  /** Latency profiles beyond zero and realistic (the shape of `--profile-file`'s JSON). */
  readonly profiles?: ReadonlyArray<typeof LatencyProfile.Encoded>
  /** Defaults for the bench's flags. */
  readonly defaults?: ConfigDefaults
  /** Drivers beyond the built-ins, each from `defineDriver`: `--driver` (or `defaults.driver`) then takes their names. */
  readonly drivers?: ReadonlyArray<DriverDefinition>
  /** Stores beyond the built-ins, each from `defineBackend` (its store, drivers and target): `--store` then takes their names. */
  readonly backends?: ReadonlyArray<Backend>
}

/** A config, as a config file's default export holds it. */
export interface BenchConfigFile extends ConfigSpec {
  readonly _tag: "BenchConfigFile"
}

/** A typed config: what a config file exports as its default. */
export const defineConfig = (spec: ConfigSpec): BenchConfigFile => ({ ...spec, _tag: "BenchConfigFile" })
