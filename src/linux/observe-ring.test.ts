import assert from "node:assert/strict";
import { test } from "node:test";
import { EventRing, prefixLines, tailLines } from "./observe-ring.js";

/** Lines "C\tk" for k in [from, to), as one block. */
const block = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `C\t${from + i}`).join("\n");
/** What last(n) must give after pushing 0.. in blocks: lines k in [from, to), node a. */
const want = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `a\tC\t${from + i}\n`).join("");

test("tailLines and prefixLines", () => {
  assert.equal(tailLines("x\ny\nz", 3, 2), "y\nz");
  assert.equal(tailLines("x\ny\nz", 3, 3), "x\ny\nz");
  assert.equal(tailLines("x", 1, 1), "x");
  assert.equal(prefixLines("n\t", "x\ny"), "n\tx\nn\ty\n");
});

test("the ring serves the last lines across blocks, evicting whole and partial blocks", () => {
  const r = new EventRing(10);
  assert.equal(r.last(5), "");
  r.push("a\t", block(0, 4), 4);
  assert.equal(r.last(100), want(0, 4));
  r.push("a\t", block(4, 9), 5);
  assert.equal(r.last(6), want(3, 9));
  r.push("a\t", block(9, 12), 3); // 12 pushed: the first two lines leave
  assert.equal(r.head, 12);
  assert.equal(r.last(100), want(2, 12));
  r.push("a\t", block(12, 30), 18); // a block larger than the ring
  assert.equal(r.last(100), want(20, 30));
  assert.equal(r.last(3), want(27, 30));
  assert.equal(r.last(0), "");
});

test("the ring: many small blocks of two nodes, compacted, match a line-by-line ring", () => {
  const size = 777;
  const r = new EventRing(size);
  const all: string[] = [];
  let k = 0;
  for (let b = 0; b < 5000; b++) {
    const node = b % 2 ? "w2\t" : "w1\t";
    const n = 1 + (b % 5);
    const lines = Array.from({ length: n }, () => `C\t${k++}`);
    // As observe-main.ts pushes them (Buffers), and as strings (its rare mixed blocks).
    r.push(node, b % 3 ? Buffer.from(lines.join("\n")) : lines.join("\n"), n);
    for (const l of lines) all.push(node + l);
    if (b % 997 === 0 || b === 4999)
      for (const q of [1, 5, 100, size, size + 50])
        assert.equal(
          r.last(q),
          all
            .slice(-Math.min(q, size))
            .map((l) => `${l}\n`)
            .join(""),
          `after ${b}, last ${q}`,
        );
  }
  assert.equal(r.head, all.length);
});
