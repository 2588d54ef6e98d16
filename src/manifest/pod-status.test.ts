// The Ready digest of a conditions list's text (pod-status.ts readyDigest) against the list as
// the YAML library reads it: a digest that says something must say what reading says.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { mulberry32 as rng } from "../testing/random.js";
import { readyDigest } from "./pod-status.js";
import { KUBE_YAML_READ } from "./yaml-scalars.js";

const STATUS = [undefined, "True", "False", "Unknown"];

/** What reading gives: any Ready entry "True", and the first Ready entry's status. */
function fromList(list: unknown): { ready: boolean; first: unknown } {
  const conds = Array.isArray(list) ? (list as { type?: unknown; status?: unknown }[]) : [];
  return {
    ready: conds.some((c) => c?.type === "Ready" && String(c.status) === "True"),
    first: conds.find((c) => c?.type === "Ready")?.status,
  };
}

/** What a digest says, or undefined when it says nothing. */
function fromDigest(d: number): { ready: boolean; first: unknown } | undefined {
  if (d === 0) return undefined;
  if (d === 4) return { ready: false, first: undefined };
  return { ready: d === 1, first: STATUS[d] };
}

/** The digest of `block` (the list's lines) as the reader hands it over below `conditions:`. */
function digest(block: string): number {
  const text = `conditions:\n${block}`;
  const b = Buffer.from(text, "latin1");
  return readyDigest(text, b, "conditions:\n".length, b.length);
}

const read = (block: string) => (parse(`conditions:\n${block}`, KUBE_YAML_READ) as { conditions: unknown }).conditions;

test("kubectl's conditions: the digest is the Ready condition's status", () => {
  const entry = (status: string, type: string, extra = "") =>
    `- lastProbeTime: null\n  lastTransitionTime: "2025-06-02T08:14:07Z"\n${extra}  status: "${status}"\n  type: ${type}\n`;
  const kubelet = (ready: string) =>
    entry("True", "PodReadyToStartContainers") +
    entry("True", "Initialized") +
    entry(
      ready,
      "Ready",
      ready === "True" ? "" : "  message: 'containers with unready status: [web]'\n  reason: ContainersNotReady\n",
    ) +
    entry(ready, "ContainersReady") +
    entry("True", "PodScheduled");
  assert.equal(digest(kubelet("True")), 1);
  assert.equal(digest(kubelet("False")), 2);
  assert.equal(digest(kubelet("Unknown")), 3);
  // A pending pod the scheduler could not place has no Ready condition.
  assert.equal(
    digest(
      `- lastProbeTime: null\n  lastTransitionTime: "2025-06-02T08:14:07Z"\n  message: '0/3 nodes are available: 3 node(s) had untolerated taint.'\n  reason: Unschedulable\n  status: "False"\n  type: PodScheduled\n`,
    ),
    4,
  );
  // Indented under its key (as other writers do) reads the same.
  assert.equal(digest(kubelet("True").replace(/^/gm, "  ")), 1);
});

test("forms it cannot be sure of say nothing, so that the list is read", () => {
  const cases = [
    "- status: True\n  type: Ready\n", // a boolean: not the string "True"
    "- status: 'True'\n  type: Ready\n",
    '- status: "True" # ok\n  type: Ready\n',
    '- status: "True"\n  type: "Ready"\n',
    '- status: "True"\n  type: Ready\n- status: "False"\n  type: Ready\n', // two Ready entries
    '- status: "True"\n  "type": Ready\n',
    '- status: "True"\n  type: !!str Ready\n',
    '- status: "True"\n  type: *r\n',
    '- status: "True"\n  # a comment\n  type: Ready\n',
    "- type: Ready\n", // no status
    '- status: "True"\n  status: "False"\n  type: Ready\n',
  ];
  // A value over two lines is deeper than the keys: the digest still reads them.
  assert.equal(digest('- message: "a\n    type: Ready"\n  status: "True"\n  type: Other\n'), 4);
  for (const c of cases) assert.equal(digest(c), 0, c);
});

test("generated lists: a digest that says something says what reading the list says", () => {
  const types = ["Ready", "Ready", "PodScheduled", "Initialized", '"Ready"', "'Ready'", "Ready # c", "x-y.z/w"];
  const statuses = ['"True"', '"False"', '"Unknown"', "True", "'True'", '"True" # c', "", '"Tr\\"ue"'];
  const messages = [
    "plain words",
    "'single: quoted'",
    '"double \\"quoted\\""',
    '|\n    type: Ready\n    status: "True"',
    "longer\n    continued",
    '"over\n    two: lines"',
    "{}",
    "[a, b]",
  ];
  let said = 0;
  let checked = 0;
  for (let seed = 1; seed <= 4000; seed++) {
    const r = rng(seed);
    const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
    const n = 1 + Math.floor(r() * 4);
    let block = "";
    for (let i = 0; i < n; i++) {
      const keys: [string, string][] = [];
      if (r() < 0.8) keys.push(["status", pick(statuses)]);
      if (r() < 0.9) keys.push(["type", pick(types)]);
      if (r() < 0.4) keys.push(["message", pick(messages)]);
      if (r() < 0.5) keys.push(["lastProbeTime", "null"]);
      keys.sort(() => r() - 0.5);
      if (keys.length === 0) keys.push(["reason", "X"]);
      keys.forEach(([k, v], j) => {
        block += `${j === 0 ? "- " : "  "}${k}:${v === "" ? "" : ` ${v}`}\n`;
      });
      if (r() < 0.05) block += "  # between keys\n";
    }
    let list: unknown;
    try {
      list = read(block);
    } catch {
      continue; // not YAML: the reader reports it
    }
    checked++;
    const got = fromDigest(digest(block));
    if (got === undefined) continue;
    said++;
    assert.deepEqual(got, fromList(list), `seed ${seed}:\n${block}`);
  }
  assert.ok(checked > 3000 && said > 300, `checked ${checked}, said ${said}`);
});
