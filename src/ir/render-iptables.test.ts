import { test } from "node:test";
import assert from "node:assert/strict";
import { sortCodeUnits, sortedOrder } from "./render-iptables.js";

// iptables-save lists user chains in strcmp order; for ASCII names that is JavaScript's
// default sort (UTF-16 code units), which the radix sort must reproduce exactly.
test("sortCodeUnits orders like Array.prototype.sort, for shared prefixes, prefixes of each other and non-ASCII", () => {
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
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
  const a = ["KUBE-SERVICES", "KUBE-SEP-B", "KUBE-SERVICES", "KUBE-SEP-A", ...Array.from({ length: 300 }, (_, i) => `KUBE-SVC-${i % 7}`)];
  const order = Array.from(sortedOrder(a));
  for (let k = 1; k < order.length; k++) {
    const [x, y] = [order[k - 1], order[k]];
    assert.ok(a[x] < a[y] || (a[x] === a[y] && x < y), `${a[x]}#${x} before ${a[y]}#${y}`);
  }
});
