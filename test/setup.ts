/** Run before every test file: what the tests create on disk goes when the file's tests end. */
import { afterAll } from "vitest"
import { removeTempDirs } from "./helpers.ts"

afterAll(removeTempDirs)
