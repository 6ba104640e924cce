/**
 * What marks a database as this tool's: the application id stamped into its
 * header (PRAGMA application_id), 'UFB1'. One place, below both the store
 * (which stamps it) and the SQLite file checks (which read it before opening).
 */
export const APPLICATION_ID = 0x55464231

/** The tool's name and version, as `--version` and the exporters (`--metrics-port`, `--otlp`) give them. */
export const TOOL = { name: "upload-fsm-bench", version: "0.1.0" } as const
