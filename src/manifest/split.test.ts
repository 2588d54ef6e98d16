// The split reader for large files: kubectl's List layout read item by item (YAML and JSON),
// with the same values, document indexes and line numbers as reading the file whole.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { Diags } from "./diag.js";
import { BAIL, fastYaml } from "./fast-yaml.js";
import { checkSpec, readDocuments, type RawDocument } from "./parse.js";
import { isDeferred } from "./deferred.js";
import { inFull } from "./documents.js";
import { type ByteSource, bytesSource, cutJsonManagedFields, jsonLineMap, scanJson, scanYaml } from "./split.js";
import { KUBE_YAML } from "./yaml-scalars.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../load/input.js";
import { mulberry32 as rng } from "../testing/random.js";

interface Piece {
  start: number;
  end: number;
}

/** The documents and items scanYaml finds (undefined: the file is read whole). */
function splitYaml(b: Buffer): (Piece & { list?: { header: string; items: Piece[] } })[] | undefined {
  const docs: (Piece & { list?: { header: string; items: Piece[] } })[] = [];
  let items: Piece[] = [];
  const ok = scanYaml(bytesSource(b), {
    doc: (_t, start, end) => docs.push({ start, end }),
    item: (_t, start, end) => items.push({ start, end }),
    list: (header, start, end) => {
      docs.push({ start, end, list: { header, items } });
      items = [];
    },
  });
  return ok ? docs : undefined;
}

function splitJson(b: Buffer): { header: string; items: Piece[] } | undefined {
  const items: Piece[] = [];
  const header = scanJson(bytesSource(b), (_t, start, end) => items.push({ start, end }) > 0);
  return header === undefined ? undefined : { header, items };
}

/** A source that gives at most `n` bytes a read: every line crosses the reader's window. */
function trickle(text: string, n: number): ByteSource {
  const all = bytesSource(Buffer.from(text));
  return { size: all.size, read: (into, pos, len) => all.read(into, pos, Math.min(n, len)) };
}

// Two items as `kubectl get -o yaml` prints them: sequences not indented under their key,
// managedFields, the last-applied annotation, a literal block whose lines begin with `- `.
const listYaml = `apiVersion: v1
items:
- apiVersion: v1
  kind: Service
  metadata:
    annotations:
      kubectl.kubernetes.io/last-applied-configuration: |
        {"apiVersion":"v1","kind":"Service"}
      note: kept
    creationTimestamp: "2025-06-02T08:14:00Z"
    managedFields:
    - apiVersion: v1
      fieldsType: FieldsV1
      fieldsV1:
        f:spec:
          .: {}
          f:ports:
            k:{"port":80,"protocol":"TCP"}:
              .: {}
      manager: kubectl-client-side-apply
      operation: Update
    name: web
    namespace: default
    resourceVersion: "1003"
  spec:
    clusterIP: 10.96.0.10
    ports:
    - name: http
      port: 80
      protocol: TCP
      targetPort: 8080
    selector:
      app: web
# a comment at column 0 between items
- apiVersion: v1
  data:
    script: |
      - not an item
      - nor this
      items:
    empty: ""
  kind: ConfigMap
  metadata:
    labels:
      on: "yes"
      flag: "no"
    name: cfg
    namespace: default
kind: List
metadata:
  resourceVersion: ""
`;

function whole(text: string): { docs: RawDocument[]; diags: Diags } {
  const diags = new Diags();
  return { docs: readDocuments({ file: "f", text }, diags), diags };
}
function split(text: string): { docs: RawDocument[]; diags: Diags } {
  const diags = new Diags();
  return { docs: readDocuments({ file: "f", text: Buffer.from(text) }, diags, { splitAbove: 0 }), diags };
}

/** Same values, indexes, lines (and lines of the given fields) on both paths. */
function same(text: string, fields: string[] = []): RawDocument[] {
  const a = whole(text);
  const b = split(text);
  assert.deepEqual(
    b.diags.list.map((d) => d.message),
    a.diags.list.map((d) => d.message),
  );
  assert.equal(b.docs.length, a.docs.length);
  for (let i = 0; i < a.docs.length; i++) {
    assert.deepEqual(b.docs[i].value, a.docs[i].value);
    assert.equal(b.docs[i].source.docIndex, a.docs[i].source.docIndex);
    assert.equal(b.docs[i].source.line, a.docs[i].source.line, `line of document ${i}`);
    for (const f of fields) assert.equal(b.docs[i].source.lineOf?.(f), a.docs[i].source.lineOf?.(f), `${i} ${f}`);
  }
  return b.docs;
}

