/**
 * The project's import rules, checked by `npm run lint:deps` (and CI). Each
 * rule says why; a rule broken is an error, never a warning.
 */
module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      severity: "error",
      comment: "A module that imports itself through others cannot be read, tested or loaded on its own.",
      from: { path: "^src/" },
      to: { circular: true }
    },
    {
      name: "lifecycle-is-pure",
      severity: "error",
      comment: "The FSM is the domain's core: it imports nothing of ours.",
      from: { path: "^src/lifecycle/" },
      to: { path: "^src/", pathNot: "^src/lifecycle/" }
    },
    {
      name: "report-reads-the-document",
      severity: "error",
      comment:
        "An exporter renders the result document and nothing else: it imports results/, and only the pure definitions " +
        "the document's values are named and analysed by (the lifecycle, the segments and histogram bounds, the " +
        "profiles' description, the bottleneck rule); never anything that runs, measures or configures a run.",
      from: { path: "^src/report/" },
      to: {
        path: "^src/",
        pathNot: [
          "^src/report/",
          "^src/results/",
          "^src/lifecycle/",
          "^src/verdict/bottleneck[.]ts$",
          "^src/metrics/(segments|histogram|stats)[.]ts$",
          "^src/api/profiles[.]ts$"
        ]
      }
    },
    {
      name: "actor-knows-no-backend",
      severity: "error",
      comment: "Actors run on any store and any executor: no backend's module and no cluster in actor/.",
      from: { path: "^src/actor/" },
      to: { path: ["^src/backends/", "^src/sqlite/", "^src/postgres/", "^src/cluster/"] }
    },
    {
      name: "nothing-imports-the-cli",
      severity: "error",
      comment: "The CLI is a skin over the library: only programs/ import src/cli/.",
      from: { path: "^src/", pathNot: "^src/cli/" },
      to: { path: "^src/cli/" }
    }
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] }
  }
}
