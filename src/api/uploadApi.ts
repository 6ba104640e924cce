/**
 * The simulated upload API: `upload` returns a remote file id and uri,
 * `importFile` a store document id. Ids and latencies come from generators
 * seeded with the run's seed, so a run is reproducible; latencies follow the
 * profile's model for each call type and are waited out through the
 * ApiClock, in real or simulated time.
 *
 * Each call's latency, failure and timeout are drawn from a generator keyed
 * by (seed, call, file, the file's version at the call): a file meets the
 * same answers in every run with the same seed, whatever order the actors
 * happen to call in, and each call of its life a fresh draw.
 *
 * A profile's rate limit counts calls across all actors in a sliding
 * 60-second window of the run's clock. A call over the limit is answered
 * "429, retry after" the time until the window's oldest call leaves it; the
 * caller waits that long (inside the call, so in `mock_api_ms`) and asks
 * again.
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Layer from "effect/Layer"
import { ApiClock, type ApiClockShape } from "../clock/apiClock.ts"
import { keyedRandom } from "../metrics/random.ts"
import { type LatencyModel, type LatencyProfile, sample } from "./profiles.ts"

export interface UploadedFile {
  readonly fileId: string
  readonly uri: string
}

/** An API call that failed: the server answered an error, or did not answer within the timeout. */
export class ApiFailure extends Data.TaggedError("ApiFailure")<{
  readonly call: "upload" | "import"
  readonly reason: "error" | "timeout"
  readonly afterSeconds: number
}> {
  override get message(): string {
    return this.reason === "timeout"
      ? `${this.call} timed out after ${this.afterSeconds.toFixed(3)} s`
      : `${this.call} failed: the server answered an error after ${this.afterSeconds.toFixed(3)} s`
  }
}

export const ApiStats = Schema.Struct({
  /** Calls answered (429 answers not counted), failed ones included. */
  calls: Schema.Number,
  failures: Schema.Number,
  timeouts: Schema.Number,
  /** 429 answers given by the rate limit. */
  rateLimited: Schema.Number,
  /** When each answered call was admitted, in ms of the run's clock. */
  admittedAtMs: Schema.Array(Schema.Number)
})
export type ApiStats = typeof ApiStats.Type

export interface UploadApiShape {
  readonly profile: LatencyProfile
  /** `version` is the file's row version at the call: with the path, the key of the call's draws. */
  readonly upload: (path: string, version: number) => Effect.Effect<UploadedFile, ApiFailure>
  readonly importFile: (path: string, fileId: string, version: number) => Effect.Effect<{ readonly documentId: string }, ApiFailure>
  readonly stats: Effect.Effect<ApiStats>
}

export class UploadApi extends Context.Tag("upload-fsm-bench/UploadApi")<UploadApi, UploadApiShape>() {}

const WINDOW_MS = 60_000

export const make = (profile: LatencyProfile, seed: number, clock: ApiClockShape): UploadApiShape => {
  // Remote ids: a seeded stream of their own (keyed apart from the run's other draws), drawn as calls succeed.
  const ids = keyedRandom(seed, "remote ids")
  const token = () => Math.floor(ids() * (2 ** 31 - 1)).toString(36).padStart(6, "0")
  const admittedAtMs: Array<number> = []
  let calls = 0
  let rateLimited = 0
  let failures = 0
  let timeouts = 0

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

  const wait = (seconds: number) => (seconds > 0 ? clock.sleep(seconds * 1000) : Effect.yieldNow())

  /**
   * One call: admitted by the rate limit (or told to retry after, waited out,
   * and asked again), then its latency and outcome (a timeout, an error, or
   * `answer`, taken once the latency has passed). The bookkeeping of a call is
   * one synchronous step; its only waits are the latency's (a zero latency
   * still yields to the scheduler) and a 429's retry-after.
   */
  const call = <A>(name: "upload" | "import", path: string, version: number, answer: () => A): Effect.Effect<A, ApiFailure> =>
    Effect.clockWith((runClock) => {
      const retryAfterMs = admit(Number(runClock.unsafeCurrentTimeNanos()) / 1e6)
      if (retryAfterMs > 0) {
        rateLimited += 1
        return Effect.zipRight(clock.sleep(Math.max(retryAfterMs, 0.001)), call(name, path, version, answer))
      }
      const random = keyedRandom(seed, `${name}|${path}|${version}`)
      const model: LatencyModel = name === "upload" ? profile.upload : profile.import
      const seconds = sample(model, random)
      const timeout = profile.timeoutSeconds[name]
      if (timeout !== null && seconds > timeout) {
        timeouts += 1
        return Effect.zipRight(wait(timeout), Effect.fail(new ApiFailure({ call: name, reason: "timeout", afterSeconds: timeout })))
      }
      if (random() < profile.failureProbability[name]) {
        failures += 1
        return Effect.zipRight(wait(seconds), Effect.fail(new ApiFailure({ call: name, reason: "error", afterSeconds: seconds })))
      }
      return Effect.zipRight(wait(seconds), Effect.sync(answer))
    })

  return {
    profile,
    upload: (path, version) =>
      call("upload", path, version, () => {
        const t = token()
        return { fileId: `files/${t}`, uri: `https://api.invalid/v1/files/${t}` }
      }),
    importFile: (path, _fileId, version) => call("import", path, version, () => ({ documentId: `documents/${token()}` })),
    stats: Effect.sync(() => ({ calls, rateLimited, failures, timeouts, admittedAtMs: [...admittedAtMs] }))
  }
}

/** The API, waiting through the run's ApiClock (real or time-warped). */
export const layer = (profile: LatencyProfile, seed: number): Layer.Layer<UploadApi, never, ApiClock> =>
  Layer.effect(UploadApi, Effect.map(ApiClock, (clock) => make(profile, seed, clock)))
