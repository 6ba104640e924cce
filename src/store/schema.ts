/**
 * The `files` table and its migrations. The lifecycle columns are those of the
 * production system; the descriptive ones are there so that rows have the width
 * (and the UPDATE the page traffic) of the real table.
 */
import { States } from "../lifecycle/fsm.ts"


/** One entry per schema version; `PRAGMA user_version` records how many have run. */
export const migrations: ReadonlyArray<ReadonlyArray<string>> = [
  [
    `CREATE TABLE files (
      file_path TEXT PRIMARY KEY NOT NULL,
      content_hash TEXT NOT NULL,
      filename TEXT NOT NULL,
      file_extension TEXT NOT NULL,
      file_size INTEGER NOT NULL,
      mime_type TEXT NOT NULL,
      encoding TEXT NOT NULL,
      language TEXT,
      word_count INTEGER,
      title TEXT,
      author TEXT,
      category TEXT,
      course TEXT,
      source_dir TEXT NOT NULL,
      metadata_json TEXT NOT NULL DEFAULT '{}',
      metadata_quality TEXT,
      tags_json TEXT NOT NULL DEFAULT '[]',
      created_at TEXT NOT NULL,
      modified_at TEXT NOT NULL,
      last_scanned_at TEXT,
      is_deleted INTEGER NOT NULL DEFAULT 0,
      gemini_state TEXT NOT NULL DEFAULT 'untracked'
        CHECK (gemini_state IN (${States.map((s) => `'${s}'`).join(", ")})),
      gemini_state_updated_at TEXT,
      version INTEGER NOT NULL DEFAULT 0,
      gemini_file_id TEXT,
      gemini_file_uri TEXT,
      upload_timestamp TEXT,
      gemini_store_doc_id TEXT,
      intent_type TEXT,
      intent_started_at TEXT,
      intent_api_calls_completed INTEGER,
      error_message TEXT,
      upload_attempt_count INTEGER NOT NULL DEFAULT 0
    )`,
    `CREATE INDEX idx_files_gemini_state ON files (gemini_state)`
  ],
  // The round of uploads a row is in: 1, then 2 once the reupload scenario
  // has reset it (reset or fail_reset). A re-hydrated file (recovery, resume)
  // reads whether it still owes its second round; state and version alone
  // cannot tell an indexed file that has done it from one that has not.
  [`ALTER TABLE files ADD COLUMN upload_round INTEGER NOT NULL DEFAULT 1`]
]

export const SCHEMA_VERSION = migrations.length
