/** The bench command's flags, in-process: typed values, defaults, cross-field rules, one-line messages, help and completions. */
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { benchOptions as benchFlags } from "../../src/config/options.ts"
import { helpText } from "../../src/cli/help.ts"
import { completionScript, subcommands } from "../../src/cli/main.ts"
import { cli, configFrom } from "./inProcess.ts"

const error = (...args: ReadonlyArray<string>) =>
  Effect.map(configFrom(...args), Either.match({ onLeft: (e) => e, onRight: () => "parsed" }))

const config = (...args: ReadonlyArray<string>) => Effect.map(configFrom(...args), Either.getOrThrow)

describe("bench configuration", () => {
  it.effect("defaults to the original plan's matrix: 818 files, c=1,10,50, zero and realistic at 2.0 s, seed 42; threaded, every ladder step, inline contrast", () =>
    Effect.gen(function*() {
      expect(yield* config()).toMatchObject({
        files: 818,
        concurrency: [1, 10, 50],
        profiles: ["zero", "realistic"],
        realisticDelaySeconds: 2,
        seed: 42,
        db: null,
        thresholdZeroSeconds: 300,
        thresholdRealisticSeconds: 21_600,
        mitigations: [],
        ladder: "full",
        trials: 5,
        otherTrials: 3,
        warmup: 1,
        noise: 0.05,
        batchSize: 10,
        failBatch: null,
        driver: "threaded",
        contrast: "better-sqlite3"
      })
    }))

  it.effect("--trials sets the counted trials at every level; by default c=10 has 5 and the others 3", () =>
    Effect.gen(function*() {
      expect(yield* config("--trials", "4")).toMatchObject({ trials: 4, otherTrials: 4 })
    }))

  it.effect("the contrast driver: better-sqlite3 beside threaded only, another on request, off on request, never the run's own", () =>
    Effect.gen(function*() {
      expect((yield* config("--driver", "better-sqlite3")).contrast).toBeNull()
      expect((yield* config("--contrast", "off")).contrast).toBeNull()
      expect((yield* config("--contrast", "node-sqlite")).contrast).toBe("node-sqlite")
      expect((yield* config("--driver", "node-sqlite", "--contrast", "threaded")).contrast).toBe("threaded")
      expect(yield* error("--contrast", "threaded")).toBe("--contrast threaded: that is the run's own driver; name another one, or off")
    }))

  it.effect("--mitigations turns the automatic ladder off unless --ladder is given; --ladder alone means first", () =>
    Effect.gen(function*() {
      expect(yield* config("--mitigations", "shared-connection")).toMatchObject({ mitigations: ["shared-connection"], ladder: "off" })
      expect((yield* config("--mitigations", "shared-connection", "--ladder", "full")).ladder).toBe("full")
      expect((yield* config("--mitigations", "shared-connection", "--ladder")).ladder).toBe("first")
      expect((yield* config("--ladder", "--json")).json).toBe(true)
    }))

  it.effect("--quick sets the realistic delay to 0.05 s unless --realistic-delay is given", () =>
    Effect.gen(function*() {
      expect((yield* config("--quick")).realisticDelaySeconds).toBe(0.05)
      expect((yield* config("--quick", "--realistic-delay", "0.2")).realisticDelaySeconds).toBe(0.2)
      expect((yield* config("--realistic-delay=0.3")).realisticDelaySeconds).toBe(0.3)
    }))

  it.effect("sorts and de-duplicates concurrency levels", () =>
    Effect.gen(function*() {
      expect((yield* config("--concurrency", "50, 1,10,1")).concurrency).toEqual([1, 10, 50])
    }))

  it.effect("names the flag and the problem for every bad value, unknown or repeated flag", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
        [["--files", "0"], "--files: must be at least 1, got 0"],
        [["--files", "-5"], "--files: must be at least 1, got -5"],
        [["--files", "2.5"], "--files: '2.5' is not a whole number"],
        [["--files", "+20"], "--files: '+20' is not a whole number"],
        [["--pg-url", "garbage"], "--pg-url: not a PostgreSQL connection URL (postgresql://USER:PASSWORD@HOST:PORT/DATABASE)"],
        [["--pg-url", "http://example.invalid/db"], "--pg-url: not a PostgreSQL connection URL (postgresql://USER:PASSWORD@HOST:PORT/DATABASE)"],
        [["--files", " 20"], "--files: ' 20' is not a whole number"],
        [["--batch-size", "99999999999"], "--batch-size: must be at most 100000, got 99999999999"],
        [["--max-attempts", "99999999999"], "--max-attempts: must be at most 100, got 99999999999"],
        [["--fail-batch", "99999999999", "--ladder", "full"], "--fail-batch: must be at most 3000000, got 99999999999"],
        [["--files", "3", "--files", "4"], "--files given twice"],
        [["--files"], "--files needs a value (N)"],
        [["--frobnicate"], "unknown flag --frobnicate (see --help)"],
        [["stray"], "unexpected argument 'stray'"],
        [["--json=yes"], "--json takes no value"],
        [["--concurrency", "0"], "--concurrency: must be at least 1, got 0"],
        [["--concurrency", "1,,10"], "--concurrency: '1,,10' is not a comma-separated list"],
        [["--profiles", "bogus"], "--profiles: unknown profile 'bogus' (known: zero, realistic)"],
        [["--realistic-delay", "-1"], "--realistic-delay: must be at least 0 s, got -1"],
        [["--realistic-delay", "fast"], "--realistic-delay: 'fast' is not a number"],
        [["--threshold-zero", "0"], "--threshold-zero: must be more than 0 s, got 0"],
        [["--threshold-realistic", "Infinity"], "--threshold-realistic: 'Infinity' is not a number"],
        [["--seed", "x"], "--seed: 'x' is not a whole number"],
        [["--db", " "], "--db: empty value"],
        [["--mitigations", "faster"], "--mitigations: unknown mitigation 'faster' (known: in-memory-guards, shared-connection, batched-writes)"],
        [["--mitigations", "batched-writes"], "--mitigations: batched-writes needs in-memory-guards (a guard reading the database cannot see the batch's uncommitted writes)"],
        [["--ladder", "sideways"], "--ladder: 'sideways' is not one of first, full, off"],
        [["--trials", "0"], "--trials: must be at least 1, got 0"],
        [["--warmup", "-1"], "--warmup: must be at least 0, got -1"],
        [["--noise", "lots"], "--noise: 'lots' is not a number"],
        [["--batch-size", "0"], "--batch-size: must be at least 1, got 0"],
        [["--fail-batch", "2", "--ladder", "first"], "--fail-batch: needs batched writes in the run: add --mitigations in-memory-guards,batched-writes or --ladder full"],
        [["--clock", "sundial"], "--clock: 'sundial' is not one of warp, real"],
        [["--driver", "postgres"], "--driver: 'postgres' is not one of better-sqlite3, threaded, node-sqlite, effect-sqlite"],
        [["--fresh", "--resume", "--db", "x.db"], "--fresh and --resume: choose one (replace the batch, or finish it)"],
        [["--fresh"], "--fresh: needs --db PATH or --pg-url URL (the database whose batch to replace)"],
        [["--resume"], "--resume: needs --db PATH or --pg-url URL (the database of the run to finish)"],
        [["--contrast", "postgres"], "--contrast: 'postgres' is not one of better-sqlite3, threaded, node-sqlite, effect-sqlite, off"],
        [["--scenario", "chaos"], "--scenario: 'chaos' is not one of happy, reupload"],
        [["--max-attempts", "0"], "--max-attempts: must be at least 1, got 0"],
        [["--retry-base", "0"], "--retry-base: must be more than 0 s, got 0"],
        [["--metrics-host", "0.0.0.0"], "--metrics-host 0.0.0.0: only with --metrics-port N (the endpoint it is where to listen for)"],
        [["--target-ci", "0"], "--target-ci: must be more than 0, got 0"],
        [["--target-ci", "2"], "--target-ci: must be at most 1, got 2"],
        [["--max-trials", "8"], "--max-trials: only with --target-ci (the cap of its extra trials)"],
        [["--target-ci", "0.05", "--trials", "5", "--max-trials", "3"], "--max-trials 3: fewer than the 5 trials every configuration gets; give at least 5"],
        [["--profile", "{}", "--profile-file", "p.json"], "--profile and --profile-file: give one profile, not both"],
        // Upper bounds: a slip of the keyboard is one line, not a full disk or a crash.
        [["--files", "1000000000000"], "--files: must be at most 1000000, got 1000000000000"],
        [["--concurrency", "10,20000"], "--concurrency: must be at most 10000, got 20000"],
        [["--realistic-delay", "1e300"], "--realistic-delay: must be at most 86400 s, got 1e+300"],
        [["--retry-base", "1e300"], "--retry-base: must be at most 86400 s, got 1e+300"],
        [["--threshold-zero", "1e300"], "--threshold-zero: must be at most 1000000000 s, got 1e+300"],
        [["--trials", "100000"], "--trials: must be at most 1000, got 100000"]
      ]
      for (const [args, message] of cases) expect(yield* error(...args)).toBe(message)
    }))
})

