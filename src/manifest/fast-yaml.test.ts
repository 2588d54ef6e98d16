// The fast reader against the YAML library on generated documents: whatever fast-yaml.ts
// reads (it may hand a text over with BAIL) must be what the library reads, key for key.
// Documents are drawn from a seeded generator in the shapes kubectl writes and in the ones
// the reader must refuse (flow collections, folded and multi-line scalars, tags, anchors,
// tabs, duplicate keys), with scalars that YAML 1.1 reads as other types.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { mulberry32 as rng } from "../testing/random.js";
import { BAIL, DROP, LATER, fastLines, fastRead, fastYaml, skipRules } from "./fast-yaml.js";
import { libraryLineMap } from "./documents.js";
import { KUBE_YAML } from "./yaml-scalars.js";

const PLAIN = [
  "web",
  "TCP",
  "True",
  "true",
  "yes",
  "No",
  "on",
  "~",
  "null",
  "0",
  "-1",
  "007",
  "0x1f",
  "0o17",
  "1e3",
  "1.5",
  ".inf",
  "-.Inf",
  ".nan",
  "1_000",
  "100m",
  "10.0.0.1",
  "2001:db8::1",
  "1:20",
  "2025-06-02T08:14:07Z",
  "2001-12-14",
  "a b",
  "http://x:8080/y",
  "f:metadata",
  "k8s.io/name",
  "-x",
  "+5",
  ".",
  "a#b",
  "x- y",
  "é",
  "ünïcode",
  // Beyond latin1 (the reader's tables keep only latin1 text)
  "日本語",
  "€5",
  "😀x",
  "9223372036854775807",
  "12345678901234567890",
];
// With escapes JSON.parse refuses (a short \u, a raw tab beside an escape): the library's to report.
const QUOTED = [
  '"True"',
  '"a\\tb"',
  '"\\u00e9"',
  "'it''s'",
  '"日本"',
  "'€'",
  "'#x'",
  '""',
  "''",
  '"a: b"',
  '"\\x41"',
  '"q # c"',
  '"\\u12"',
  '"\\n\tx"',
];
const KEYS = [
  "name  ",
  "app",
  "f:spec",
  "0",
  "yes",
  "'quoted key'",
  '"k:{\\"x\\":1}"',
  "a.b/c",
  "key with space",
  "-k",
  "ключ",
];
// Now and then a key starting with an indicator a plain scalar may not start with: the library's to refuse.
const BAD_KEYS = [",k", "}k", "]k", "[k", "{k", "&k"];
const ODD = [
  "web  ",
  "x  # c",
  "a:b",
  "a :b",
  "- x",
  "-",
  "'a' # c",
  '"a"  ',
  "|",
  "|2-\n   two",
  "%x",
  "@x",
  "`x",
  // A comment must follow white space; flow indicators cannot start a plain scalar.
  '"v"#c',
  "'v'#c",
  "[]#x",
  "{}#x",
  "|#c",
  "]",
  "}",
  "] x",
];
const BAD = ["[1, 2]", "{a: 1}", "&a 1", "*a", "!!str 1", ">\n  folded", "\ttab", "? a", "x\n  continued"];

function scalar(r: () => number): string {
  const x = r();
  if (x < 0.55) return PLAIN[Math.floor(r() * PLAIN.length)];
  if (x < 0.8) return QUOTED[Math.floor(r() * QUOTED.length)];
  if (x < 0.85) return "{}";
  if (x < 0.9) return "[]";
  if (x < 0.92) return `${PLAIN[Math.floor(r() * PLAIN.length)]} # comment`;
  if (x < 0.96) return ODD[Math.floor(r() * ODD.length)];
  return BAD[Math.floor(r() * BAD.length)];
}

/** A block node at indentation `ind` (a mapping's lines, or a sequence's `- ` lines). */
function block(r: () => number, ind: number, depth: number): string {
  const pad = " ".repeat(ind);
  let out = "";
  const n = 1 + Math.floor(r() * 4);
  if (depth < 4 && r() < 0.3) {
    for (let i = 0; i < n; i++) {
      if (r() < 0.5) out += `${pad}- ${scalar(r)}\n`;
      else {
        // a mapping as a sequence entry: its first key on the `- ` line
        const inner = block(r, ind + 2, depth + 1);
        out += `${pad}- ${inner.slice(ind + 2)}`;
      }
    }
    return out;
  }
  for (let i = 0; i < n; i++) {
    const bad = r() < 0.02;
    const keys = bad ? BAD_KEYS : KEYS;
    const key = r() < 0.03 && i > 0 ? "dup" : keys[Math.floor(r() * keys.length)] + (r() < 0.5 ? String(i) : "");
    const x = r();
    if (depth < 4 && x < 0.3) out += `${pad}${key}:\n${block(r, ind + 2, depth + 1)}`;
    else if (depth < 4 && x < 0.4) out += `${pad}${key}:\n${block(r, ind, depth + 1).replace(/^(\s*)(?!- )/gm, "$1")}`;
    else if (x < 0.45) out += `${pad}${key}: |${r() < 0.5 ? "-" : ""}\n${pad}  line one\n\n${pad}  line two\n`;
    else if (x < 0.5) out += `${pad}${key}:\n`;
    else if (x < 0.52) out += `${pad}# a comment\n${pad}${key}: x\n`;
    else if (x < 0.54) out += `${pad}${key}: x\n\n${pad}  # a deeper comment\n`;
    else if (x < 0.56) out += `${pad}${key}: |+\n${pad}  kept\n\n\n`;
    else out += `${pad}${key}: ${scalar(r)}\n`;
    if (key === "dup") out += `${pad}dup: again\n`;
  }
  return out;
}

