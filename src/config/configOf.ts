/**
 * The run's configuration from its options' values: the defaults its rules
 * choose (the store from `--pg-url`, the driver from the store, the
 * contrast from the driver, the trials from the level), the profile file
 * read, the mitigations ordered against the registry, then every
 * cross-field rule of `BenchConfig`, each broken one a one-line message.
 */
import * as fs from "node:fs"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { type LatencyProfile, parseProfile } from "../api/profiles.ts"
import { AllDrivers, backendNamed, Backends, driverNamed, ownDrivers } from "../backends/all.ts"
import { BenchConfig, PROCESS_CONNECTIONS } from "../bench/config.ts"
import { builtInRegistry, orderSet, type Registry, unmetRequirement } from "../mitigations/registry.ts"
import { type BenchValues, DEFAULT_METRICS_HOST, QUICK_DELAY, TRIALS_AT_COMPARISON, TRIALS_ELSEWHERE } from "./options.ts"
import { recordedValues } from "./recorded.ts"

const onDeno = "Deno" in globalThis

const readProfile = (values: Pick<BenchValues, "profile" | "profileFile">) =>
  values.profile !== undefined && values.profileFile !== undefined
    ? Either.left("--profile and --profile-file: give one profile, not both")
    : values.profile !== undefined
    ? parseProfile("--profile", values.profile)
    : values.profileFile === undefined
    ? Either.right(null)
    : Either.flatMap(
      Either.try({
        try: () => fs.readFileSync(values.profileFile ?? "", "utf8"),
        catch: (cause) => `--profile-file ${values.profileFile}: cannot read (${cause instanceof Error ? cause.message : String(cause)})`
      }),
      (body) => parseProfile(`--profile-file ${values.profileFile}`, body)
    )

/** What a run's configuration is checked against: its registry, and its config file's profiles. */
export interface Registered {
  readonly registry: Registry
  readonly profiles: ReadonlyArray<LatencyProfile>
}

const orderedMitigations = (registry: Registry, names: ReadonlyArray<string>) =>
  Either.flatMap(Either.mapLeft(orderSet(registry, names), (e) => `--mitigations: ${e}`), (set) => {
    const unmet = unmetRequirement(registry, set)
    return unmet === null ? Either.right(set) : Either.left(`--mitigations: ${unmet}`)
  })

/**
 * The run's driver and contrast against the drivers there are (the
 * built-ins and the config's): each known, of the run's store (a contrast
 * only compares SQLite drivers), and the concurrency within the driver's cap.
 */
const driverRule = (c: BenchConfig, registry: Registry): string | null => {
  const own = ownDrivers(registry)
  if (backendNamed(c.store, registry.backends) === undefined) {
    return `--store: '${c.store}' is not one of ${[...Backends, ...registry.backends].map((b) => b.name).join(", ")}`
  }
  const ofStore = (store: string) => [...AllDrivers, ...own].filter((d) => d.store === store).map((d) => d.name)
  const driver = driverNamed(c.driver, own)
  if (driver === undefined || (driver.store !== c.store && c.store === "sqlite")) {
    return `--driver: '${c.driver}' is not one of ${ofStore("sqlite").join(", ")}`
  }
  if (driver.store !== c.store) return `--driver ${c.driver}: a ${driver.store === "sqlite" ? "SQLite" : driver.store} driver; --store ${c.store} has its own`
  if (c.contrast !== null) {
    const contrast = driverNamed(c.contrast, own)
    if (contrast === undefined || contrast.store !== "sqlite") {
      return c.store === "sqlite"
        ? `--contrast: '${c.contrast}' is not one of ${[...ofStore("sqlite"), "off"].join(", ")}`
        : `--contrast ${c.contrast}: compares SQLite drivers; not with --store ${c.store}`
    }
    if (c.store !== "sqlite") return `--contrast ${c.contrast}: compares SQLite drivers; not with --store ${c.store}`
  }
  const cap = driver.maxConcurrency
  if (cap === null) return null
  const most = Math.max(...c.concurrency)
  // On SQLite the cap is the run's, not each process's: every worker process beyond the first holds connections of
  // its own, on the same file. (A Postgres run's total is held against the server's room when it starts.)
  const extra = driver.store === "sqlite" ? (c.workers - 1) * (c.poolSize + PROCESS_CONNECTIONS) : 0
  if (most + extra <= cap.limit) return null
  return extra === 0
    ? `--concurrency ${most}: ${cap.who} at most ${cap.limit} (${cap.why})`
    : `--concurrency ${most} with --workers ${c.workers}: ${cap.who} at most ${cap.limit} connections across the run's ` +
      `processes, and each worker process beyond the first holds ${c.poolSize + PROCESS_CONNECTIONS} of its own (its pool, ` +
      `observer and writer): ` +
      (cap.limit - extra >= 1 ? `at most --concurrency ${cap.limit - extra} here` : "lower --workers")
}

