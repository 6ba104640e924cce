import { defineConfig } from "upload-fsm-bench"
import { synchronousOff } from "./synchronousOff.ts"

export default defineConfig({
  mitigations: [synchronousOff],
  ladder: [["synchronous-off"], ["in-memory-guards", "synchronous-off"]]
})
