// nftables expressions (libnftables JSON, man libnftables-json) against a packet: values,
// matches, set and map lookups (indexed: kube-proxy's maps hold an element per Service), and
// their text as `nft list` prints it. The chain evaluation is in nftables.ts.

import type { NfRole, NftChain, NftExpr, NftSet, NftSetItem, NftStmt, NftTable, NftVerdict } from "../ir/types.js";
import { ipToInt, parsePrefix, inPrefix } from "../net/ipv4.js";
import type { NfEnv } from "./nfenv.js";
import { protoName } from "./packet.js";

/** A merged nftables table as the evaluator reads it (by name; a Map will do). */
export interface NftView {
  family: string;
  name: string;
  chains: { get(name: string): NftChain | undefined; has(name: string): boolean };
  sets: { get(name: string): NftSet | undefined; has(name: string): boolean };
  /** The layer that defined a chain first. */
  owners: { get(name: string): string | undefined };
  /** The table's tags (NftTable's): what it is for; a NetworkPolicy table's maps. */
  role?: NfRole;
  policyMaps?: NftTable["policyMaps"];
}

export class NftError extends Error {}

type Ty = "addr" | "port" | "proto" | "int" | "str" | "ctstate" | "concat";
type Val = number | string | Val[];

interface Typed {
  ty: Ty;
  v: Val;
  tys?: Ty[];
  /** Concatenations: the component types as one string (the set index's key). */
  sig?: string;
}

/**
 * A concatenation expression's type signature (types are fixed per expression). Module-level:
 * a side table of the IR's expression objects (entries die with them), read by evalExpr,
 * which has no CompiledIR to hand.
 */
const concatSigs = new WeakMap<object, string>();

export function evalExpr(e: NftExpr, env: NfEnv): Typed {
  // A list has none of these keys: it ends in the error below either way.
  if (e && typeof e === "object" && !Array.isArray(e)) {
    if (e.payload) {
      const { protocol, field } = e.payload;
      if (protocol === "ip" && (field === "saddr" || field === "daddr"))
        return { ty: "addr", v: field === "saddr" ? env.pkt.src : env.pkt.dst };
      if (protocol === "ip" && field === "protocol") return { ty: "proto", v: env.pkt.proto };
      if (
        (protocol === "th" || protocol === "tcp" || protocol === "udp" || protocol === "sctp") &&
        (field === "dport" || field === "sport")
      ) {
        const p = env.pkt.proto;
        if (protocol !== "th" && p !== protocol) return { ty: "port", v: -1 };
        if (p !== "tcp" && p !== "udp" && p !== "sctp") return { ty: "port", v: -1 };
        return { ty: "port", v: field === "dport" ? env.pkt.dport : env.pkt.sport };
      }
      throw new NftError(`unsupported payload ${protocol} ${field}`);
    }
    if (e.meta) {
      switch (e.meta.key) {
        case "l4proto":
        case "protocol":
          return { ty: "proto", v: e.meta.key === "protocol" ? "ip" : env.pkt.proto };
        case "mark":
          return { ty: "int", v: env.pkt.mark };
        case "iifname":
        case "iif":
          return { ty: "str", v: env.inIf ?? "" };
        case "oifname":
        case "oif":
          return { ty: "str", v: env.outIf ?? "" };
        case "nfproto":
          return { ty: "str", v: "ipv4" };
        default:
          throw new NftError(`unsupported meta key "${e.meta.key}"`);
      }
    }
    if (e.ct) {
      if (e.ct.key === "state")
        return {
          ty: "ctstate",
          v: env.ctState.toLowerCase() === "untracked" ? "untracked" : env.ctState.toLowerCase(),
        };
      if (e.ct.key === "mark") return { ty: "int", v: env.ctMark };
      if (e.ct.key === "status")
        return { ty: "ctstate", v: [env.ctDnat ? "dnat" : "", env.ctSnat ? "snat" : ""].filter(Boolean) as string[] };
      throw new NftError(`unsupported ct key "${e.ct.key}"`);
    }
    if (e.fib) {
      const flags: string[] = e.fib.flags ?? [];
      if (e.fib.result === "type") {
        const ip = flags.includes("saddr") ? env.pkt.src : env.pkt.dst;
        return {
          ty: "str",
          v: env.isLocal(ip) ? "local" : env.isBroadcast(ip) ? "broadcast" : ip >>> 28 === 14 ? "multicast" : "unicast",
        };
      }
      throw new NftError(`unsupported fib result "${e.fib.result}"`);
    }
    if (e.concat) {
      const c = e.concat;
      const v: Val[] = new Array(c.length);
      const tys: Ty[] = new Array(c.length);
      for (let i = 0; i < c.length; i++) {
        const p = evalExpr(c[i], env);
        v[i] = p.v;
        tys[i] = p.ty;
      }
      let sig = concatSigs.get(c);
      // Nested concatenations and ct state components are not indexed ("": scan).
      if (sig === undefined)
        concatSigs.set(c, (sig = tys.some((x) => x === "concat" || x === "ctstate") ? "" : "concat:" + tys.join(",")));
      return { ty: "concat", v, tys, sig };
    }
    for (const op of ["&", "|", "^"] as const) {
      if (e[op]) {
        const [a, b] = e[op];
        const x = Number(evalExpr(a, env).v);
        const y = typeof b === "object" ? Number(evalExpr(b, env).v) : Number(b);
        return { ty: "int", v: (op === "&" ? x & y : op === "|" ? x | y : x ^ y) >>> 0 };
      }
    }
    if (e.numgen) throw new NftError("numgen is only supported as a vmap key");
  }
  throw new NftError(`unsupported expression ${JSON.stringify(e)}`);
}