test("a List in kubectl's layout reads item by item as it reads whole", () => {
  const docs = same(listYaml, [
    "metadata.name",
    "spec.ports[0].port",
    "spec.selector",
    "data.script",
    "metadata.labels",
  ]);
  assert.equal(docs.length, 2);
  assert.deepEqual(
    docs.map((d) => d.source.line),
    [3, 35],
  );
  assert.equal(docs[0].source.lineOf?.("spec.ports[0].targetPort"), 31);
  assert.equal((docs[1].value as any).data.script, "- not an item\n- nor this\nitems:\n");
  // YAML 1.1 as kubectl reads it: an unquoted `on` key is the boolean true
  assert.deepEqual((docs[1].value as any).metadata.labels, { true: "yes", flag: "no" });
});

test("managedFields and the last-applied annotation are dropped at read time", () => {
  for (const r of [whole(listYaml), split(listYaml)]) {
    const md = (r.docs[0].value as any).metadata;
    assert.equal(md.managedFields, undefined);
    assert.deepEqual(md.annotations, { note: "kept" });
  }
});

test("--- documents, empty documents, a typed List among them", () => {
  const text = `# Source: chart/templates/a.yaml
apiVersion: v1
kind: Namespace
metadata:
  name: a
---
---
apiVersion: v1
items:
- metadata:
    name: p1
  spec:
    containers:
    - name: c
      ports:
      - containerPort: 80
- metadata:
    name: p2
kind: PodList
metadata: {}
---
apiVersion: v1
kind: Service
metadata:
  name: s
spec:
  ports: [{port: 80}]
`;
  const docs = same(text, ["metadata.name", "spec.containers[0].ports[0].containerPort", "spec.ports[0].port"]);
  assert.deepEqual(
    docs.map((d) => [(d.value as any).kind, d.source.docIndex, d.source.line]),
    [
      ["Namespace", 0, 2],
      ["Pod", 2, 10],
      ["Pod", 3, 17],
      ["Service", 4, 22],
    ],
  );
});

test("the List's keys after its items, with sequences of their own, are not items", () => {
  const text = `${listYaml}extra:\n- x\n- y\n`;
  const docs = same(text, ["metadata.name"]);
  assert.equal(docs.length, 2);
  assert.equal(splitYaml(Buffer.from(text))?.[0].list?.header.endsWith("extra:\n- x\n- y\n"), true);
});

test("CRLF line ends read as LF ones, with the same lines", () => {
  const crlf = listYaml.replace(/\n/g, "\r\n");
  const a = split(listYaml).docs;
  const b = same(crlf, ["spec.ports[0].port"]);
  assert.deepEqual(
    b.map((d) => d.value),
    a.map((d) => d.value),
  );
  assert.deepEqual(
    b.map((d) => d.source.lineOf?.("spec.ports[0].port")),
    a.map((d) => d.source.lineOf?.("spec.ports[0].port")),
  );
});

test("items read in their window's text as cut out of it: at the file's end, beside non-ASCII text", () => {
  // The last item at the end of the file, with and without a line break; a literal block last.
  for (const end of ["", "\n"])
    same(`apiVersion: v1\nkind: List\nmetadata: {}\nitems:\n- a: 1\n- b: |\n    x\n    y${end}`);
  same(`apiVersion: v1\nkind: List\nitems:\n- a: 1\n- b: 2`);
  // A window holding a non-ASCII character is decoded as UTF-8 item by item.
  const accented = listYaml.replace("note: kept", "note: café ☕");
  assert.equal((same(accented)[0].value as any).metadata.annotations.note, "café ☕");
  // Windows refilled a few bytes at a time: every item still read from one string.
  for (const n of [7, 64]) {
    const diags = new Diags();
    const docs = readDocuments({ file: "f", text: trickle(listYaml, n) }, diags, { splitAbove: 0 });
    assert.deepEqual(
      docs.map((d) => d.value),
      whole(listYaml).docs.map((d) => d.value),
    );
  }
});

