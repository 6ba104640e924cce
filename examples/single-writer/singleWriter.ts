/**
 * One writer for the whole batch: every transition goes into a queue (the
 * writer's mailbox) and one fiber commits them, in arrival order, each in
 * its own transaction on the writer's one connection. Reads (the guard)
 * stay on each file's own connection. SQLite's classic single-writer
 * pattern: nobody ever waits for the write lock, they wait in the queue.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import {
  defineMitigation,
  makeLedger,
  type OccConflict,
  Driver,
  type StoreError,
  storeError,
  transitionTransaction,
  type TransitionWrite,
  Writer,
  writeTiming,
  type WriteTiming
} from "upload-fsm-bench"

interface Letter {
  readonly write: TransitionWrite
  readonly posted: number
  readonly reply: Deferred.Deferred<WriteTiming, OccConflict | StoreError>
}

const singleWriterLayer = (dbPath: string) =>
  Layer.scoped(
    Writer,
    Effect.gen(function*() {
      const driver = yield* Driver
      const conn = yield* driver.connect(dbPath).pipe(Effect.mapError(storeError("open the single writer's connection")))
      const mailbox = yield* Queue.unbounded<Letter>()
      const { add, snapshot } = makeLedger()
      let commits = 0
      // The one writer: a letter at a time, in arrival order, until the layer's scope closes.
      yield* Effect.forkScoped(Effect.forever(
        Effect.gen(function*() {
          const letter = yield* Queue.take(mailbox)
          const queued = performance.now() - letter.posted
          const done = yield* Effect.either(transitionTransaction(conn, driver, letter.write))
          if (done._tag === "Right") {
            commits += 1
            add(letter.write)
            yield* Deferred.succeed(letter.reply, writeTiming(queued, done.right.lock, done.right.writeMs))
          } else {
            yield* Deferred.fail(letter.reply, done.left)
          }
        })
      ))
      return {
        name: "single-writer",
        persist: (_lease, write) =>
          Effect.flatMap(Deferred.make<WriteTiming, OccConflict | StoreError>(), (reply) =>
            Effect.zipRight(Queue.offer(mailbox, { write, posted: performance.now(), reply }), Deferred.await(reply))),
        flush: Effect.void,
        stats: Effect.sync(() => ({ commits, failedCommits: 0, lostTransitions: 0, ...snapshot() }))
      }
    })
  )

export const singleWriter = defineMitigation({
  name: "single-writer",
  short: "writer1",
  replaces: "Writer",
  summary: "one writer fiber commits every transition, in arrival order, on one connection; reads stay per file",
  risk: null,
  layer: ({ dbPath }) => singleWriterLayer(dbPath),
  // The same storage work on the raw driver: each transition its own transaction on one writer connection.
  floor: () => ({ writer: "own-connection", batchSize: 1 })
})
