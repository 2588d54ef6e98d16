// NftLayer[] → the text `nft list ruleset` prints, loadable with `nft -f`. Tables with the
// same family+name merge (ir/types.ts): chains and sets exist when any layer declares
// them; rules and elements concatenate in layer order; a base chain's type/hook/priority
// come from the first layer that gives a hook. Expressions are libnftables JSON.

import type { NftChain, NftExpr, NftLayer, NftRule, NftSet, NftSetItem, NftStmt, NftTable } from "./types.js";
import { ByteText, type TextOut } from "./text.js";

export interface MergedNftTable {
  family: string;
  name: string;
  comment?: string;
  sets: NftSet[];
  chains: NftChain[];
}

export function mergeNft(layers: NftLayer[]): MergedNftTable[] {
  const tables = new Map<string, { t: MergedNftTable; sets: Map<string, NftSet>; chains: Map<string, NftChain> }>();
  for (const l of layers)
    for (const tb of l.tables) {
      const k = tb.family + " " + tb.name;
      let m = tables.get(k);
      if (!m) {
        m = { t: { family: tb.family, name: tb.name, sets: [], chains: [] }, sets: new Map(), chains: new Map() };
        tables.set(k, m);
      }
      if (tb.comment && m.t.comment === undefined) m.t.comment = tb.comment;
      mergeInto(m, tb);
    }
  return [...tables.values()].map((m) => ({ ...m.t, sets: [...m.sets.values()], chains: [...m.chains.values()] }));
}

function mergeInto(m: { sets: Map<string, NftSet>; chains: Map<string, NftChain> }, tb: NftTable): void {
  for (const s of Object.values(tb.sets)) {
    const have = m.sets.get(s.name);
    if (!have) m.sets.set(s.name, { ...s, elem: s.elem.slice() });
    else for (const e of s.elem) have.elem.push(e);
  }
  for (const c of Object.values(tb.chains)) {
    const have = m.chains.get(c.name);
    if (!have) m.chains.set(c.name, { ...c, rules: c.rules.slice() });
    else {
      if (!have.hook && c.hook)
        Object.assign(have, { type: c.type, hook: c.hook, prio: c.prio, policy: c.policy ?? have.policy });
      for (const r of c.rules) have.rules.push(r);
    }
  }
}

// --- expressions ------------------------------------------------------------

const STD_PRIOS: [string, number, string[] | null][] = [
  ["raw", -300, null],
  ["mangle", -150, null],
  ["dstnat", -100, ["prerouting"]],
  ["filter", 0, null],
  ["security", 50, null],
  ["srcnat", 100, ["postrouting"]],
];

/** nft's symbolic priority ("dstnat - 10") for the ip/ip6/inet families. */
export function prioText(prio: number, hook: string): string {
  for (const [name, val, hooks] of STD_PRIOS) {
    if (hooks && !hooks.includes(hook)) continue;
    const off = prio - val;
    if (Math.abs(off) <= 10) return off === 0 ? name : off > 0 ? `${name} + ${off}` : `${name} - ${-off}`;
  }
  return String(prio);
}

/** nft's time format: 10800 → "3h", 90 → "1m30s". */
export function timeText(sec: number): string {
  if (sec === 0) return "0s";
  let s = "";
  const units: [string, number][] = [
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ];
  for (const [u, n] of units) {
    const q = Math.floor(sec / n);
    if (q) s += q + u;
    sec -= q * n;
  }
  return s;
}

const hex8 = (n: number) => "0x" + (n >>> 0).toString(16).padStart(8, "0");

const MARK_OPS = ["&", "|", "^"] as const;
const BINOPS = ["&", "|", "^", "<<", ">>"] as const;
const VERDICTS = ["accept", "drop", "continue", "return"] as const;