test("a dump with random edits reads the same item by item as whole: values, lines, errors", () => {
  // The first pods of a kind cluster's dump, edited in 1-4 places with YAML's indicators, line
  // breaks, tabs, CRs, non-ASCII text, deletions and repeated pieces: each text must read
  // without a throw, and both ways alike (this found keys starting with `,` or `}` read as keys).
  const dump = readFileSync(join(packageRoot(), "examples", "snapshots", "kind-flannel.yaml"), "utf8");
  // Its first items, then the List's own keys; without what the reader passes over (an error
  // there goes unreported by design: managedFields, and a served pod's view-only fields, so
  // the uids go too).
  const items = dump
    .slice(0, dump.lastIndexOf("\n- apiVersion:", 24000) + 1)
    .replace(/^ {4}managedFields:\n(?: {4}- .*\n| {5,}.*\n)*/gm, "")
    .replace(/^ {4}uid: .*\n/gm, "");
  const base = `${items}kind: List\nmetadata:\n  resourceVersion: ""\n`;
  const bits = ['"', "'", "\\", ":", " ", "\n", "-", "#", "{", "}", "[", "]", "|", ">", "&", "*", "!", "\t", "\r", "é"];
  const more = ["\\u12", "? ", "---\n", "...\n", "%", "@", "`", ","];
  const r = rng(20261205);
  let broken = 0;
  const N = 200;
  for (let n = 0; n < N; n++) {
    let t = base;
    for (let k = 1 + Math.floor(r() * 4); k > 0; k--) {
      let p = Math.floor(r() * t.length);
      // Half of them where a line's content starts: where keys and sequence entries begin.
      if (r() < 0.5) {
        p = t.lastIndexOf("\n", p) + 1;
        while (t[p] === " ") p++;
      }
      const x = r();
      if (x < 0.4) {
        const from = r() < 0.7 ? bits : more;
        t = t.slice(0, p) + from[Math.floor(r() * from.length)] + t.slice(p);
      } else if (x < 0.7) t = t.slice(0, p) + t.slice(p + 1 + Math.floor(r() * 5));
      else {
        const q = Math.floor(r() * t.length);
        t = t.slice(0, p) + t.slice(q, q + 20) + t.slice(p);
      }
    }
    const a = whole(t);
    const b = split(t);
    const show = (x: typeof a) =>
      JSON.stringify([
        x.docs.map((d) => [d.value, d.source.docIndex, d.source.line]),
        x.diags.list.map((d) => d.message),
      ]);
    // A broken item spoils the whole List read whole, only itself read item by item.
    if (a.diags.list.some((d) => d.severity === "error")) {
      assert.ok(
        b.diags.list.some((d) => d.severity === "error"),
        `edit ${n}: read whole it has errors, item by item none`,
      );
      broken++;
    } else assert.equal(show(b), show(a), `edit ${n}`);
  }
  // Both kinds of text are drawn often enough for the comparison to say something.
  assert.ok(broken >= 20 && N - broken >= 20, `broken ${broken} of ${N}`);
});

test("a syntax error in one item is reported at its line in the file; the others read", () => {
  const bad = listYaml.replace("      port: 80\n", "      port: 80\n      port: 81\n");
  const b = split(bad);
  const a = whole(bad);
  assert.equal(b.diags.list.length, 1);
  assert.match(b.diags.list[0].message, /^f:30:7 /);
  assert.equal(b.diags.list[0].line, a.diags.list[0].line);
  assert.equal(b.docs.length, 1); // the ConfigMap; the broken Service is reported
  assert.equal(b.docs[0].source.docIndex, 1);
});

test("a layout that is not kubectl's is read whole", () => {
  const indented = listYaml.replace(/^(?=[- ])/gm, "  ").replace(/^ {2}# a comment/m, "  # a comment");
  same(indented, ["spec.ports[0].port"]);
  assert.equal(splitYaml(Buffer.from("%YAML 1.1\n---\na: 1\n")), undefined);
  assert.equal(splitYaml(Buffer.from("a: 1\n--- {b: 2}\n")), undefined);
  same("a: &x 1\nb: *x\n---\nc: {d: [1, 2]}\n");
});

test("JSON in kubectl's layout: items split, lines from a scan of the item", () => {
  const list = JSON.parse(JSON.stringify(parse(listYaml)));
  const text = `${JSON.stringify(list, null, 4)}\n`;
  const parts = splitJson(Buffer.from(text));
  assert.equal(parts?.items.length, 2);
  const b = split(text);
  const a = whole(text);
  assert.deepEqual(
    b.docs.map((d) => d.value),
    a.docs.map((d) => d.value),
  );
  // "port": 80 is on line 35 of the JSON text
  const port = text.split("\n").findIndex((l) => l.includes('"port": 80')) + 1;
  for (const docs of [a.docs, b.docs]) {
    assert.equal(docs[0].source.line, 4);
    assert.equal(docs[0].source.lineOf?.("spec.ports[0].port"), port);
    assert.equal(
      docs[1].source.lineOf?.("metadata.name"),
      text.split("\n").indexOf('                "name": "cfg",') + 1,
    );
  }
});

test("an ignored kind in a JSON dump does not parse the text as YAML for its line", () => {
  const text = JSON.stringify(
    // (ConfigMaps are read now, for a live cluster's settings: a Role stands for a kind podnet ignores.)
    {
      apiVersion: "v1",
      kind: "List",
      items: [{ apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "x" } }],
    },
    null,
    4,
  );
  const { diagnostics } = checkSpec([{ file: "d.json", text }]);
  assert.match(diagnostics[0].message, /^d\.json:5.*ignored kind Role/);
});

