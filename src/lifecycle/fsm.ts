/**
 * The file lifecycle state machine: 5 states, 8 transitions, nothing else.
 * Pure: it validates legality only; persistence lives in `store/`.
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

export const States = ["untracked", "uploading", "processing", "indexed", "failed"] as const
export type State = (typeof States)[number]

export const Events = [
  "start_upload",
  "complete_upload",
  "complete_processing",
  "fail_upload",
  "fail_processing",
  "reset",
  "retry",
  "fail_reset"
] as const
export type Event = (typeof Events)[number]

/** The transition table: event -> (from, to). Every pair not listed here is illegal. */
/** A file's life with nothing failing: the three transitions from untracked to indexed. */
export const HAPPY_PATH: ReadonlyArray<Event> = ["start_upload", "complete_upload", "complete_processing"]

export const Transitions: { readonly [E in Event]: { readonly from: State; readonly to: State } } = {
  start_upload: { from: "untracked", to: "uploading" },
  complete_upload: { from: "uploading", to: "processing" },
  complete_processing: { from: "processing", to: "indexed" },
  fail_upload: { from: "uploading", to: "failed" },
  fail_processing: { from: "processing", to: "failed" },
  reset: { from: "indexed", to: "untracked" },
  retry: { from: "failed", to: "untracked" },
  fail_reset: { from: "indexed", to: "failed" }
}

export class IllegalTransition extends Schema.TaggedError<IllegalTransition>()("IllegalTransition", {
  state: Schema.Literal(...States),
  event: Schema.Literal(...Events)
}) {
  override get message(): string {
    return `event '${this.event}' is not allowed in state '${this.state}'`
  }
}

export const isState = (value: unknown): value is State =>
  typeof value === "string" && (States as ReadonlyArray<string>).includes(value)

export const isEvent = (value: unknown): value is Event =>
  typeof value === "string" && (Events as ReadonlyArray<string>).includes(value)

/** The state that `event` leads to from `state`, or IllegalTransition. */
export const next = (state: State, event: Event): Either.Either<State, IllegalTransition> => {
  const t = Transitions[event]
  return t.from === state ? Either.right(t.to) : Either.left(new IllegalTransition({ state, event }))
}

/**
 * One file's FSM instance, hydrated from its stored state. It tracks the state
 * and the version the store last confirmed, which is what the OCC write expects.
 */
export const Machine = Schema.Struct({ state: Schema.Literal(...States), version: Schema.Number })
export type Machine = typeof Machine.Type

export const hydrate = (state: State, version: number): Machine => ({ state, version })

/** Dispatch `event`: the machine after a persisted transition, or IllegalTransition. */
export const dispatch = (machine: Machine, event: Event): Either.Either<Machine, IllegalTransition> =>
  Either.map(next(machine.state, event), (to) => ({ state: to, version: machine.version + 1 }))