export function lit(ty: Ty, x: NftExpr): Val {
  // A list's `concat` is Array.prototype.concat, not a concatenation: only objects have one.
  let v: unknown = x;
  if (typeof x === "object" && x !== null && !Array.isArray(x) && x.concat) v = x.concat;
  switch (ty) {
    case "addr":
      return typeof v === "number" ? v : ipToInt(String(v));
    case "port":
    case "int":
      return typeof v === "number" ? v : Number(v);
    case "proto":
      // A protocol is a name or a number; anything else throws in protoName, as it did.
      return protoName(v as string | number);
    default:
      return String(v);
  }
}

/** Does `v` (of type ty) match the set element / literal `r`? `@name` reads the view's set
 *  (dynamic sets also hold what `update @set` added during this trace). */
export function matchOne(t: Typed, r: NftExpr, view: NftView, env: NfEnv): boolean {
  if (typeof r === "string" && r.startsWith("@")) return setHas(view, env, r.slice(1), t);
  if (r && typeof r === "object" && !Array.isArray(r)) {
    if (r.set) return lookup(sourceOf(setItems(r as { set: unknown }), false), t, view, env) >= 0;
    if (r.prefix) return t.ty === "addr" && inPrefix(t.v as number, parsePrefix(`${r.prefix.addr}/${r.prefix.len}`));
    if (r.range) {
      const lo = lit(t.ty, r.range[0]) as number;
      const hi = lit(t.ty, r.range[1]) as number;
      return (t.v as number) >= lo && (t.v as number) <= hi;
    }
    if (r.concat) r = r.concat;
    else if (r.elem) return matchOne(t, r.elem.val ?? elemItself(r.elem), view, env);
  }
  if (t.ty === "concat") {
    if (!Array.isArray(r)) return false;
    const vs = t.v as Val[];
    for (let i = 0; i < vs.length; i++) if (!matchOne({ ty: t.tys![i], v: vs[i] }, r[i], view, env)) return false;
    return true;
  }
  if (t.ty === "ctstate") {
    const have: NftExpr[] = Array.isArray(t.v) ? (t.v as string[]) : [t.v as string];
    const want = Array.isArray(r) ? r : [r];
    return want.some((w) => have.includes(w));
  }
  if (Array.isArray(r)) {
    for (let i = 0; i < r.length; i++) if (matchOne(t, r[i], view, env)) return true;
    return false;
  }
  return lit(t.ty, r) === t.v;
}