function isMarkish(e: NftExpr): boolean {
  if (!e || typeof e !== "object" || Array.isArray(e)) return false;
  if (e.meta && e.meta.key === "mark") return true;
  if (e.ct && e.ct.key === "mark") return true;
  for (const op of MARK_OPS) {
    const args = e[op];
    if (Array.isArray(args)) return args.some(isMarkish);
  }
  return false;
}

function verdictText(v: NftExpr | NftStmt): string | null {
  if (!v || typeof v !== "object" || Array.isArray(v)) return null;
  for (const k of VERDICTS) if (k in v && v[k] === null) return k;
  if (v.jump) return "jump " + v.jump.target;
  if (v.goto) return "goto " + v.goto.target;
  return null;
}

/** A map element `[key, value]` (a set's items are values; a list value is written `{ a, b }`, not a pair). */
const isPair = (x: NftSetItem): x is [NftExpr, NftExpr] => Array.isArray(x);

// Frozen expressions are shared by many rules (ip saddr, meta l4proto): render them once.
const frozenText = new WeakMap<object, string>();

/** An expression (left or right side, set element, map value). */
export function exprText(e: NftExpr | undefined, hex = false): string {
  if (!hex && typeof e === "object" && e !== null && Object.isFrozen(e)) {
    let t = frozenText.get(e);
    if (t === undefined) frozenText.set(e, (t = exprText0(e, false)));
    return t;
  }
  return exprText0(e, hex);
}

function exprText0(e: NftExpr | undefined, hex: boolean): string {
  if (e === null || e === undefined) return "";
  if (typeof e === "number") return hex ? hex8(e) : String(e);
  if (typeof e === "string") return e.includes(" ") || e === "" ? JSON.stringify(e) : e;
  if (typeof e === "boolean") return e ? "exists" : "missing";
  if (Array.isArray(e)) return e.map((x) => exprText(x, hex)).join(", ");
  const v = verdictText(e);
  if (v) return v;
  if (e.payload) return `${e.payload.protocol} ${e.payload.field}`;
  if (e.meta) return `meta ${e.meta.key}`;
  if (e.ct) return `ct ${e.ct.dir ? e.ct.dir + " " : ""}${e.ct.key}`;
  if (e.fib) return `fib ${(e.fib.flags ?? []).join(" . ")} ${e.fib.result}`;
  if (e.numgen)
    return `numgen ${e.numgen.mode} mod ${e.numgen.mod}${e.numgen.offset ? " offset " + e.numgen.offset : ""}`;
  if (e.concat) return e.concat.map((x) => exprText(x, hex)).join(" . ");
  if (e.prefix) return `${e.prefix.addr}/${e.prefix.len}`;
  if (e.range) return `${exprText(e.range[0], hex)}-${exprText(e.range[1], hex)}`;
  if (e.set !== undefined && (Array.isArray(e.set) || typeof e.set !== "object")) {
    const items = Array.isArray(e.set) ? e.set : [e.set];
    return (
      "{ " +
      items
        .map((x: NftSetItem) => (isPair(x) ? `${exprText(x[0], hex)} : ${exprText(x[1])}` : exprText(x, hex)))
        .join(", ") +
      " }"
    );
  }
  if (e.elem) return exprText(e.elem.val, hex) + (e.elem.comment ? ` comment ${JSON.stringify(e.elem.comment)}` : "");
  for (const op of BINOPS) {
    const args = e[op];
    if (args) return `${exprText(args[0], hex)} ${op} ${exprText(args[1], true)}`;
  }
  throw new Error(`render-nft: unsupported expression ${JSON.stringify(e)}`);
}

