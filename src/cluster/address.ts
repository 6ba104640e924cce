/** A runner's address, `HOST:PORT`, as `--runners` and `runner --listen` take it. */
import * as Either from "effect/Either"

export interface Address {
  readonly host: string
  readonly port: number
}

/** `HOST:PORT` (an IPv6 host in brackets), or what is wrong with it. */
export const parseAddress = (text: string): Either.Either<Address, string> => {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text.trim())
  const port = Number(m?.[2])
  if (m === null || m[1] === undefined) return Either.left(`'${text}' is not HOST:PORT`)
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return Either.left(`'${text}': the port must be 1 to 65535`)
  return Either.right({ host: m[1].replace(/^\[(.*)\]$/, "$1"), port })
}

/** How the cluster knows a runner (its registration's host and port). */
export const addressText = (a: Address): string => `${a.host}:${a.port}`
