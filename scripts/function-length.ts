/**
 * Fails on any function in the given folder (default `src/`) whose body
 * spans more than the limit (default 100 lines): declarations, methods,
 * arrow functions and function expressions, the generator bodies of
 * `Effect.gen` included. Uses the checkout's own TypeScript parser.
 *
 *   npx tsx scripts/function-length.ts [DIR] [LIMIT]
 */
import * as fs from "node:fs"
import * as path from "node:path"
import process from "node:process"
import ts from "typescript"

export interface LongFunction {
  readonly file: string
  readonly line: number
  readonly name: string
  readonly lines: number
}

const sources = (dir: string): ReadonlyArray<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? sources(p) : /\.tsx?$/.test(e.name) && !e.name.endsWith(".d.ts") ? [p] : []
  })

const nameOf = (node: ts.Node): string => {
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name !== undefined) return node.name.getText()
  const parent = node.parent
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) return parent.name.getText()
  return "(anonymous)"
}

/** Every function in `dir`'s TypeScript files whose body spans more than `limit` lines. */
export const longFunctions = (dir: string, limit: number): ReadonlyArray<LongFunction> => {
  const found: Array<LongFunction> = []
  for (const file of sources(dir)) {
    const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true)
    const visit = (node: ts.Node): void => {
      const fn = ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isArrowFunction(node) || ts.isFunctionExpression(node)
      if (fn && node.body !== undefined) {
        const first = source.getLineAndCharacterOfPosition(node.body.getStart()).line
        const last = source.getLineAndCharacterOfPosition(node.body.getEnd()).line
        if (last - first + 1 > limit) found.push({ file, line: first + 1, name: nameOf(node), lines: last - first + 1 })
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  return found
}

const main = (): void => {
  const dir = process.argv[2] ?? "src"
  const limit = Number(process.argv[3] ?? 100)
  const long = longFunctions(dir, limit)
  for (const f of long) console.error(`${f.file}:${f.line} ${f.name}: ${f.lines} lines (at most ${limit}; split it into named steps)`)
  if (long.length > 0) process.exit(1)
  console.log(`function length: no function in ${dir} over ${limit} lines`)
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) main()