describe("clock-check's flags", () => {
  it.effect("refuse a delay it would have to wait out for hours, with one line", () =>
    Effect.gen(function*() {
      const r = yield* cli("clock-check", "--delay", "1e300")
      expect(r.code).toBe(2)
      expect(r.stderr.trim()).toBe("error: --delay: must be at most 10 s, got 1e+300")
    }))
})

describe("help and completions", () => {
  it("every command's --help is grouped, at most 120 lines of at most 80 columns, and names every flag with no placeholder text", () => {
    for (const sub of subcommands) {
      const text = helpText(sub.name, sub.help, sub.flags)
      const lines = text.split("\n")
      expect(lines.length).toBeLessThanOrEqual(120)
      expect(lines.every((l) => l.length <= 80)).toBe(true)
      expect(text).not.toContain("A user-defined piece of text")
      expect(text).not.toMatch(/\u001b\[/)
      for (const flag of Object.values(sub.flags)) expect(text).toContain(`--${flag.name}`)
    }
    const bench = helpText("bench", subcommands[0]?.help ?? { usage: "", about: "", footer: [] }, benchFlags)
    for (const group of ["Workload:", "Statistics:", "Gate:", "Faults:", "Output:"]) expect(bench).toContain(group)
  })

  it.effect("the command's own --help lists every subcommand within 80 columns", () =>
    Effect.gen(function*() {
      const r = yield* cli("--help")
      expect(r.code).toBe(0)
      const lines = r.stdout.trimEnd().split("\n")
      expect(lines.every((l) => l.length <= 80)).toBe(true)
      for (const sub of subcommands) expect(r.stdout).toContain(`  ${sub.name} `)
    }))

  it.effect("bash completions offer each choice's values as separate words", () =>
    Effect.gen(function*() {
      const bash = yield* completionScript("bash")
      expect(bash).toContain('compgen -W "better-sqlite3 threaded node-sqlite effect-sqlite"')
      expect(bash).toContain('compgen -W "first full off"')
      expect(yield* completionScript("zsh")).toContain("(better-sqlite3 threaded node-sqlite effect-sqlite)")
      expect(yield* completionScript("tcsh")).toBeNull()
    }).pipe(Effect.provide(NodeContext.layer)))
})
