/**
 * The per-file segments: each defined once, here. They form a tree:
 *
 *   total_wall_ms
 *   ├─ mock_api_ms
 *   └─ fsm_net_ms                 = total_wall_ms − mock_api_ms
 *      ├─ connect_ms
 *      ├─ fsm_dispatch_ms
 *      ├─ db_total_ms             = sum of its children
 *      │  ├─ hydrate_ms
 *      │  ├─ guard_ms
 *      │  ├─ queue_wait_ms
 *      │  ├─ lock_wait_ms
 *      │  └─ write_ms
 *      └─ runtime_ms              = fsm_net_ms − the other children
 *
 * Leaves add up to their parent exactly, so the bottleneck is chosen among
 * leaves and every microsecond of a file's wall time is in some leaf.
 */

export const SegmentNames = [
  "total_wall_ms",
  "mock_api_ms",
  "fsm_net_ms",
  "connect_ms",
  "fsm_dispatch_ms",
  "db_total_ms",
  "hydrate_ms",
  "guard_ms",
  "queue_wait_ms",
  "lock_wait_ms",
  "write_ms",
  "runtime_ms"
] as const
export type SegmentName = (typeof SegmentNames)[number]

/** One value per segment, `f` of each. */
export const bySegment = <A>(f: (segment: SegmentName) => A): { readonly [S in SegmentName]: A } => {
  const out: Partial<Record<SegmentName, A>> = {}
  for (const name of SegmentNames) out[name] = f(name)
  return out as { readonly [S in SegmentName]: A }
}

export interface SegmentDefinition {
  readonly parent: SegmentName | null
  readonly description: string
}

export const Segments: { readonly [S in SegmentName]: SegmentDefinition } = {
  total_wall_ms: {
    parent: null,
    description: "the file's whole life in its actor: from getting a runner slot to its connection closed"
  },
  mock_api_ms: { parent: "total_wall_ms", description: "time inside simulated API calls (upload, import)" },
  fsm_net_ms: { parent: "total_wall_ms", description: "total_wall_ms − mock_api_ms: everything that is not the API" },
  connect_ms: { parent: "fsm_net_ms", description: "opening and closing the file's connection(s)" },
  fsm_dispatch_ms: { parent: "fsm_net_ms", description: "FSM logic: hydrating the machine and dispatching events" },
  db_total_ms: { parent: "fsm_net_ms", description: "all database time: the sum of the five segments below it" },
  hydrate_ms: { parent: "db_total_ms", description: "reading the file's state and version to hydrate its FSM" },
  guard_ms: { parent: "db_total_ms", description: "the guard before each write (a read of state and version)" },
  queue_wait_ms: {
    parent: "db_total_ms",
    description:
      "waiting for the in-process connection: 0 on a per-file one (the file's alone); on a shared one, held by one transaction at a time, the wait for the others"
  },
  lock_wait_ms: {
    parent: "db_total_ms",
    description:
      "acquiring SQLite's write lock: BEGIN IMMEDIATE until it returns, SQLITE_BUSY retries included (on Postgres, which has no such lock: the BEGIN's round trip)"
  },
  write_ms: { parent: "db_total_ms", description: "the OCC UPDATE and COMMIT inside the write transaction" },
  runtime_ms: {
    parent: "fsm_net_ms",
    description: "fsm_net_ms not in any segment above: fiber scheduling, effect interpretation, bookkeeping"
  }
}

export const childrenOf = (segment: SegmentName): ReadonlyArray<SegmentName> =>
  SegmentNames.filter((name) => Segments[name].parent === segment)

const isUnder = (segment: SegmentName, ancestor: SegmentName): boolean => {
  const parent = Segments[segment].parent
  return parent !== null && (parent === ancestor || isUnder(parent, ancestor))
}

/** The leaves of the fsm_net_ms breakdown: where the bottleneck is looked for. */
export const fsmNetLeaves: ReadonlyArray<SegmentName> = SegmentNames.filter(
  (name) => isUnder(name, "fsm_net_ms") && childrenOf(name).length === 0
)

/** One file's measured leaves; the derived segments are computed by `completeSample`. */
export interface Measured {
  total_wall_ms: number
  mock_api_ms: number
  connect_ms: number
  fsm_dispatch_ms: number
  hydrate_ms: number
  guard_ms: number
  queue_wait_ms: number
  lock_wait_ms: number
  write_ms: number
}

export const emptyMeasured = (): Measured => ({
  total_wall_ms: 0,
  mock_api_ms: 0,
  connect_ms: 0,
  fsm_dispatch_ms: 0,
  hydrate_ms: 0,
  guard_ms: 0,
  queue_wait_ms: 0,
  lock_wait_ms: 0,
  write_ms: 0
})

export type FileSample = { readonly [S in SegmentName]: number }

export const completeSample = (m: Measured): FileSample => {
  const db_total_ms = m.hydrate_ms + m.guard_ms + m.queue_wait_ms + m.lock_wait_ms + m.write_ms
  const fsm_net_ms = m.total_wall_ms - m.mock_api_ms
  // Every field written out, in one order: a spread of `m` gives each sample a hidden class of its own
  // (a Map and a DescriptorArray per sample in V8's heap).
  return {
    total_wall_ms: m.total_wall_ms,
    mock_api_ms: m.mock_api_ms,
    fsm_net_ms,
    connect_ms: m.connect_ms,
    fsm_dispatch_ms: m.fsm_dispatch_ms,
    db_total_ms,
    hydrate_ms: m.hydrate_ms,
    guard_ms: m.guard_ms,
    queue_wait_ms: m.queue_wait_ms,
    lock_wait_ms: m.lock_wait_ms,
    write_ms: m.write_ms,
    runtime_ms: fsm_net_ms - m.connect_ms - m.fsm_dispatch_ms - db_total_ms
  }
}
