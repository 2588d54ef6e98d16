// Plain scalars as Kubernetes reads them (sigs.k8s.io/yaml over go-yaml v2, resolve.go).
// Expected values: the YAML 1.2.2 spec's core-schema tag resolution
// (https://yaml.org/spec/1.2.2/#1032-tag-resolution, Example 10.9), which go-yaml v2 agrees
// with, then the cases where go-yaml v2 (and so kubectl and the API server) reads YAML 1.1
// style instead (resolveMap's booleans, Go's strconv.ParseInt base 0), and the strings both read.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { BAIL, fastYaml } from "./fast-yaml.js";
import { checkSpec } from "./parse.js";
import { KUBE_YAML, plainScalar } from "./yaml-scalars.js";

const CORE_1_2: [string, unknown][] = [
  // Example 10.9 "Core Tag Resolution".
  ["null", null],
  ["Null", null],
  ["NULL", null],
  ["~", null],
  ["true", true],
  ["True", true],
  ["false", false],
  ["FALSE", false],
  ["0", 0],
  ["0o7", 7],
  ["0x3A", 58],
  ["-19", -19],
  ["0.", 0],
  ["-0.0", -0],
  [".5", 0.5],
  ["+12e03", 12000],
  ["-2E+05", -200000],
  [".inf", Number.POSITIVE_INFINITY],
  ["-.Inf", Number.NEGATIVE_INFINITY],
  ["+.INF", Number.POSITIVE_INFINITY],
  [".NAN", Number.NaN],
  // 10.3.2's regular expressions: the rest of the core schema's forms.
  ["1e3", 1000],
  ["0x1F", 31],
  ["0o17", 15],
  ["+12", 12],
  [".nan", Number.NaN],
  // Strings in the core schema: no rule matches.
  ["e6", "e6"],
  ["E6", "E6"],
  [".", "."],
  ["._", "._"],
  ["1e", "1e"],
  ["0x", "0x"],
  ["0o", "0o"],
  ["1.2.3", "1.2.3"],
  ["1:30", "1:30"],
  ["190:20:30", "190:20:30"],
  ["2001-12-14", "2001-12-14"],
  ["2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"],
  ["10.0.0.1", "10.0.0.1"],
  ["100m", "100m"],
  [".inF", ".inF"],
];

// Where go-yaml v2 is not YAML 1.2 core: its resolveMap's YAML 1.1 booleans, and numbers as
// Go's strconv reads them after dropping underscores (a leading 0 is octal; 0b, 0O, 0X).
const GO_YAML_V2: [string, unknown][] = [
  ["yes", true],
  ["Yes", true],
  ["YES", true],
  ["y", true],
  ["on", true],
  ["no", false],
  ["N", false],
  ["off", false],
  ["OFF", false],
  ["017", 15],
  ["08", 8],
  ["1_000", 1000],
  ["0b101", 5],
  ["0B101", 5],
  ["0X1F", 31],
  ["-0x1F", -31],
  ["+.5", 0.5],
  ["9223372036854775807", Number(2n ** 63n - 1n)], // ParseInt's int64 (a JS number: rounded)
  ["18446744073709551615", Number(2n ** 64n - 1n)], // ParseUint's uint64
  ["1e400", "1e400"], // ParseFloat: out of range, so a string
  ["0x1FFFFFFFFFFFFFFFFF", "0x1FFFFFFFFFFFFFFFFF"], // beyond uint64: a string
  [`1${"0".repeat(100)}`, 1e100], // no int64: a float
  [`0x${"f".repeat(100)}`, `0x${"f".repeat(100)}`],
  ["nO", "nO"],
  ["tRUE", "tRUE"],
];

test("plain scalars: the YAML 1.2 core schema's table, and go-yaml v2's YAML 1.1 booleans and Go numbers", () => {
  for (const [s, want] of [...CORE_1_2, ...GO_YAML_V2]) {
    assert.deepEqual(plainScalar(s), want, `plainScalar(${s})`);
    // The general path (the YAML library with go-yaml v2's tags) and the fast reader agree.
    assert.deepEqual(parse(`v: ${s}\n`, KUBE_YAML), { v: want }, `yaml library: ${s}`);
    const fast = fastYaml(`v: ${s}\n`);
    assert.notEqual(fast, BAIL, s);
    assert.deepEqual(fast, { v: want }, `fast reader: ${s}`);
  }
  // Two million digits: read at once (a float beyond range, so a string), not by BigInt.
  const big = "1".repeat(2_000_000);
  assert.equal(plainScalar(big), big);
  // Quoted, every one is a string.
  assert.deepEqual(parse(`v: "e6"\nw: 'yes'\n`, KUBE_YAML), { v: "e6", w: "yes" });
});

test("a manifest naming things e6 or 2001-12-14 reads them as the strings they are", () => {
  const text =
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: e6\n  annotations:\n    since: 2001-12-14\nspec:\n  selector: {app: e6}\n  ports:\n  - name: e6\n    port: 80\n";
  const { spec, diagnostics } = checkSpec([{ file: "s.yaml", text }]);
  assert.deepEqual(diagnostics, []);
  const svc = spec.objects[0] as unknown as {
    metadata: { name: string; annotations: Record<string, string> };
    spec: { ports: { name: string }[] };
  };
  assert.equal(svc.metadata.name, "e6");
  assert.equal(svc.metadata.annotations.since, "2001-12-14");
  assert.equal(svc.spec.ports[0].name, "e6");
});
