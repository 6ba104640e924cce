/**
 * `in-memory-guards`: replaces the Guard. No read before a write: the actor
 * trusts its FSM's state and version, and the OCC UPDATE's WHERE clause
 * remains the real guard.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Guard } from "../actor/guard.ts"
import { defineMitigation } from "./define.ts"

export const inMemoryGuard: Layer.Layer<Guard> = Layer.succeed(Guard, {
  name: "in-memory",
  check: () => Effect.succeed({ queueWaitMs: 0, guardMs: 0 })
})

export const inMemoryGuards = defineMitigation({
  name: "in-memory-guards",
  short: "guards",
  replaces: "Guard",
  summary: "no read before a write: the actor trusts its FSM; the OCC WHERE clause stays the real guard",
  risk: null,
  layer: () => inMemoryGuard,
  floor: () => ({ readBeforeWrite: false })
})
