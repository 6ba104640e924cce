/**
 * The mitigations as data: their names, the one baseline service each
 * replaces, what each requires, what it changes and what adopting it risks;
 * and the ladder, in the seed's order. The rules about mitigations live here
 * (the layers that carry them out are in `registry.ts`), so that the CLI,
 * the result Schema and the reports can read them without loading a layer.
 */

/** The mitigations, in the seed's order: cheapest first. */
export const Mitigations = ["in-memory-guards", "shared-connection", "batched-writes"] as const
export type Mitigation = (typeof Mitigations)[number]

/** The baseline services a mitigation can replace. */
export type Service = "Connections" | "Guard" | "Writer"

export interface CatalogEntry {
  /** A short name, for the answer's one-line ranking. */
  readonly short: string
  readonly replaces: Service
  /** Mitigations that must be in the same set, and why. */
  readonly requires: ReadonlyArray<{ readonly mitigation: Mitigation; readonly because: string }>
  /** One line: what changes. */
  readonly summary: string
  /** What adopting it risks, for the summary's recommendations; null when nothing. */
  readonly risk: string | null
}

export const Catalog = {
  "in-memory-guards": {
    short: "guards",
    replaces: "Guard",
    requires: [],
    summary: "no read before a write: the actor trusts its FSM; the OCC WHERE clause stays the real guard",
    risk: null
  },
  "shared-connection": {
    short: "shared",
    replaces: "Connections",
    requires: [],
    summary: "one connection for all actors, taken per transaction from BEGIN to COMMIT",
    risk: null
  },
  "batched-writes": {
    short: "batched",
    replaces: "Writer",
    requires: [{
      mitigation: "in-memory-guards",
      because: "a guard reading the database cannot see the batch's uncommitted writes"
    }],
    summary: "write-behind: transitions commit every --batch-size in one held transaction",
    risk: "Batched writes report a transition persisted before it is committed: a failed batch commit leaves files " +
      "whose actors believe a state the database does not hold; they must be re-hydrated and redone (see Recovery)."
  }
} as const satisfies { readonly [M in Mitigation]: CatalogEntry }

/** The seed's ladder, cheapest first: each step includes the ones before it. */
export const LADDER: ReadonlyArray<ReadonlyArray<Mitigation>> = [
  ["in-memory-guards"],
  ["in-memory-guards", "shared-connection"],
  ["in-memory-guards", "shared-connection", "batched-writes"]
]

export const isMitigation = (s: string): s is Mitigation => (Mitigations as ReadonlyArray<string>).includes(s)

/** The name a set of mitigations goes by in results: "baseline", or the set in ladder order joined by "+". */
export const mitigationLabel = (set: ReadonlyArray<Mitigation>): string =>
  set.length === 0 ? "baseline" : Mitigations.filter((m) => set.includes(m)).join("+")

/** Why `set` cannot run as one strategy (a requirement missing, or two mitigations replacing one service); null when it can. */
export const unmetRequirement = (set: ReadonlyArray<Mitigation>): string | null => {
  for (const m of set) {
    const entry: CatalogEntry = Catalog[m]
    for (const r of entry.requires) {
      if (!set.includes(r.mitigation)) return `${m} needs ${r.mitigation} (${r.because})`
    }
    const rival = set.find((other) => other !== m && Catalog[other].replaces === entry.replaces)
    if (rival !== undefined) return `${m} and ${rival} both replace the ${entry.replaces} service`
  }
  return null
}

/** A set's label ("in-memory-guards+shared-connection") in short names ("guards+shared"); other labels as they are. */
export const shortLabel = (label: string): string =>
  label.split("+").map((m) => (isMitigation(m) ? Catalog[m].short : m)).join("+")