/**
 * `elem.val ?? elem`: an element object without `val` (outside the IR's type, which requires
 * it) is matched as itself, as it always was; the cast only names that fallback's type.
 */
function elemItself(e: { val: NftExpr; comment?: string }): NftExpr {
  return e as unknown as NftExpr;
}

// --- Set / map indexes -------------------------------------------------------------
// kube-proxy's maps hold an element per Service port (service-ips: ~20,000 at 10,000
// Services) and policy sets hold a pod IP per peer: a linear scan per packet is too slow.
// Each element list is indexed once per key type: elements that are plain values go into
// a Map keyed by the value exactly as `lit` converts it, concatenations of plain values
// into a hash of their components (compact: one index per node's merged map); every other
// element (prefix, range, @set, nested set, …) stays in a fallback list scanned in element
// order. A lookup returns the first element that matches, exactly as a scan would.

/** Not indexable: evaluate with matchOne. */
const SCAN = { scan: true };
/** Can never match (e.g. a literal that converts to NaN, a non-list for a concatenation). */
const NEVER = { never: true };
/** Below this size a plain scan is as fast as a Map. */
const SMALL = 8;

interface SetIndex {
  /** One component: the literal's value → the first element's position. */
  exact: Map<unknown, number> | null;
  /** Concatenations: components encoded as uint32 (strings by their intern number),
   *  hashed; `slots` hold each distinct key's position and components, chained by hash. */
  hashed: { width: number; first: Map<number, number>; pos: Int32Array; next: Int32Array; comp: Uint32Array } | null;
  /** Positions of elements evaluated with matchOne, in order. */
  scan: number[];
}

/** How a Source reads its list: a named set/map, an anonymous set, an anonymous vmap's [key, value] pairs. */
enum Kind {
  Named,
  Anon,
  Pairs,
}

export interface Source {
  list: NftSet | NftSetItem[];
  kind: Kind;
  /** Length of the element list when indexed (a changed list is re-indexed). */
  len: number;
  /** By key type signature ("addr", "concat:addr,proto,port", …). */
  bySig: Map<string, SetIndex>;
  /** numgen: Number(key) → first position. */
  byNum?: Map<number, number>;
  numgen?: { n: number; off: number; opts: { p: number; label: string }[]; what: string };
}

// libnftables' JSON lets an anonymous set be one lone value (`"set": "x"`, libnftables-json(5)):
// the one-element list stands for it, made once per expression so that its index is kept.
const loneSets = new WeakMap<object, NftSetItem[]>();

/** An anonymous set's elements: its list, or its lone value as a one-element list. */
function setItems(e: { set: unknown }): NftSetItem[] {
  if (Array.isArray(e.set)) return e.set as NftSetItem[];
  let l = loneSets.get(e);
  if (!l) loneSets.set(e, (l = [e.set as NftSetItem]));
  return l;
}

/** A set's or an anonymous list's index: a side table of the IR's objects, like concatSigs. */
const sources = new WeakMap<object, Source>();

/** The indexed element list of a named set/map or of an anonymous set (`pairs`: [key, value] elements of an anonymous vmap). */
export function sourceOf(list: NftSet | NftSetItem[], pairs: boolean): Source {
  const arr = Array.isArray(list);
  const len = arr ? list.length : list.elem.length;
  const kind = arr ? (pairs ? Kind.Pairs : Kind.Anon) : Kind.Named;
  let s = sources.get(list);
  if (s && s.len === len && s.kind === kind) return s;
  s = { list, kind, len, bySig: new Map() };
  sources.set(list, s);
  return s;
}

// The casts follow `kind`: Pairs lists are an anonymous vmap's [key, value] items.
function keyAt(src: Source, i: number): NftExpr {
  return src.kind === Kind.Named
    ? (src.list as NftSet).elem[i].key
    : src.kind === Kind.Pairs
      ? (src.list as [NftExpr, NftExpr][])[i][0]
      : (src.list as NftSetItem[])[i];
}

