/**
 * Where the running code was bundled to: null when it runs from its sources.
 * The build in `launch.ts` puts, in this module's place, one that answers the
 * bundle's folder (the runners of `--workers` start from the bundle's `runner.mjs`).
 */
export const bundleDir: string | null = null