test("the fast reader gives the YAML library's values, or hands the text over", () => {
  const cases = [
    "a: e6\nb: 2001-12-14\nc: 0o17\nd: .\ne: +.5\n",
    "a: 1\nb: -2\nc: 0755\nd: 0x1f\ne: 1:20\nf: 1.5\ng: .inf\nh: 1e3\ni: 10.0.0.1\nj: 100m\nk: 1_000\n",
    "a: yes\nb: no\nc: on\nd: off\ne: y\nf: N\ng: ~\nh: null\ni:\nj: true\nk: 'it''s'\nl: \"a\\tb\\u00e9\"\n",
    'a: |-\n  x\n\n  y\n\nb: |+\n  k\n\n\nc: |2\n    lead\n   less\nd: |\n\n  late\ne: x # comment\nf: "q" # c\n',
    "list:\n- a\n- b: 1\n  c:\n  - d\n- {}\n- []\nnested:\n  - x\n  - y\n",
    "\"quoted key\": 1\n'single': 2\nf:metadata: {}\nurl: http://x:8080/y\n",
  ];
  for (const c of cases) {
    const v = fastYaml(c);
    assert.notEqual(v, BAIL, c);
    assert.deepEqual(v, parse(c, KUBE_YAML), c);
  }
  for (const c of [
    "a: &x 1\n",
    "a: *x\n",
    "a: !!str 1\n",
    "a: [1, 2]\n",
    "a: {b: 1}\n",
    "a: >\n  folded\n",
    'a: "multi\n  line"\n',
    "a: plain\n  continued\n",
    "a: 1\na: 2\n",
    "a:\tb\n",
    "- - x\n",
    "? a\n: b\n",
  ])
    assert.equal(fastYaml(c), BAIL, c);
});

test("split points: items, comments, the end of the items", () => {
  const docs = splitYaml(Buffer.from(listYaml));
  assert.equal(docs?.length, 1);
  const l = docs?.[0].list;
  assert.equal(l?.items.length, 2);
  assert.equal(l?.header, 'apiVersion: v1\nkind: List\nmetadata:\n  resourceVersion: ""\n');
  assert.ok(listYaml.slice(l?.items[1].start, l?.items[1].end).endsWith("namespace: default\n"));
});

test("read in pieces of any size: the same documents, lines and errors", () => {
  const texts = [
    listYaml,
    listYaml.replace(/\n/g, "\r\n"),
    `a: 1\n---\n${listYaml}---\nb: 2\n`,
    `${listYaml}extra:\n- x\n`,
    listYaml.replace("      port: 80\n", "      port: 80\n      port: 81\n"),
    "a: 1\n--- {b: 2}\n",
    `${JSON.stringify(JSON.parse(JSON.stringify(parse(listYaml))), null, 4)}\n`,
  ];
  for (const text of texts) {
    const a = split(text);
    for (const n of [1, 3, 64]) {
      const diags = new Diags();
      const docs = readDocuments({ file: "f", text: trickle(text, n) }, diags, { splitAbove: 0 });
      assert.deepEqual(
        diags.list.map((d) => d.message),
        a.diags.list.map((d) => d.message),
      );
      assert.deepEqual(
        docs.map((d) => [d.value, d.source.docIndex, d.source.line, d.source.lineOf?.("metadata.name")]),
        a.docs.map((d) => [d.value, d.source.docIndex, d.source.line, d.source.lineOf?.("metadata.name")]),
        `${n}: ${text.slice(0, 30)}`,
      );
    }
  }
});

