/**
 * The simulated upload API: `upload` returns a remote file id and uri,
 * `importFile` a store document id. Ids come from a generator seeded with the
 * run's seed, so a run is reproducible; delays come from the latency profile
 * and are waited out through the ApiClock, in real or simulated time.
 */
import { Context, Effect, Layer, Random } from "effect"
import { ApiClock, type ApiClockShape } from "../clock/apiClock.ts"
import { callDelaySeconds, type LatencyProfile } from "./profiles.ts"

export interface UploadedFile {
  readonly fileId: string
  readonly uri: string
}

export interface UploadApiShape {
  readonly profile: LatencyProfile
  readonly upload: (path: string) => Effect.Effect<UploadedFile>
  readonly importFile: (fileId: string) => Effect.Effect<{ readonly documentId: string }>
}

export class UploadApi extends Context.Tag("upload-fsm-bench/UploadApi")<UploadApi, UploadApiShape>() {}

const token = (random: Random.Random) =>
  Effect.map(random.nextIntBetween(0, 2 ** 31 - 1), (n) => n.toString(36).padStart(6, "0"))

export const make = (profile: LatencyProfile, seed: number, clock: ApiClockShape): UploadApiShape => {
  const random = Random.make(seed)
  const seconds = callDelaySeconds(profile)
  const latency = seconds > 0 ? clock.sleep(seconds * 1000) : Effect.yieldNow()
  return {
    profile,
    upload: () =>
      Effect.zipRight(
        latency,
        Effect.map(token(random), (t) => ({ fileId: `files/${t}`, uri: `https://api.invalid/v1/files/${t}` }))
      ),
    importFile: () => Effect.zipRight(latency, Effect.map(token(random), (t) => ({ documentId: `documents/${t}` })))
  }
}

/** The API, waiting through the run's ApiClock (real or time-warped). */
export const layer = (profile: LatencyProfile, seed: number): Layer.Layer<UploadApi, never, ApiClock> =>
  Layer.effect(UploadApi, Effect.map(ApiClock, (clock) => make(profile, seed, clock)))