/** One statement of a rule. */
export function stmtText(s: NftStmt): string {
  const v = verdictText(s);
  if (v) return v;
  if (s.match) {
    const { op, left, right } = s.match;
    const hex = isMarkish(left);
    const l = exprText(left, hex);
    const r = exprText(right, hex);
    const isBinop = left && typeof left === "object" && ["&", "|", "^"].some((k) => k in left);
    if (op === "==") return isBinop ? `${l} == ${r}` : `${l} ${r}`;
    if (op === "in") return `${l} ${r}`;
    return `${l} ${op} ${r}`;
  }
  if (s.vmap) return `${exprText(s.vmap.key)} vmap ${exprText(s.vmap.data)}`;
  if (s.map) return `${exprText(s.map.key)} map ${exprText(s.map.data)}`;
  if (s.mangle) return `${exprText(s.mangle.key)} set ${exprText(s.mangle.value, isMarkish(s.mangle.key))}`;
  if ("masquerade" in s) {
    const f = s.masquerade?.flags;
    return "masquerade" + (f ? " " + (Array.isArray(f) ? f.join(",") : f) : "");
  }
  const nat = s.dnat ?? s.snat;
  if (nat) {
    const k = s.dnat ? "dnat" : "snat";
    const d = nat;
    return `${k} to ${d.addr}${d.port !== undefined ? ":" + d.port : ""}`;
  }
  if ("reject" in s) {
    const r = s.reject;
    if (!r || (r.type === "icmp" && r.expr === "port-unreachable")) return "reject";
    if (r.type === "tcp reset") return "reject with tcp reset";
    return `reject with ${r.type} ${r.expr}`;
  }
  if (s.set?.op) return `${s.set.op} ${s.set.set} { ${exprText(s.set.elem)} }`;
  if ("counter" in s) return "counter";
  if (s.log)
    return (
      "log" +
      (s.log.prefix ? ` prefix ${JSON.stringify(s.log.prefix)}` : "") +
      (s.log.group !== undefined ? ` group ${s.log.group}` : "")
    );
  if (s.notrack !== undefined) return "notrack";
  throw new Error(`render-nft: unsupported statement ${JSON.stringify(s)}`);
}

export function ruleText(r: NftRule): string {
  const t = r.expr.map(stmtText).join(" ");
  return r.comment ? `${t} comment ${JSON.stringify(r.comment)}` : t;
}

function setText(s: NftSet, out: { push(l: string): void }): void {
  out.push(`\t${s.kind} ${s.name} {`);
  const type = Array.isArray(s.type) ? s.type.join(" . ") : s.type;
  const data = s.map === undefined ? "" : " : " + (Array.isArray(s.map) ? s.map.join(" . ") : s.map);
  out.push(`\t\ttype ${type}${data}`);
  // nft gives sets updated from the packet path a default size, and lists it.
  if (s.flags?.includes("dynamic")) out.push("\t\tsize 65535");
  if (s.flags?.length) out.push(`\t\tflags ${s.flags.join(",")}`);
  if (s.timeout !== undefined) out.push(`\t\ttimeout ${timeText(s.timeout)}`);
  if (s.comment) out.push(`\t\tcomment ${JSON.stringify(s.comment)}`);
  if (s.elem.length) {
    const items = s.elem.map((e) => {
      let t = exprText(e.key);
      if (e.comment !== undefined) t += ` comment ${JSON.stringify(e.comment)}`;
      if (e.value !== undefined) t += " : " + exprText(e.value);
      return t;
    });
    out.push(`\t\telements = { ${items.join(",\n\t\t\t     ")} }`);
  }
  out.push("\t}");
}

/**
 * A table whose chains are partly held in a compact form (kube-proxy's ~700k endpoint
 * chains at the scalability thresholds): `table.chains` materialises every chain on first
 * access; renderNft reads the compact form instead. The table stays read-only.
 */
