import { test } from "node:test";
import assert from "node:assert/strict";
import { ByteText, putIp, putUint, sortCodeUnits, sortedOrder } from "./text.js";
import { renderIptRule, withMask } from "./render-iptables.js";

// iptables-save prints an address match with its mask, "/32" for one address
// (iptables/iptables.c print_ip; libxtables/xtables.c xtables_ipmask_to_numeric).
test("-s/-d print as iptables-save does: one address with /32, a CIDR as given", () => {
  const o = (opt: string, ...args: string[]) => ({ opt, args });
  const r = {
    opts: [o("-s", "10.244.2.2"), { ...o("-d", "10.96.0.0/12"), neg: true }, o("-p", "tcp"), o("--dport", "80")],
    target: "ACCEPT",
  };
  assert.equal(renderIptRule("X", r), "-A X -s 10.244.2.2/32 ! -d 10.96.0.0/12 -p tcp --dport 80 -j ACCEPT");
  assert.equal(withMask("10.96.0.10"), "10.96.0.10/32");
  assert.equal(withMask("10.244.0.0/16"), "10.244.0.0/16");
  // Target options are no address matches: DNAT's --to-destination stays as it is.
  assert.equal(
    renderIptRule("KUBE-SEP-A", {
      opts: [o("-s", "10.244.1.5")],
      target: "DNAT",
      targetOpts: [o("--to-destination", "10.244.1.5:8080")],
    }),
    "-A KUBE-SEP-A -s 10.244.1.5/32 -j DNAT --to-destination 10.244.1.5:8080",
  );
});

// iptables-save lists user chains in strcmp order; for ASCII names that is JavaScript's
// default sort (UTF-16 code units), which the radix sort must reproduce exactly.
test("sortCodeUnits orders like Array.prototype.sort, for shared prefixes, prefixes of each other and non-ASCII", () => {
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  const alpha = "AB27-~/é";
  for (let trial = 0; trial < 60; trial++) {
    const a: string[] = [];
    const n = rnd(2000);
    for (let i = 0; i < n; i++) {
      let s = ["KUBE-SEP-", "KUBE-S", "", "KUBE-SVC-"][rnd(4)];
      const len = rnd(7);
      for (let k = 0; k < len; k++) s += alpha[rnd(trial % 3 === 0 ? alpha.length : alpha.length - 1)];
      a.push(s);
    }
    assert.deepEqual(sortCodeUnits(a.slice()), a.slice().sort(), `trial ${trial}`);
  }
});

test("sortedOrder keeps equal strings in index order (a chain's layers stay in layer order)", () => {
  const a = [
    "KUBE-SERVICES",
    "KUBE-SEP-B",
    "KUBE-SERVICES",
    "KUBE-SEP-A",
    ...Array.from({ length: 300 }, (_, i) => `KUBE-SVC-${i % 7}`),
  ];
  const order = Array.from(sortedOrder(a));
  for (let k = 1; k < order.length; k++) {
    const [x, y] = [order[k - 1], order[k]];
    assert.ok(a[x] < a[y] || (a[x] === a[y] && x < y), `${a[x]}#${x} before ${a[y]}#${y}`);
  }
});

test("ByteText gives back exactly the text written: ASCII, UTF-8, a leading BOM, copies of earlier bytes", () => {
  for (const lines of [["*nat", '-A X -m comment --comment "a b"'], ["\uFEFFfirst", "é漢字🙂 -j ACCEPT", ""], []]) {
    const out = new ByteText();
    for (const l of lines) out.push(l);
    const want = lines.map((l) => l + "\n").join("");
    assert.equal(out.text(), want);
    assert.equal(Buffer.from(out.bytes()).toString("utf8"), want);
  }
  const out = new ByteText();
  out.str("scratch:KUBE-SEP-ABC|");
  const from = out.n;
  out.str("-A ");
  out.copy(8, 20); // "KUBE-SEP-ABC"
  out.byte(10);
  for (let i = 0; i < 100000; i++) out.push("grow"); // past the first buffer
  assert.equal(out.text(from), "-A KUBE-SEP-ABC\n" + "grow\n".repeat(100000));
});

test("putIp / putUint print dotted quads and decimal numbers", () => {
  const b = new Uint8Array(64);
  for (const ip of ["0.0.0.0", "10.244.1.5", "255.255.255.255", "192.168.100.9"]) {
    const v = ip.split(".").reduce((n, o) => n * 256 + Number(o), 0) | 0;
    const n = putIp(b, 0, v);
    assert.equal(Buffer.from(b.subarray(0, n)).toString(), ip);
  }
  for (const x of [0, 7, 10, 99, 100, 8080, 65535, 4294967295])
    assert.equal(Buffer.from(b.subarray(0, putUint(b, 0, x))).toString(), String(x));
});