test("the fast reader reads generated documents as the YAML library does, or hands them over", () => {
  let read = 0;
  let handed = 0;
  for (let seed = 1; seed <= 3000; seed++) {
    const text = block(rng(seed), 0, 0);
    const fast = fastYaml(text);
    let want: unknown;
    let failed = false;
    try {
      want = parse(text, { ...KUBE_YAML, uniqueKeys: true });
    } catch {
      failed = true;
    }
    if (fast === BAIL) {
      handed++;
      continue;
    }
    assert.ok(!failed, `seed ${seed}: the library refuses what the fast reader read:\n${text}`);
    assert.deepEqual(fast, want, `seed ${seed}:\n${text}`);
    read++;
  }
  // Both paths are taken often enough for the comparison to say something.
  assert.ok(read > 700, `read ${read}`);
  assert.ok(handed > 300, `handed over ${handed}`);
});

test("the fast reader's lines of every key and list entry are the YAML library's", () => {
  let compared = 0;
  for (let seed = 1; seed <= 3000; seed++) {
    const text = block(rng(seed), 0, 0);
    const fast = fastLines(text, 7);
    if (fast === undefined) continue;
    const lib = libraryLineMap(text, 7);
    assert.deepEqual([...fast].sort(), [...lib].sort(), `seed ${seed}:\n${text}`);
    // Asked for one path: that path's line, and only nodes on the way to it.
    for (const path of [...lib.keys()].filter((_, i) => i % 7 === seed % 7)) {
      const one = fastLines(text, 7, undefined, path);
      assert.equal(one?.get(path), lib.get(path), `seed ${seed}, ${path}`);
      for (const [k, l] of one ?? []) {
        assert.ok(path.startsWith(k), `seed ${seed}: ${k} is not on the way to ${path}`);
        assert.equal(l, lib.get(k));
      }
    }
    compared++;
  }
  assert.ok(compared > 700, `compared ${compared}`);
  // A List item as a split dump hands it over (its paths under [0]), a literal block and
  // blank lines before the keys that follow.
  const item =
    "- apiVersion: v1\n  kind: Pod\n  metadata:\n    annotations:\n      note: |\n        a\n\n        b\n\n    labels:\n      app: web\n  spec:\n    containers:\n    - name: c\n      ports:\n      - containerPort: 80\n";
  const lines = fastLines(item, 100);
  assert.equal(lines?.get("[0].metadata.labels.app"), 110);
  assert.equal(lines?.get("[0].spec.containers[0].ports[0].containerPort"), 115);
  assert.deepEqual([...(lines ?? [])].sort(), [...libraryLineMap(item, 100)].sort());
});

type Rules = { [key: string]: Rules | typeof DROP | typeof LATER };

