/** The machine's probes: the CPU probe timed by a given clock, and the drift of a run's probes. */
import { describe, expect, it } from "vitest"
import { configurationOf, cpuWork, driftOf, driftOfProbes, type Probe, smoothed } from "../../src/metrics/calibration.ts"

const probe = (at: string, cpuMs: number, storageMs: number | null = 40): Probe => ({ at, cpuMs, storageMs })

describe("calibration", () => {
  it("the CPU probe's work is self-contained: its source alone computes the same (it runs so in the probe's threads)", () => {
    const again = new Function(`return (${cpuWork.toString()})()`) as () => number
    expect(again()).toBe(cpuWork())
  })

  it("a probe within a configuration's rounds is named by its configuration", () => {
    expect(configurationOf("c=10 zero ladder, round 3")).toBe("c=10 zero ladder")
    expect(configurationOf("c=1 zero baseline")).toBe("c=1 zero baseline")
  })

  it("drift is slowest over fastest", () => {
    expect(driftOf([10, 12, 20])).toBe(2)
    expect(driftOf([10])).toBe(1)
  })

  it("a quiet run: no shift, nothing hit", () => {
    const d = driftOfProbes([probe("start", 10), probe("c=1 zero baseline", 11), probe("c=10 zero ladder, round 1", 10.5), probe("end", 10.2)])
    // Smoothed: 10.5, 10.5, 10.5, 10.35.
    expect(d.cpu).toBeCloseTo(10.5 / 10.35, 10)
    expect(d).toMatchObject({ storage: 1, shifted: false, hit: [] })
  })

  it("one probe's hiccup is smoothed away: no shift", () => {
    const d = driftOfProbes([probe("start", 10), probe("a", 10), probe("b", 30), probe("c", 10), probe("end", 10)])
    expect(d).toMatchObject({ cpu: 1, shifted: false, hit: [] })
  })

  it("a machine that stays slow shifts the run and names the configurations beside it", () => {
    const d = driftOfProbes([
      probe("start", 10),
      probe("c=1 zero baseline", 10),
      probe("c=10 zero ladder, round 1", 10),
      // The machine slowed while c=10's second round ran, and stayed slow through c=50.
      probe("c=10 zero ladder, round 2", 25),
      probe("c=10 zero ladder", 25),
      probe("c=50 zero baseline", 25),
      probe("end", 10)
    ])
    expect(d.shifted).toBe(true)
    expect(d.cpu).toBe(2.5)
    expect(d.hit).toEqual(["c=10 zero ladder", "c=50 zero baseline"])
  })

  it("the storage probe's drift is reported, not judged; a store without storage probes has none", () => {
    const storage = driftOfProbes([probe("start", 10, 40), probe("a", 10, 100), probe("b", 10, 100), probe("end", 10, 40)])
    // Smoothed: 70, 100, 100, 70.
    expect(storage.storage).toBeCloseTo(100 / 70, 10)
    expect(storage).toMatchObject({ shifted: false, hit: [] })
    const none = driftOfProbes([probe("start", 10, null), probe("end", 10, null)])
    expect(none).toMatchObject({ storage: null, shifted: false })
  })

  it("smoothing is a running median of three", () => {
    expect(smoothed([1, 9, 2, 8, 3])).toEqual([5, 2, 8, 3, 5.5])
  })
})