/** The configuration from the options' values; the one-line message of the first rule broken. */
export const configOf = (
  values: BenchValues,
  registered: Registered = { registry: builtInRegistry, profiles: [] }
): Either.Either<BenchConfig, string> => {
  const store = values.store ?? (values.pgUrl === undefined ? "sqlite" : "postgres")
  const driver = values.driver ?? backendNamed(store, registered.registry.backends)?.defaultDriver ?? "threaded"
  // A host for an endpoint nobody asked for would be ignored without a word.
  if (values.metricsHost !== undefined && values.metricsPort === undefined) {
    return Either.left(`--metrics-host ${values.metricsHost}: only with --metrics-port N (the endpoint it is where to listen for)`)
  }
  // Local runners keep the cluster's state in SQLite through better-sqlite3, which Deno cannot load.
  if (onDeno && values.workers > 1) {
    return Either.left(`--workers ${values.workers}: not under Deno (the runners' cluster storage needs better-sqlite3); run it under Node`)
  }
  const mitigations = orderedMitigations(registered.registry, values.mitigations ?? [])
  return Either.flatMap(Either.all([readProfile(values), mitigations]), ([customProfile, mitigations]) => {
    const customProfiles = [...registered.profiles, ...(customProfile === null ? [] : [customProfile])]
    return Schema.decodeUnknownEither(BenchConfig)({
      ...recordedValues(values),
      concurrency: [...values.concurrency].sort((a, b) => a - b),
      profiles: values.profiles ?? ["zero", "realistic", ...customProfiles.map((p) => p.name)],
      customProfiles,
      realisticDelaySeconds: values.realisticDelay ?? (values.quick ? QUICK_DELAY : 2.0),
      db: values.db ?? null,
      fresh: values.fresh,
      resume: values.resume,
      out: values.out,
      thresholdZeroSeconds: values.thresholdZero,
      thresholdRealisticSeconds: values.thresholdRealistic,
      json: values.json,
      failOn: values.failOn ?? null,
      saveBaseline: values.saveBaseline ?? null,
      baseline: values.baseline ?? null,
      wide: values.wide,
      trace: values.trace ?? null,
      metricsPort: values.metricsPort ?? null,
      metricsHost: values.metricsHost ?? DEFAULT_METRICS_HOST,
      otlp: values.otlp ?? null,
      mitigations,
      ladder: values.ladder ?? (values.mitigations === undefined ? "full" : "off"),
      trials: values.trials ?? TRIALS_AT_COMPARISON,
      // With a target, at most three times the minimum unless said.
      maxTrials: values.maxTrials ?? (values.targetCi === undefined ? null : 3 * (values.trials ?? TRIALS_AT_COMPARISON)),
      otherTrials: values.trials ?? TRIALS_ELSEWHERE,
      failBatch: values.failBatch ?? null,
      retryBaseSeconds: values.retryBase,
      store,
      pgUrl: values.pgUrl ?? null,
      workers: values.workers,
      runners: values.runners ?? [],
      clusterUrl: values.clusterUrl ?? null,
      driver,
      // The inline driver of the same engine as the threaded one's threads: better-sqlite3, or node:sqlite under Deno.
      contrast: values.contrast === "off" ? null : values.contrast ?? (driver === "threaded" ? (onDeno ? "node-sqlite" : "better-sqlite3") : null)
    }).pipe(
      Either.mapLeft((error) => ParseResult.ArrayFormatter.formatErrorSync(error)[0]?.message ?? "invalid configuration"),
      Either.flatMap((config) => {
        const problem = driverRule(config, registered.registry)
        return problem === null ? Either.right(config) : Either.left(problem)
      })
    )
  })
}
