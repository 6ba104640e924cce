/**
 * A TCP connection to a host's port opened and closed at once: whether
 * anything listens there, told before a run depends on it (a runner, an OTLP
 * collector), so that one that cannot be reached is said in one line.
 */
import * as net from "node:net"
import * as Effect from "effect/Effect"

/** Reached, or why not (the socket's error, or no answer within `timeoutMs`). */
export const reach = (host: string, port: number, timeoutMs: number): Effect.Effect<void, string> =>
  Effect.async((resume) => {
    const socket = net.connect({ host, port })
    const fail = (why: string) => {
      socket.destroy()
      resume(Effect.fail(why))
    }
    socket.setTimeout(timeoutMs, () => fail(`no answer within ${timeoutMs / 1000} s`))
    socket.once("error", (e) => fail(e.message))
    socket.once("connect", () => {
      socket.end()
      resume(Effect.void)
    })
    return Effect.sync(() => socket.destroy())
  })
