/**
 * Importing a module by URL (a user's config file). Its own module so that
 * the bundle of the sources (`launch.ts`) can put in its place one that asks
 * the launcher to import: the bundle holds no `import(` of its own.
 */
export const importModule = (url: string): Promise<unknown> => import(url)