export interface CompactNftChains {
  /** The chains kept as plain NftChain objects. */
  eager: Record<string, NftChain>;
  /** All chains in creation order: an eager chain's name, or a compact chain's index. */
  order: (string | number)[];
  /** Names of the compact chains (none of them is in `eager`, none has a hook). */
  names: string[];
  /** Optional: the number of compact chains and chain i's name, read instead of `names` (which may then be built on first access). */
  count?: number;
  name?(i: number): string;
  /**
   * Optional: a writer of the compact chains' text to `out`: chain(i) appends chain i's
   * whole block ("\tchain NAME {\n", its rules, "\t}\n"), rules(i) only its rule lines
   * ("\t\t" + ruleText + "\n"). Making the writer may first append scratch text (pieces to
   * copy later; the renderer's output starts after it). Calls come in index order.
   */
  writer?(out: ByteText): { chain(i: number): void; rules(i: number): void };
  /** The rules of compact chain i (fresh objects, equal to the materialised ones). */
  rules(i: number): NftRule[];
  /** Optional: pushes compact chain i's rule lines ("\t\t" + ruleText) to `out`. */
  write?(i: number, out: TextOut): void;
}

const compactTables = new WeakMap<NftTable, CompactNftChains>();

/** Declares `table.chains` as compact (see CompactNftChains). */
export function defineCompactNftTable(table: NftTable, cc: CompactNftChains): void {
  compactTables.set(table, cc);
  let plain: Record<string, NftChain> | undefined;
  const materialise = () => {
    const all: Record<string, NftChain> = {};
    for (const x of cc.order) {
      if (typeof x === "string") all[x] = cc.eager[x];
      else all[nftCompactName(cc, x)] = { name: nftCompactName(cc, x), rules: cc.rules(x) };
    }
    return all;
  };
  Object.defineProperty(table, "chains", {
    enumerable: true,
    configurable: true,
    get: () => (plain ??= materialise()),
  });
}

/** A merged chain: its header (mergeInto's rule) and its parts in layer order. */
interface ChainSlot {
  name: string;
  head: Pick<NftChain, "type" | "hook" | "prio" | "policy">;
  parts: (NftRule[] | { cc: CompactNftChains; i: number })[];
}

const nftCompactName = (cc: CompactNftChains, i: number) => (cc.name ? cc.name(i) : cc.names[i]);

/** The `nft list ruleset` text of the merged layers. */
export function renderNft(layers: NftLayer[]): string {
  const { out, from } = renderNftTo(layers);
  return out.text(from);
}

/** renderNft's text as UTF-8 bytes (what a CLI writes out), without building the string. */
export function renderNftBytes(layers: NftLayer[]): Uint8Array {
  const { out, from } = renderNftTo(layers);
  return out.bytes(from);
}

