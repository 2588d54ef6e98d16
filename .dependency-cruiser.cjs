// The layers of src/ and the one direction of imports between them (README "Architecture",
// CONTRIBUTING.md). A folder may import only from folders of a lower rank; folders of one
// rank are siblings and do not import each other. `npm run lint:layers` checks it.
//
// Tests (*.test.ts) and the per-folder test kits (testing.ts, testing-<part>.ts, src/testing/) are exempt from
// the direction (an integration test may load the whole library), but production code may
// never import them.
const RANKS = [
  ["net"],
  ["manifest"],
  ["control"],
  ["ir", "load"],
  ["plumbing", "proxy", "policy", "dns", "ingress"],
  ["dataplane"],
  ["sim", "linux"],
  ["questions"],
  ["views"],
  ["ui-server"],
  ["cli"],
];

const TEST = "(\\.test\\.ts$|/testing(-[a-z0-9-]+|)\\.ts$|^src/testing/)";
const rankOf = new Map(RANKS.flatMap((folders, r) => folders.map((f) => [f, r])));

const layerRules = [];
for (const [folder, rank] of rankOf) {
  const notBelow = [...rankOf].filter(([f, r]) => f !== folder && r >= rank).map(([f]) => f);
  layerRules.push({
    name: `layer-${folder}`,
    comment: `src/${folder}/ (rank ${rank}) imports only from lower layers: not from ${notBelow.join(", ")}`,
    severity: "error",
    from: { path: `^src/${folder}/`, pathNot: TEST },
    to: { path: `^src/(${notBelow.join("|")})/` },
  });
}

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: "no-library-face-inside",
      comment: "src/index.ts is the library's face: nothing in src/ imports it (load/ holds loading)",
      severity: "error",
      from: { path: "^src/", pathNot: `${TEST}|^src/index\\.ts$` },
      to: { path: "^src/index\\.ts$" },
    },
    {
      name: "no-folder-cycle",
      comment: "no circle of imports, across files or folders",
      severity: "error",
      from: { path: "^src/", pathNot: TEST },
      to: { circular: true },
    },
    {
      name: "no-test-helpers-in-production",
      comment: "test kits and fixtures serve tests only",
      severity: "error",
      from: { path: "^src/", pathNot: TEST },
      to: { path: TEST },
    },
    {
      name: "pure-core",
      comment:
        "the model's layers do no I/O: files, processes and sockets live in load, linux, cli, ui-server and the DNS socket server",
      severity: "error",
      from: {
        path: "^src/(net|manifest|control|ir|plumbing|proxy|policy|ingress|dataplane|sim|questions|views)/|^src/dns/(zone|resolver|wire)\\.ts$",
        pathNot: TEST,
      },
      to: {
        dependencyTypes: ["core"],
        path: "^(node:)?(fs|fs/promises|child_process|net|dgram|http|https|tls|worker_threads|cluster)$",
      },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "^(dist|node_modules|ui/dist)/" },
  },
};
