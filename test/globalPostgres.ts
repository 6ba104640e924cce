/**
 * Vitest's global setup: one throwaway PostgreSQL server for the whole test
 * run (`src/postgres/server.ts`), its URL given to the tests (`inject`), and
 * stopped and removed when they end. Each test's database is its own, made
 * on that server (`test/drivers.ts`).
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import type { TestProject } from "vitest/node"
import { throwawayServer } from "../src/backends/postgres/server.ts"

declare module "vitest" {
  export interface ProvidedContext {
    pgUrl: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const scope = Effect.runSync(Scope.make())
  const server = await Effect.runPromise(Scope.extend(throwawayServer({ maxConnections: 300 }), scope))
  project.provide("pgUrl", server.url)
  return () => Effect.runPromise(Scope.close(scope, Exit.void))
}