export function valueAt(src: Source, i: number): NftExpr | undefined {
  return src.kind === Kind.Named
    ? (src.list as NftSet).elem[i].value
    : src.kind === Kind.Pairs
      ? (src.list as [NftExpr, NftExpr][])[i][1]
      : undefined;
}

/** The key type signature of a lookup value; null: no index (scan everything). */
function sigOf(t: Typed): string | null {
  if (t.ty === "ctstate") return null;
  if (t.ty !== "concat") return t.ty;
  return t.sig || null;
}

/** `lit(ty, r)` for a plain literal; SCAN when the element needs matchOne, NEVER when it cannot match. */
function scalarKey(ty: Ty, r: NftExpr): unknown {
  if (typeof r !== "number" && typeof r !== "string") return SCAN;
  let v: Val;
  try {
    v = lit(ty, r);
  } catch {
    return SCAN; // the scan reproduces the error in order
  }
  return typeof v === "number" && Number.isNaN(v) ? NEVER : v;
}

/** Mirrors matchOne's unwrapping of an element: its key value(s), or SCAN / NEVER. */
function classify(ty: Ty, tys: Ty[] | undefined, r: NftExpr): unknown {
  for (;;) {
    if (typeof r === "string" && r.startsWith("@")) return SCAN;
    if (r && typeof r === "object" && !Array.isArray(r)) {
      if (r.set || r.prefix || r.range) return SCAN;
      if (r.concat) r = r.concat;
      else if (r.elem) {
        r = r.elem.val ?? elemItself(r.elem);
        continue;
      }
    }
    break;
  }
  if (ty === "concat") {
    if (!Array.isArray(r)) return NEVER;
    if (r.length !== tys!.length) return SCAN;
    const out: unknown[] = [];
    // Components in order, as matchOne's every(): a component that cannot match ends it.
    for (let i = 0; i < tys!.length; i++) {
      const k = classify(tys![i], undefined, r[i]);
      if (k === NEVER) return NEVER;
      if (k === SCAN) return SCAN;
      out.push(k);
    }
    return out;
  }
  if (Array.isArray(r)) return SCAN;
  return scalarKey(ty, r);
}

/**
 * Strings of concatenated keys (protocol names, interface names) as numbers. Process-wide on
 * purpose: an index built for one IR's set and the keys looked up in it must number strings
 * alike, and a number is never reused. Only building an index adds (lookups of unknown
 * strings do not), and at most INTERNED_MAX strings: past it a new string is "not
 * representable", so its element is scanned (matchOne) instead of hashed: slower, same answer.
 */
const interned = new Map<string, number>();
const INTERNED_MAX = 1 << 20;

/** A component as uint32: -1 when it has none (a non-integer number; at lookup, an unknown string). */
function enc(v: unknown, add: boolean): number {
  if (typeof v === "number") return v >>> 0 === v ? v : -1;
  const s = v as string;
  let n = interned.get(s);
  if (n === undefined) {
    if (!add || interned.size >= INTERNED_MAX) return -1;
    interned.set(s, (n = interned.size));
  }
  return n;
}

function mix(h: number, c: number): number {
  return Math.imul(h ^ c, 0x01000193) ^ (c >>> 16);
}