test("items' lines passed over in bulk: the same items and lines as looking at each line", () => {
  // Indented lines of every length around the 16-byte steps of line-pass.ts, lines at column
  // 0 inside the items (blank, CR, a tab, a comment) and the line ending them, non-ASCII bytes,
  // CRLF, an item larger than the first window (it grows), read in pieces of several sizes.
  const r = rng(20261207);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const text = (crlf: boolean, items: number, big: boolean): string => {
    const lines = ["apiVersion: v1", "items:"];
    for (let i = 0; i < items; i++) {
      lines.push(pick(["- a: 1", "-", "- - x"]));
      const n = big && i === 3 ? 10000 : Math.floor(r() * 12);
      for (let k = 0; k < n; k++) {
        const x = r();
        if (x < 0.06) lines.push(pick(["", "# between", "\t# tab", "#"]));
        else
          lines.push(
            " ".repeat(1 + Math.floor(r() * 6)) + "k: é-#\n ".repeat(Math.floor(r() * 7)).slice(r() < 0.5 ? 1 : 0),
          );
      }
    }
    lines.push("kind: List", "metadata: {}", "");
    return lines.join(crlf ? "\r\n" : "\n");
  };
  // An item starts at a line `- …` (or `-` alone) at column 0; blank, CR, tab and comment lines
  // at column 0 are passed over; another line ends the items.
  const expected = (b: Buffer) => {
    const s = b.toString("latin1");
    const out: { start: number; end: number; line: number; text: string }[] = [];
    let at = s.indexOf("\nitems:") + 1;
    at = s.indexOf("\n", at) + 1;
    let line = s.slice(0, at).split("\n").length;
    let cur: { start: number; line: number } | undefined;
    for (; at < s.length; line++) {
      const c = s[at];
      if (c === "-" && /^-( |\r?\n)/.test(s.slice(at, at + 3))) {
        if (cur) out.push({ ...cur, end: at, text: b.toString("utf8", cur.start, at) });
        cur = { start: at, line };
      } else if (!" \n\r\t#".includes(c)) break;
      at = s.indexOf("\n", at) + 1;
    }
    if (cur) out.push({ ...cur, end: at, text: b.toString("utf8", cur.start, at) });
    return out;
  };
  for (const [crlf, big] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ]) {
    const t = text(crlf, 60, big);
    const b = Buffer.from(t);
    if (big) assert.ok(b.length > 250 << 10, `${b.length} bytes: more than one window`);
    const want = expected(b);
    assert.equal(want.length, 60);
    // (a window is decoded whole at each refill: small pieces only for the small text)
    for (const src of [bytesSource(b), trickle(t, 5000), ...(big ? [] : [trickle(t, 1), trickle(t, 17)])]) {
      const got: typeof want = [];
      const ok = scanYaml(src, {
        doc: () => assert.fail("not a List"),
        item: (text, start, end, line) => got.push({ start, end, line, text }),
        list: () => {},
      });
      assert.ok(ok);
      assert.deepEqual(got, want);
    }
  }
});

