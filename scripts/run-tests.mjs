// Runs every compiled *.test.js under dist/ with node's test runner (its closing
// summary lines "# pass N" / "# fail N" are what CI reads). Node 20's --test does
// not expand globs itself, so the file list is gathered here.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".test.js")) out.push(p);
  }
  return out;
}
const filter = process.argv[2];
const files = walk("dist", [])
  .filter((f) => !filter || f.includes(filter))
  .sort();
if (files.length === 0) {
  console.error("no test files found under dist/");
  process.exit(1);
}
const r = spawnSync(process.execPath, ["--test", "--test-reporter=spec", ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);
