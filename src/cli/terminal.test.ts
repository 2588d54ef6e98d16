// Output safe for a terminal: kubectl's EscapeTerminal (kubernetes/cli-runtime
// pkg/printers/terminal.go: ESC as "^[", CR as "\r") and the other C0 controls as \xNN.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { escapeTerminal } from "./terminal.js";
import { kubectlTable } from "../views/tabwriter.js";

test("escapeTerminal: ESC and CR as kubectl writes them, other controls as \\xNN, newline and tab kept", () => {
  assert.equal(escapeTerminal("a\x1b]0;T\x07\x1b[2Jb"), "a^[]0;T\\x07^[[2Jb");
  assert.equal(escapeTerminal("x\ry"), "x\\ry");
  assert.equal(escapeTerminal("\x00\x01"), "\\x00\\x01");
  // DEL and C1 stay: JSON.stringify leaves them raw, and \x7f in a JSON string is invalid.
  assert.equal(escapeTerminal("\x7f\x9b"), "\x7f\x9b");
  assert.equal(escapeTerminal("line\n\tcell ünïcode"), "line\n\tcell ünïcode");
});

test("a table cell with a newline or tab stays in its cell", () => {
  assert.equal(
    kubectlTable([
      ["NAME", "LABELS"],
      ["p", "app=x\nkube-system\tfake"],
    ]),
    "NAME   LABELS\np      app=x\\nkube-system\\tfake\n",
  );
});

test("the CLI: a label with escape sequences reaches stdout and stderr escaped", () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-term-"));
  try {
    const f = join(dir, "p.yaml");
    writeFileSync(
      f,
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {app: "x\\e]0;TITLE\\a\\e[2J"}}\nspec: {containers: [{name: c, image: i}]}\n',
    );
    const bin = fileURLToPath(new URL("../../../bin/podnet.js", import.meta.url));
    const r = spawnSync(process.execPath, [bin, "get", "pods", "--show-labels", "-f", f], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /app=x\^\[\]0;TITLE\\x07\^\[\[2J/);
    assert.ok(!(r.stdout + r.stderr).includes("\x1b"));
    // -o json stays JSON, every character of the label kept (DEL and C1 included).
    writeFileSync(
      f,
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {app: "x\\e[2J\\x7fy\\x85"}}\nspec: {containers: [{name: c, image: i}]}\n',
    );
    const j = spawnSync(process.execPath, [bin, "get", "pod", "p", "-o", "json", "-f", f], { encoding: "utf8" });
    assert.equal(j.status, 0, j.stderr);
    assert.equal(JSON.parse(j.stdout).metadata.labels.app, "x\x1b[2J\x7fy\x85");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
