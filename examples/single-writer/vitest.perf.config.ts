/** `npm run perf`: the performance check against a saved baseline, apart from `npm test`. */
import { defineConfig } from "vitest/config"

export default defineConfig({ test: { include: ["perf/**/*.ts"] } })
