#!/usr/bin/env node
// The project as one command (`upload-fsm-bench <bench|compare|clock-check>`): the TypeScript sources run through tsx.
import { register } from "tsx/esm/api"

register()
await import("../programs/cli.ts")
