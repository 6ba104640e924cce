import { describe, expect, it } from "@effect/vitest"
import { boundHeapGrowth } from "../../src/metrics/heapGrowth.ts"

describe("the heap's growth between full collections", () => {
  it("is bounded at startup, unless the process was started with its own bound (either spelling)", () => {
    expect(boundHeapGrowth([])).toBe(true)
    expect(boundHeapGrowth(["--heap-growing-percent=20"])).toBe(false)
    expect(boundHeapGrowth(["--stack-size=2000", "--heap_growing_percent=30"])).toBe(false)
    expect(boundHeapGrowth(["--heap-growing-percentage-of-nothing"])).toBe(true)
  })
})