function renderNftTo(layers: NftLayer[]): { out: ByteText; from: number } {
  const out = new ByteText();
  // The compact chains' writers first (their scratch at the start of the buffer), then the output.
  const writers = new Map<CompactNftChains, { chain(i: number): void; rules(i: number): void }>();
  for (const l of layers)
    for (const tb of l.tables) {
      const cc = compactTables.get(tb);
      if (cc?.writer) writers.set(cc, cc.writer(out));
    }
  const from = out.n;
  const tables = new Map<string, NftTable[]>();
  for (const l of layers)
    for (const tb of l.tables) {
      const k = tb.family + " " + tb.name;
      const list = tables.get(k);
      if (list) list.push(tb);
      else tables.set(k, [tb]);
    }
  for (const parts of tables.values()) {
    const { family, name } = parts[0];
    const comment = parts.find((t) => t.comment)?.comment;
    // Sets merge as mergeNft merges them.
    const sets = new Map<string, NftSet>();
    for (const tb of parts)
      for (const st of Object.values(tb.sets)) {
        const have = sets.get(st.name);
        if (!have) sets.set(st.name, { ...st, elem: st.elem.slice() });
        else for (const e of st.elem) have.elem.push(e);
      }
    // Chains: in first-declaration order; rules concatenate in layer order. A compact chain
    // that no other layer extends stays a number in `slots` (its index; `slotCc` says whose).
    const slots: (ChainSlot | number)[] = [];
    const slotCc: (CompactNftChains | null)[] = [];
    const byName = new Map<string, number>(); // plain chains' positions in slots
    let compactPos: Map<string, number> | undefined; // compact chains' positions, built if a later layer needs them
    const compactSeen: { cc: CompactNftChains; pos: Int32Array }[] = [];
    const find = (n: string): number | undefined => {
      const s = byName.get(n);
      if (s !== undefined || compactSeen.length === 0) return s;
      if (!compactPos) {
        compactPos = new Map();
        for (const c of compactSeen)
          for (let i = 0; i < c.pos.length; i++) compactPos!.set(nftCompactName(c.cc, i), c.pos[i]);
      }
      return compactPos.get(n);
    };
    const slotAt = (pos: number): ChainSlot => {
      const x = slots[pos];
      if (typeof x !== "number") return x;
      const cc = slotCc[pos]!;
      const slot: ChainSlot = { name: nftCompactName(cc, x), head: {}, parts: [{ cc, i: x }] };
      slots[pos] = slot;
      slotCc[pos] = null;
      return slot;
    };
    const addChain = (c: NftChain, part: ChainSlot["parts"][number]) => {
      const pos = find(c.name);
      if (pos === undefined) {
        byName.set(c.name, slots.length);
        slots.push({
          name: c.name,
          head: { type: c.type, hook: c.hook, prio: c.prio, policy: c.policy },
          parts: [part],
        });
        slotCc.push(null);
        return;
      }
      const have = slotAt(pos);
      if (!have.head.hook && c.hook)
        have.head = { type: c.type, hook: c.hook, prio: c.prio, policy: c.policy ?? have.head.policy };
      have.parts.push(part);
    };
    parts.forEach((tb, pi) => {
      const cc = compactTables.get(tb);
      if (!cc) {
        for (const c of Object.values(tb.chains)) addChain(c, c.rules);
        return;
      }
      const pos = new Int32Array(cc.count ?? cc.names.length);
      for (const x of cc.order) {
        if (typeof x === "string") addChain(cc.eager[x], cc.eager[x].rules);
        else {
          // A compact chain is new unless an earlier layer declared it.
          const have = pi > 0 ? find(nftCompactName(cc, x)) : undefined;
          if (have !== undefined) {
            slotAt(have).parts.push({ cc, i: x });
            pos[x] = have;
          } else {
            pos[x] = slots.length;
            slots.push(x);
            slotCc.push(cc);
          }
        }
      }
      compactSeen.push({ cc, pos });
      compactPos = undefined;
    });

    out.push(`table ${family} ${name} {`);
    if (comment) out.push(`\tcomment ${JSON.stringify(comment)}`);
    let first = true;
    for (const st of sets.values()) {
      if (!first) out.push("");
      first = false;
      setText(st, out);
    }
    for (let k = 0; k < slots.length; k++) {
      if (!first) out.push("");
      first = false;
      const slot = slots[k];
      if (typeof slot === "number") {
        // An unmerged compact chain (never a base chain).
        const cc = slotCc[k]!;
        const w = writers.get(cc);
        if (w) {
          w.chain(slot);
          continue;
        }
        out.push("\tchain " + nftCompactName(cc, slot) + " {");
        if (cc.write) cc.write(slot, out);
        else for (const r of cc.rules(slot)) out.push("\t\t" + ruleText(r));
        out.push("\t}");
        continue;
      }
      out.push(`\tchain ${slot.name} {`);
      const h = slot.head;
      if (h.hook)
        out.push(
          `\t\ttype ${h.type ?? "filter"} hook ${h.hook} priority ${prioText(h.prio ?? 0, h.hook)}; policy ${h.policy ?? "accept"};`,
        );
      for (const p of slot.parts) {
        if (Array.isArray(p)) for (const r of p) out.push("\t\t" + ruleText(r));
        else if (writers.has(p.cc)) writers.get(p.cc)!.rules(p.i);
        else if (p.cc.write) p.cc.write(p.i, out);
        else for (const r of p.cc.rules(p.i)) out.push("\t\t" + ruleText(r));
      }
      out.push("\t}");
    }
    out.push("}");
  }
  return { out, from };
}
