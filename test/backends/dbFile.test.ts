/**
 * A `--db` checked from its header before anything opens it: a database of
 * ours whose run was killed before its WAL was checkpointed still holds its
 * application id in the WAL's copy of page 1, and is recognised as ours.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import Database from "better-sqlite3"
import { Effect, Either } from "effect"
import { APPLICATION_ID } from "../../src/process/identity.ts"
import { checkDatabasePath } from "../../src/backends/sqlite/dbFile.ts"
import { tempDir } from "../helpers.ts"

/** A database of ours as a run killed outright leaves it: its main file and its WAL as they were, never checkpointed. */
const crashedCopy = (applicationId: number) => {
  const dir = tempDir()
  const live = path.join(dir, "live.db")
  const db = new Database(live)
  db.pragma("journal_mode = WAL")
  db.pragma("wal_autocheckpoint = 0")
  db.pragma(`application_id = ${applicationId}`)
  db.pragma("user_version = 1")
  db.exec("CREATE TABLE files (file_path TEXT PRIMARY KEY)")
  const copy = path.join(dir, "crashed.db")
  fs.copyFileSync(live, copy)
  fs.copyFileSync(`${live}-wal`, `${copy}-wal`)
  db.close()
  return copy
}

const check = (file: string) => Effect.runSync(Effect.either(checkDatabasePath(file, 7)))

describe("checkDatabasePath", () => {
  it("a database of ours killed before its WAL was checkpointed is recognised from the WAL's page 1", () => {
    const file = crashedCopy(APPLICATION_ID)
    // Its own header does not say whose it is yet.
    expect(fs.readFileSync(file).readUInt32BE(68)).toBe(0)
    expect(Either.isRight(check(file))).toBe(true)
  })

  it("the same with another application's id is refused; and our main file without its WAL is refused", () => {
    const foreign = crashedCopy(12345)
    const refused = check(foreign)
    expect(Either.isLeft(refused) ? refused.left.detail : "accepted").toMatch(/not created by upload-fsm-bench/)
    const ours = crashedCopy(APPLICATION_ID)
    fs.rmSync(`${ours}-wal`)
    expect(Either.isLeft(check(ours))).toBe(true)
  })
})
