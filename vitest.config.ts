import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup.ts"],
    // One PostgreSQL server for the run: the store tests run on Postgres too (test/drivers.ts).
    globalSetup: ["test/globalPostgres.ts"],
    // Vitest keeps one core for itself by default: on a 2-core machine, one worker, and every file in turn. Most of
    // the slow files wait on processes they spawn, so two workers halve the suite's time there.
    maxWorkers: 2,
    minWorkers: 1,
    // Files in one worker share loaded modules instead of importing Effect and the project again per file (about
    // 14 s of setup in all). Nothing here keeps state between files but the temporary folders, which each file's
    // own afterAll removes (test/setup.ts), and a worker runs one file at a time.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
