/**
 * What marks a database as this tool's: the application id stamped into its
 * header (PRAGMA application_id), 'UFB1'. One place, below both the store
 * (which stamps it) and the SQLite file checks (which read it before opening).
 */
export const APPLICATION_ID = 0x55464231