test("jsonLineMap asked for one path: its line and the nodes on the way, as the whole map has them", () => {
  const r = rng(7);
  const gen = (depth: number): unknown => {
    const x = r();
    if (depth > 3 || x < 0.3) return [1, -2.5e3, "s", 'q"\\}]{[,', true, null][Math.floor(r() * 6)];
    if (x < 0.6) return Array.from({ length: Math.floor(r() * 4) }, () => gen(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = Math.floor(r() * 4); i > 0; i--)
      o[["a", "b.c", 'k"q', "app.kubernetes.io/name", "x"][Math.floor(r() * 5)]] = gen(depth + 1);
    return o;
  };
  let asked = 0;
  for (let t = 0; t < 300; t++) {
    const text = JSON.stringify({ top: gen(0), next: gen(0) }, null, t % 2 ? 2 : 4);
    const whole = jsonLineMap(text, 3);
    for (const [path, line] of whole) {
      const one = jsonLineMap(text, 3, path);
      assert.equal(one.get(path), line, `${path} in ${text}`);
      for (const [k, l] of one) {
        assert.ok(path.startsWith(k), `${k} is not on the way to ${path}`);
        assert.equal(l, whole.get(k));
      }
      asked++;
    }
  }
  assert.ok(asked > 1000, `asked ${asked}`);
});

test("jsonLineMap: every key and element, escapes in keys", () => {
  const m = jsonLineMap('{\n  "a": [\n    1,\n    {"b\\"c": 2}\n  ],\n  "d": {}\n}', 10);
  assert.equal(m.get(""), 10);
  assert.equal(m.get("a"), 11);
  assert.equal(m.get("a[0]"), 12);
  assert.equal(m.get("a[1]"), 13);
  assert.equal(m.get('a[1][b"c]'), 13);
  assert.equal(m.get("d"), 15);
});

test("managedFields cut from a JSON item as kubectl prints it: the same value as parsing it whole", () => {
  const item = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      labels: { a: "b" },
      managedFields: [{ manager: "kubectl", fieldsV1: { "f:metadata": { "f:labels": { ".": {} } } } }],
      name: "p",
    },
    spec: { managedFields: [1], containers: [] },
  };
  const text = JSON.stringify({ apiVersion: "v1", items: [item], kind: "List" }, null, 4);
  const itemText = text.slice(text.indexOf("        {"), text.lastIndexOf("        }") + 9);
  const cut = cutJsonManagedFields(itemText);
  assert.ok(cut.length < itemText.length);
  const { managedFields: _, ...md } = item.metadata;
  assert.deepEqual(JSON.parse(cut), { ...item, metadata: md });
  // not under metadata, or the last key: left as it is
  const last = itemText.replace(/,\n {16}"name": "p"/, "");
  assert.equal(cutJsonManagedFields(last), last);
  const spec = JSON.stringify({ spec: { managedFields: [1], x: 1 } }, null, 4).replace(/^/gm, "        ");
  assert.equal(cutJsonManagedFields(spec), spec);
});