function buildIndex(src: Source, t: Typed): SetIndex {
  const n = src.len;
  const scan: number[] = [];
  if (n < SMALL || sigOf(t) === null) {
    for (let i = 0; i < n; i++) scan.push(i);
    return { exact: null, hashed: null, scan };
  }
  if (t.ty !== "concat") {
    const exact = new Map<unknown, number>();
    for (let i = 0; i < n; i++) {
      const k = classify(t.ty, t.tys, keyAt(src, i));
      if (k === NEVER) continue;
      if (k === SCAN) scan.push(i);
      else if (!exact.has(k)) exact.set(k, i);
    }
    return { exact, hashed: null, scan };
  }
  const width = t.tys!.length;
  const first = new Map<number, number>();
  const pos = new Int32Array(n);
  const next = new Int32Array(n).fill(-1);
  const comp = new Uint32Array(n * width);
  let slots = 0;
  elements: for (let i = 0; i < n; i++) {
    const k = classify(t.ty, t.tys, keyAt(src, i));
    if (k === NEVER) continue;
    if (k === SCAN) {
      scan.push(i);
      continue;
    }
    const ks = k as unknown[];
    const base = slots * width;
    let h = 0x811c9dc5;
    for (let j = 0; j < width; j++) {
      const c = enc(ks[j], true);
      if (c < 0) {
        scan.push(i); // not representable: matchOne decides
        continue elements;
      }
      comp[base + j] = c;
      h = mix(h, c);
    }
    // Same hash: walk the chain; an equal key already there is the first element with it.
    let sl = first.get(h);
    if (sl === undefined) first.set(h, slots);
    else {
      for (;;) {
        if (sameComp(comp, sl * width, base, width)) continue elements;
        if (next[sl] < 0) break;
        sl = next[sl];
      }
      next[sl] = slots;
    }
    pos[slots++] = i;
  }
  return { exact: null, hashed: { width, first, pos, next, comp }, scan };
}

function sameComp(comp: Uint32Array, a: number, b: number, width: number): boolean {
  for (let j = 0; j < width; j++) if (comp[a + j] !== comp[b + j]) return false;
  return true;
}

/** The position of the first element of `src` that matches `t`, or -1. */
export function lookup(src: Source, t: Typed, view: NftView, env: NfEnv): number {
  const sig = sigOf(t);
  const sk = sig ?? "";
  let ix = src.bySig.get(sk);
  if (!ix) src.bySig.set(sk, (ix = buildIndex(src, t)));
  let pos = -1;
  if (ix.exact) {
    const p = ix.exact.get(t.v);
    if (p !== undefined) pos = p;
  } else if (ix.hashed) pos = hashedFind(ix.hashed, t.v as Val[]);
  const scan = ix.scan;
  for (let j = 0; j < scan.length; j++) {
    const q = scan[j];
    if (pos >= 0 && q > pos) break;
    if (matchOne(t, keyAt(src, q), view, env)) return q;
  }
  return pos;
}

let scratch = new Uint32Array(8);

function hashedFind(hx: NonNullable<SetIndex["hashed"]>, vs: Val[]): number {
  const width = hx.width;
  if (scratch.length < width) scratch = new Uint32Array(width);
  const cs = scratch;
  let h = 0x811c9dc5;
  for (let j = 0; j < width; j++) {
    const c = enc(vs[j], false);
    if (c < 0) return -1;
    cs[j] = c;
    h = mix(h, c);
  }
  let sl = hx.first.get(h);
  const comp = hx.comp;
  while (sl !== undefined && sl >= 0) {
    const b = sl * width;
    let j = 0;
    while (j < width && comp[b + j] === cs[j]) j++;
    if (j === width) return hx.pos[sl];
    sl = hx.next[sl];
  }
  return -1;
}

/** `@name` in a match: the named set's elements, then (dynamic sets) the trace's members. */
function setHas(view: NftView, env: NfEnv, name: string, t: Typed): boolean {
  const s = view.sets.get(name);
  if (!s) throw new NftError(`set @${name} is not defined in table ${view.family} ${view.name}`);
  // Dynamic sets (kube-proxy's affinity-… sets) also hold what `update @set` added: the
  // per-trace affinity memory, keyed by the set's name like iptables' recent lists.
  const dyn = s.flags?.includes("dynamic") || name.startsWith("affinity-") ? env.recentList(name) : null;
  if (lookup(sourceOf(s, false), t, view, env) >= 0) return true;
  if (dyn) for (let i = 0; i < dyn.length; i++) if (matchOne(t, dyn[i], view, env)) return true;
  return false;
}

