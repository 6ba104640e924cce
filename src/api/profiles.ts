/**
 * Latency profiles of the simulated upload API. `zero` has no delay at all
 * (the call still yields to the scheduler, as any asynchronous call would);
 * `realistic` waits a constant time per call (2.0 s in the seed).
 */
export type LatencyProfile =
  | { readonly name: "zero" }
  | { readonly name: "realistic"; readonly delaySeconds: number }

export const ProfileNames = ["zero", "realistic"] as const
export type ProfileName = (typeof ProfileNames)[number]

export const profile = (name: ProfileName, realisticDelaySeconds: number): LatencyProfile =>
  name === "zero" ? { name } : { name, delaySeconds: realisticDelaySeconds }

/** The delay of one API call under `profile`, in seconds. */
export const callDelaySeconds = (p: LatencyProfile): number => (p.name === "zero" ? 0 : p.delaySeconds)

/** API calls per file on the happy path: upload and import. */
export const CALLS_PER_FILE = 2