test("fast reader: a text met again means what it means where it stands (key, plain, quoted)", () => {
  // The same text as a plain scalar, a quoted one and a key: YAML 1.1 (go-yaml v2,
  // sigs.k8s.io/yaml) reads plain `true`/`on`/`8080`/`~` as a boolean, number or null, quoted
  // ones as strings, and keys as their string form. Read twice so that the second reading
  // comes from the reader's tables of texts seen before.
  const doc =
    'a: true\nb: "true"\nc: \'true\'\ntrue: x\nd: on\ne: "on"\n8080: p\nf: 8080\ng: "8080"\nh: ~\ni: "~"\n' +
    "j: it's\nk: 'it''s'\nl: \"a\\tb\"\nm: 0x1F\nn: '0x1F'\no: 1e3\n";
  const want = parse(doc, KUBE_YAML);
  for (let i = 0; i < 2; i++) assert.deepEqual(fastYaml(doc), want);
  // Many distinct values of one length (uids, IPs): table slots shared by several texts give
  // each its own value.
  const lines: string[] = [];
  for (let i = 0; i < 40000; i++)
    lines.push(`- ip: 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}\n  num: ${i}\n  q: "${i}"`);
  const list = `${lines.join("\n")}\n`;
  const v = fastYaml(list) as { ip: string; num: number; q: string }[];
  assert.equal(v.length, 40000);
  for (let i = 0; i < 40000; i += 997) {
    assert.equal(v[i].ip, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    assert.equal(v[i].num, i);
    assert.equal(v[i].q, String(i));
  }
  assert.deepEqual(fastYaml(list), v);
});

// A dump's pods as kubectl writes them (keys sorted; what the API server fills in): one the
// server returned (uid), one written by hand with the same fields, and a Node with images.
const servedList = (uid: string) => `apiVersion: v1
items:
- apiVersion: v1
  kind: Pod
  metadata:
    managedFields:
    - manager: kubelet
      operation: Update
    name: web-1
    namespace: default
${uid}  spec:
    containers:
    - image: nginx
      imagePullPolicy: Always
      name: web
      ports:
      - containerPort: 80
        protocol: TCP
      terminationMessagePath: /dev/termination-log
      terminationMessagePolicy: File
      volumeMounts:
      - mountPath: /var/run/secrets/kubernetes.io/serviceaccount
        name: kube-api-access-abcde
        readOnly: true
    dnsPolicy: ClusterFirst
    nodeName: kind-worker
    preemptionPolicy: PreemptLowerPriority
    schedulerName: default-scheduler
    securityContext: {}
    terminationGracePeriodSeconds: 30
    volumes:
    - name: kube-api-access-abcde
      projected:
        sources:
        - serviceAccountToken:
            path: token
  status:
    conditions:
    - lastProbeTime: null
      status: "True"
      type: Ready
    containerStatuses:
    - imageID: docker.io/library/nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31
      name: web
      ready: true
    phase: Running
    podIP: 10.244.1.5
- apiVersion: v1
  kind: Node
  metadata:
    name: kind-worker
${uid}  status:
    images:
    - names:
      - docker.io/library/nginx:latest
      sizeBytes: 70000000
    nodeInfo:
      kubeletVersion: v1.30.0
kind: List
metadata:
  resourceVersion: ""
`;

test("a pod the API server returned is read without what only its whole views show, then filled in place", () => {
  const text = servedList("    uid: 8f0c6f8e-3c38-4a1b-9c2e-2f5c1c2b7d10\n");
  const want = whole(text).docs.map((d) => d.value) as any[];
  const docs = split(text).docs;
  const pod = docs[0].value as any;
  const node = docs[1].value as any;
  for (const k of ["volumes", "schedulerName", "securityContext", "terminationGracePeriodSeconds"])
    assert.equal(k in pod.spec, false, k);
  assert.deepEqual(pod.spec.containers[0], {
    image: "nginx",
    name: "web",
    ports: [{ containerPort: 80, protocol: "TCP" }],
  });
  // The status lists wait in the text, and read whole when asked for (deferred.ts).
  assert.ok(isDeferred(pod.status, "conditions") && isDeferred(pod.status, "containerStatuses"));
  assert.deepEqual(pod.status.conditions, want[0].status.conditions);
  assert.deepEqual(pod.status.containerStatuses, want[0].status.containerStatuses);
  assert.equal(pod.metadata.managedFields, undefined);
  assert.equal(node.status.images, undefined);
  // What the model holds stays the same object; the fields come back where a whole read has them.
  const spec = pod.spec;
  for (const d of docs) Object.defineProperty(d.value, "source", { value: d.source });
  inFull(pod);
  inFull(node);
  assert.equal(pod.spec, spec);
  assert.equal(JSON.stringify(pod), JSON.stringify(want[0]));
  assert.equal(JSON.stringify(node), JSON.stringify(want[1]));
});

test("a file rewritten since it was read: its other object's fields are not put in", () => {
  const uid = "8f0c6f8e-3c38-4a1b-9c2e-2f5c1c2b7d10";
  const bytes = Buffer.from(servedList(`    uid: ${uid}\n`));
  const docs = readDocuments({ file: "f", text: bytes }, new Diags(), { splitAbove: 0 });
  const pod = docs[0].value as any;
  Object.defineProperty(pod, "source", { value: docs[0].source });
  bytes.write(uid.replace("8f0c", "0000"), bytes.indexOf(uid));
  inFull(pod);
  assert.equal(pod.spec.volumes, undefined);
  assert.equal(pod.metadata.uid, uid);
});

test("a pod without a uid (a manifest, not from the API server) is read whole", () => {
  const text = servedList("");
  assert.deepEqual(
    split(text).docs.map((d) => d.value),
    whole(text).docs.map((d) => d.value),
  );
});

test("a List whose items share anchors (a tool's, not kubectl's) reads as it does whole", () => {
  // YAML's anchors are the document's: an item's alias may name an anchor in an earlier item.
  const text = [
    "apiVersion: v1",
    "items:",
    "- apiVersion: v1",
    "  kind: ConfigMap",
    "  metadata:",
    "    labels: &shared",
    "      app: web",
    "    name: a",
    "    namespace: default",
    "- apiVersion: v1",
    "  kind: ConfigMap",
    "  metadata:",
    "    labels: *shared",
    "    name: b",
    "    namespace: default",
    "kind: List",
    "",
  ].join("\n");
  const want = whole(text);
  const got = split(text);
  assert.equal(got.diags.list.length, 0, got.diags.list.map((d) => d.message).join("\n"));
  assert.deepEqual(
    got.docs.map((d) => d.value),
    want.docs.map((d) => d.value),
  );
  assert.deepEqual((got.docs[1].value as { metadata: { labels: unknown } }).metadata.labels, { app: "web" });
  // An alias no item holds is still the error it is whole.
  const broken = text.replace("labels: &shared", "labels: &other");
  assert.match(
    split(broken)
      .diags.list.map((d) => d.message)
      .join("\n"),
    /Unresolved alias/,
  );
});