/** Rules drawn from a value's own keys: some passed over (DROP or LATER), some looked into. */
function rulesFrom(v: unknown, r: () => number, depth = 0): Rules | undefined {
  const maps = Array.isArray(v) ? v.filter((x) => x && typeof x === "object" && !Array.isArray(x)) : [v];
  const out: Rules = {};
  for (const m of maps) {
    if (!m || typeof m !== "object" || Array.isArray(m)) continue;
    for (const [k, x] of Object.entries(m)) {
      const d = r();
      if (d < 0.25) out[k] = r() < 0.5 ? DROP : LATER;
      else if (d < 0.5 && depth < 3 && x && typeof x === "object") {
        const sub = rulesFrom(x, r, depth + 1);
        if (sub) out[k] = sub;
      }
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The value without what the rules pass over; whether a LATER value was there. */
function without(v: unknown, rules: Rules): { value: unknown; later: boolean } {
  if (Array.isArray(v)) {
    let later = false;
    const value = v.map((x) => {
      const w = without(x, rules);
      later ||= w.later;
      return w.value;
    });
    return { value, later };
  }
  if (!v || typeof v !== "object") return { value: v, later: false };
  const out: Record<string, unknown> = {};
  let later = false;
  for (const [k, x] of Object.entries(v)) {
    const rule = Object.hasOwn(rules, k) ? rules[k] : undefined;
    if (rule === LATER) later = true;
    if (typeof rule === "number") continue;
    const w = rule ? without(x, rule) : { value: x, later: false };
    later ||= w.later;
    out[k] = w.value;
  }
  return { value: out, later };
}

test("keys passed over: the rest reads as the library reads it, and `later` says whether a LATER one was there", () => {
  let checked = 0;
  for (let seed = 1; seed <= 8000; seed++) {
    const r = rng(seed);
    const text = block(r, 0, 0);
    if (fastYaml(text) === BAIL) continue;
    const want = parse(text, { ...KUBE_YAML, uniqueKeys: true }) as unknown;
    const rules = rulesFrom(want, r);
    if (!rules) continue;
    const got = fastRead(text, skipRules(rules));
    assert.notEqual(got, BAIL, `seed ${seed}:\n${text}`);
    assert.deepEqual(
      got === BAIL ? undefined : got,
      { ...without(want, rules), deferred: false },
      `seed ${seed}:\n${text}`,
    );
    checked++;
  }
  assert.ok(checked > 500, `checked ${checked}`);
});

test("a value passed over: a mapping, a sequence at its key's indentation, a literal block, a scalar", () => {
  const text = [
    "a:",
    "  deep:",
    "  - x: 1",
    "seq:",
    "- one",
    "- two: 2",
    "  more: 3",
    "block: |",
    "  first",
    "",
    "  second",
    "plain: x",
    "kept:",
    "  inner: in",
    "  skip: z",
    "last: end",
    "",
  ].join("\n");
  const rules = skipRules({ a: DROP, seq: LATER, block: DROP, plain: DROP, kept: { skip: DROP } });
  assert.deepEqual(fastRead(text, rules), {
    value: { kept: { inner: "in" }, last: "end" },
    later: true,
    deferred: false,
  });
  // A key that only Object.prototype has is not a rule (`constructor`, `toString`).
  assert.deepEqual(fastRead("constructor: 1\ntoString: 2\n", skipRules({ a: DROP })), {
    value: { constructor: 1, toString: 2 },
    later: false,
    deferred: false,
  });
  // A value on the key's line is still read: an open quote is the general parser's to report.
  assert.equal(fastRead('a: "open\n  b: x"\nc: 1\n', skipRules({ a: DROP })), BAIL);
  assert.equal(fastRead("a: [1,\n  2]\nc: 1\n", skipRules({ a: DROP })), BAIL);
  // A key passed over still counts for the duplicate check.
  assert.equal(fastRead("a: 1\na: 2\n", skipRules({ a: DROP })), BAIL);
  // Rules under a key hold for each entry of its sequence.
  assert.deepEqual(fastRead("l:\n- a: 1\n  b: 2\n- b: 3\n", skipRules({ l: { b: LATER } })), {
    value: { l: [{ a: 1 }, {}] },
    later: true,
    deferred: false,
  });
});

test("a latin1 text is never taken for one beyond latin1 with the same low bytes", () => {
  // U+0161 "š" has the low byte of "a": were the reader's tables to keep "šaš…" as bytes,
  // "aaa…" landing in its slot would read as it. Each latin1 text comes after its 2^14 - 1
  // look-alikes, so that one of them likely holds its slot; ten such texts.
  const want: string[] = [];
  for (let l = 0; l < 10; l++) {
    const lo = String.fromCharCode(0x61 + l);
    const hi = String.fromCharCode(0x161 + l);
    for (let x = (1 << 14) - 1; x >= 0; x--) {
      let s = "";
      for (let k = 0; k < 14; k++) s += (x >> k) & 1 ? hi : lo;
      want.push(s);
    }
  }
  assert.deepEqual(fastYaml(want.map((s) => `- ${s}\n`).join("")), want);
});

test("a key named __proto__ is a key, never the object's prototype", () => {
  for (const k of ['"__proto__"', "'__proto__'", "__proto__"]) {
    const text = `${k}:\n  a: 1\nb: 2\n`;
    const fast = fastYaml(text);
    // Handed over (the YAML library makes it an own key); read here, it would have to be one too.
    if (fast === BAIL) continue;
    assert.equal(Object.getPrototypeOf(fast), Object.prototype, k);
    assert.deepEqual(Object.keys(fast as object), ["__proto__", "b"], k);
  }
});

test("a mapping is a plain object whatever its size, keys in their order", () => {
  for (const n of [0, 1, 3, 5, 9, 10, 11, 31, 32, 33, 40, 80]) {
    const keys = Array.from({ length: n }, (_, i) => `k${String(i).padStart(2, "0")}`);
    const text = `m:\n${keys.map((k, i) => `  ${k}: ${i}\n`).join("")}`;
    const want = parse(text, KUBE_YAML);
    const got = fastYaml(text) as { m: Record<string, unknown> | null };
    assert.deepEqual(got, want, `${n} keys`);
    if (n === 0) continue;
    assert.equal(Object.getPrototypeOf(got.m), Object.prototype);
    assert.equal(got.m?.constructor, Object);
    assert.deepEqual(Object.keys(got.m ?? {}), keys);
    // Keys added afterwards are kept as on any object.
    const m = got.m as Record<string, unknown>;
    m.extra = 1;
    delete m.k00;
    assert.deepEqual(Object.keys(m), [...keys.slice(1), "extra"]);
  }
});

test("lines of a text the reader gives up on at its first line: none, not a throw", () => {
  assert.equal(fastLines("\t# a tab\nkind: Pod\n", 1), undefined);
  assert.equal(fastLines("\tkind: Pod\n", 1, undefined, "kind"), undefined);
});