/** numgen vmap: the first element whose key is numerically `k`, or -1. */
export function numPos(src: Source, k: number): number {
  let m = src.byNum;
  if (!m) {
    m = new Map();
    for (let i = 0; i < src.len; i++) {
      const n = Number(keyAt(src, i));
      if (!Number.isNaN(n) && !m.has(n)) m.set(n, i);
    }
    src.byNum = m;
  }
  return m.get(k) ?? -1;
}

/** A statement, or a verdict map's value (an expression). */
export function verdictOf(v: NftStmt | NftExpr | undefined): { kind: string; target?: string } | null {
  // A list has none of these keys.
  if (!v || typeof v !== "object" || Array.isArray(v)) return null;
  // Only jump/goto's values have a target; the cast lets the others' (null, reject's options) read it as undefined.
  for (const k of ["accept", "drop", "return", "continue", "jump", "goto", "reject"] as const)
    if (k in v) return { kind: k, target: (v[k] as { target?: string } | null | undefined)?.target };
  return null;
}

export function nftRuleText(expr: NftStmt[]): string {
  return expr.map(stmtText).filter(Boolean).join(" ");
}

function exprText(e: NftExpr): string {
  if (e === null || e === undefined) return "";
  if (typeof e !== "object") return String(e);
  if (Array.isArray(e)) return `{ ${e.map(exprText).join(", ")} }`;
  if (e.payload) return `${e.payload.protocol} ${e.payload.field}`;
  if (e.meta) return `meta ${e.meta.key}`;
  if (e.ct) return `ct ${e.ct.key}`;
  if (e.fib) return `fib ${(e.fib.flags ?? []).join(" . ")} ${e.fib.result}`;
  if (e.concat) return e.concat.map(exprText).join(" . ");
  if (e.prefix) return `${e.prefix.addr}/${e.prefix.len}`;
  if (e.range) return `${exprText(e.range[0])}-${exprText(e.range[1])}`;
  // A pair whose value verdictOf reads is a verdict map's element: its value is a verdict.
  if (e.set)
    return `{ ${setItems(e as { set: unknown })
      .map((x) =>
        Array.isArray(x) && x.length === 2 && verdictOf(x[1])
          ? `${exprText(x[0])} : ${stmtText(x[1] as NftVerdict)}`
          : exprText(x),
      )
      .join(", ")} }`;
  if (e.numgen) return `numgen ${e.numgen.mode} mod ${e.numgen.mod}`;
  for (const op of ["&", "|", "^"] as const)
    if (e[op]) return `${exprText(e[op][0])} ${op === "&" ? "and" : op === "|" ? "or" : "xor"} ${exprText(e[op][1])}`;
  return JSON.stringify(e);
}

function stmtText(s: NftStmt): string {
  if (s.match) {
    const op = s.match.op === "==" || s.match.op === "in" ? "" : s.match.op + " ";
    return `${exprText(s.match.left)} ${op}${exprText(s.match.right)}`;
  }
  if ("counter" in s) return "counter";
  if ("accept" in s) return "accept";
  if ("drop" in s) return "drop";
  if ("return" in s) return "return";
  if (s.jump) return `jump ${s.jump.target}`;
  if (s.goto) return `goto ${s.goto.target}`;
  if ("reject" in s) return "reject";
  if (s.dnat) return `dnat to ${exprText(s.dnat.addr)}${s.dnat.port !== undefined ? ":" + exprText(s.dnat.port) : ""}`;
  if (s.snat) return `snat to ${exprText(s.snat.addr)}`;
  if ("masquerade" in s)
    return `masquerade${s.masquerade?.flags ? " " + ([] as string[]).concat(s.masquerade.flags).join(",") : ""}`;
  if (s.mangle) return `${exprText(s.mangle.key)} set ${exprText(s.mangle.value)}`;
  if (s.vmap) return `${exprText(s.vmap.key)} vmap ${exprText(s.vmap.data)}`;
  if (s.set) return `${s.set.op} ${s.set.set} { ${exprText(s.set.elem)} }`;
  if ("log" in s) return "log";
  if ("notrack" in s) return "notrack";
  if ("limit" in s) return "limit";
  return JSON.stringify(s);
}
