// The fields a large dump's served Pods and Nodes are read without (documents.ts SERVED_POD,
// SERVED_NODE) must be ones no model code reads: a small dump is read whole, so such code
// would see them there and not here. Views read them after inFull (src/views/slim.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../load/input.js";
import { SERVED_NODE, SERVED_POD } from "./documents.js";
import { LATER, type Skips } from "./fast-yaml.js";

function later(rules: Skips, out: Set<string>): Set<string> {
  for (const [k, v] of Object.entries(rules)) {
    if (v === LATER) out.add(k);
    else if (typeof v === "object") later(v, out);
  }
  return out;
}

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

/** Model code that reads a field of a name in the lists: not of a served pod, or after inFull. */
const NOT_A_SERVED_POD: Record<string, string> = {
  "control/controllers.ts": "a DaemonSet's pod template",
  "control/schedule.ts": "pods the scheduler places: made from templates and manifests, never observed",
  "control/schedule-score.ts": "pods the scheduler places",
  "control/schedule-spread.ts": "pods the scheduler places",
  "control/system.ts": "podnet's own DaemonSets",
  "manifest/validate/cilium-policy.ts": "a CiliumNetworkPolicy's nodeSelector",
  "manifest/validate/pod.ts": "a pod read in part is one the API server validated: its fields left out are not checked",
  "questions/diagnose-service.ts": "a pending pod's nodeSelector: control/new-pods.ts read it whole (inFull)",
};

test("no code outside the views reads a field that served pods and nodes are read without", () => {
  const fields = later(SERVED_NODE, later(SERVED_POD, new Set()));
  assert.ok(fields.has("volumes") && fields.has("images"));
  const read = new RegExp(`(\\.|\\[["'\`])(${[...fields].join("|")})\\b`);
  const src = join(packageRoot(), "src");
  const found: string[] = [];
  for (const f of sources(src)) {
    const rel = f.slice(src.length + 1);
    if (rel.startsWith("views/") || rel.startsWith("ui-server/") || rel in NOT_A_SERVED_POD) continue;
    readFileSync(f, "utf8")
      .split("\n")
      .forEach((line, i) => {
        const comment = /^\s*(\/\/|\*|\/\*)/.test(line);
        if (!comment && read.test(line) && !line.includes("inFull(")) found.push(`${rel}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(found, []);
});
