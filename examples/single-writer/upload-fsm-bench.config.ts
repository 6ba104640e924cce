import { defineConfig } from "upload-fsm-bench"
import { singleWriter } from "./singleWriter.ts"

export default defineConfig({
  mitigations: [singleWriter],
  // The built-in ladder's first step, then the single writer on top of it.
  ladder: [["in-memory-guards"], ["in-memory-guards", "single-writer"]]
})
