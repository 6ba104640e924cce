/**
 * The simulated upload API: `upload` returns a remote file id and uri,
 * `importFile` a store document id. Ids and latencies come from generators
 * seeded with the run's seed, so a run is reproducible; latencies follow the
 * profile's model for each call type and are waited out through the
 * ApiClock, in real or simulated time.
 *
 * A profile's rate limit counts calls across all actors in a sliding
 * 60-second window of the run's clock. A call over the limit is answered
 * "429, retry after" the time until the window's oldest call leaves it; the
 * caller waits that long (inside the call, so in `mock_api_ms`) and asks
 * again.
 */
import { Clock, Context, Effect, Layer, Random } from "effect"
import { ApiClock, type ApiClockShape } from "../clock/apiClock.ts"
import { seededRandom } from "../metrics/bootstrap.ts"
import { type LatencyModel, type LatencyProfile, sample } from "./profiles.ts"

export interface UploadedFile {
  readonly fileId: string
  readonly uri: string
}

export interface ApiStats {
  /** Calls answered (429 answers not counted). */
  readonly calls: number
  /** 429 answers given by the rate limit. */
  readonly rateLimited: number
  /** When each answered call was admitted, in ms of the run's clock. */
  readonly admittedAtMs: ReadonlyArray<number>
}

export interface UploadApiShape {
  readonly profile: LatencyProfile
  readonly upload: (path: string) => Effect.Effect<UploadedFile>
  readonly importFile: (fileId: string) => Effect.Effect<{ readonly documentId: string }>
  readonly stats: Effect.Effect<ApiStats>
}

export class UploadApi extends Context.Tag("upload-fsm-bench/UploadApi")<UploadApi, UploadApiShape>() {}

const token = (random: Random.Random) =>
  Effect.map(random.nextIntBetween(0, 2 ** 31 - 1), (n) => n.toString(36).padStart(6, "0"))

const WINDOW_MS = 60_000

export const make = (profile: LatencyProfile, seed: number, clock: ApiClockShape): UploadApiShape => {
  const ids = Random.make(seed)
  // Latencies draw from their own stream, so adding a model never shifts the ids.
  const latencyRandom = seededRandom(seed ^ 0x5bd1e995)
  const admittedAtMs: Array<number> = []
  let calls = 0
  let rateLimited = 0

  const nowMs = Effect.map(Clock.currentTimeNanos, (n) => Number(n) / 1e6)

  // Admit the call now, or say how long until the window has room.
  const admit = (now: number): number => {
    const limit = profile.rateLimitPerMinute
    if (limit !== null) {
      let inWindow = 0
      for (let i = admittedAtMs.length - 1; i >= 0 && (admittedAtMs[i] ?? 0) > now - WINDOW_MS; i--) inWindow++
      if (inWindow >= limit) {
        const oldest = admittedAtMs[admittedAtMs.length - inWindow] ?? now
        return oldest + WINDOW_MS - now
      }
    }
    admittedAtMs.push(now)
    calls += 1
    return 0
  }

  const rateLimit: Effect.Effect<void> = Effect.flatMap(nowMs, (now) => {
    const retryAfterMs = admit(now)
    if (retryAfterMs <= 0) return Effect.void
    rateLimited += 1
    return Effect.zipRight(clock.sleep(Math.max(retryAfterMs, 0.001)), rateLimit)
  })

  const latency = (model: LatencyModel) =>
    Effect.suspend(() => {
      const seconds = sample(model, latencyRandom)
      return seconds > 0 ? clock.sleep(seconds * 1000) : Effect.yieldNow()
    })

  return {
    profile,
    upload: () =>
      Effect.zipRight(
        Effect.zipRight(rateLimit, latency(profile.upload)),
        Effect.map(token(ids), (t) => ({ fileId: `files/${t}`, uri: `https://api.invalid/v1/files/${t}` }))
      ),
    importFile: () =>
      Effect.zipRight(
        Effect.zipRight(rateLimit, latency(profile.import)),
        Effect.map(token(ids), (t) => ({ documentId: `documents/${t}` }))
      ),
    stats: Effect.sync(() => ({ calls, rateLimited, admittedAtMs: [...admittedAtMs] }))
  }
}

/** The API, waiting through the run's ApiClock (real or time-warped). */
export const layer = (profile: LatencyProfile, seed: number): Layer.Layer<UploadApi, never, ApiClock> =>
  Layer.effect(UploadApi, Effect.map(ApiClock, (clock) => make(profile, seed, clock)))
