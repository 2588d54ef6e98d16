// Runs every compiled *.test.js under dist/ with node's test runner (its closing
// summary lines "# pass N" / "# fail N" are what CI reads). Node 20's --test does
// not expand globs itself, so the file list is gathered here.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
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
// One line that says what to install when tests skipped for want of a command.
const packages = JSON.parse(readFileSync(new URL("./system-packages.json", import.meta.url), "utf8"));
// A key starting with "/" is a file its package provides (as in system-deps.mjs).
const have = (cmd) =>
  cmd.startsWith("/")
    ? existsSync(cmd)
    : spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
const gone = Object.keys(packages).filter((c) => !have(c));
if (gone.length) {
  const pkgs = [...new Set(gone.map((c) => packages[c]))];
  console.log(`tests needing ${gone.join(", ")} were skipped: apt-get install ${pkgs.join(" ")}`);
}
process.exit(r.status ?? 1);
