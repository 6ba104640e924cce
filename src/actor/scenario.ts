/**
 * Scenarios: what happens to a file once it is indexed.
 * - `happy`: nothing; it stays indexed.
 * - `reupload`: a fresh file, once indexed, is either reset (`reset`,
 *   indexed → untracked) or found broken (`fail_reset`, indexed → failed),
 *   half and half by a draw keyed on (seed, file), and goes through the
 *   lifecycle again, its upload attempts counted from zero (a new upload).
 *   With a profile whose calls can fail, all 8 transitions run.
 */
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import type { Event } from "../lifecycle/fsm.ts"
import { keyedRandom } from "../metrics/random.ts"

export const Scenarios = ["happy", "reupload"] as const
export type ScenarioName = (typeof Scenarios)[number]

export interface ScenarioShape {
  readonly name: ScenarioName
  /** The event that takes a freshly indexed file round again, or null to leave it indexed. */
  readonly afterIndexed: (path: string) => Extract<Event, "reset" | "fail_reset"> | null
}

export class Scenario extends Context.Tag("upload-fsm-bench/Scenario")<Scenario, ScenarioShape>() {}

export const make = (name: ScenarioName, seed: number): ScenarioShape => ({
  name,
  afterIndexed: (path) => (name === "happy" ? null : keyedRandom(seed, `reupload|${path}`)() < 0.5 ? "reset" : "fail_reset")
})

export const layer = (name: ScenarioName, seed: number): Layer.Layer<Scenario> => Layer.succeed(Scenario, make(name, seed))
