// Netfilter layers as the interpreter and the renderers both read them: the table order,
// the built-in chains, layers merged table by table, and compact tables (chains kept as
// functions, built on first access) with their lookups.

import type { IptChain, IptLayer, IptRule, IptTableName } from "./types.js";
import type { ByteText, TextOut } from "./text.js";

/** iptables-nft-save's table order. */
export const IPT_TABLE_ORDER: IptTableName[] = ["mangle", "security", "raw", "filter", "nat"];

export const BUILTIN_CHAINS: Record<IptTableName, string[]> = {
  raw: ["PREROUTING", "OUTPUT"],
  mangle: ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
  nat: ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
  filter: ["INPUT", "FORWARD", "OUTPUT"],
  security: ["INPUT", "FORWARD", "OUTPUT"],
};

export interface MergedTable {
  /** Chains in output order: built-ins, then user chains sorted. */
  chains: { name: string; builtin: boolean; policy?: string; rules: IptRule[] }[];
}

/** Merge layers: a chain exists when any layer declares it; rules concatenate in layer order. */
export function mergeIptables(layers: IptLayer[]): Map<IptTableName, MergedTable> {
  const out = new Map<IptTableName, MergedTable>();
  for (const table of IPT_TABLE_ORDER) {
    const parts: Record<string, IptChain>[] = [];
    for (const l of layers) {
      const t = l.tables[table];
      if (t) parts.push(t);
    }
    if (parts.length === 0) continue;
    const builtins = BUILTIN_CHAINS[table];
    const user = new Set<string>();
    for (const t of parts) for (const n of Object.keys(t)) if (!builtins.includes(n)) user.add(n);
    const chains: MergedTable["chains"] = [];
    const collect = (name: string, builtin: boolean) => {
      let policy: string | undefined;
      const rules: IptRule[] = [];
      for (const t of parts) {
        const c = t[name];
        if (!c) continue;
        if (policy === undefined && c.policy) policy = c.policy;
        for (const r of c.rules) rules.push(r);
      }
      chains.push({ name, builtin, policy: builtin ? (policy ?? "ACCEPT") : undefined, rules });
    };
    for (const b of builtins) collect(b, true);
    for (const n of [...user].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) collect(n, false);
    out.set(table, { chains });
  }
  return out;
}

/**
 * A table of a layer whose chains are partly held in a compact form (kube-proxy's ~700k
 * KUBE-SEP chains at the scalability thresholds): `layer.tables[table]` materialises
 * every chain on first access; renderIptables reads the compact form instead, building
 * each compact chain's rules only while it prints them. The layer stays read-only.
 */
export interface CompactChains {
  /** The chains kept as plain IptChain objects. */
  eager: Record<string, IptChain>;
  /** Names of the compact chains (none of them is in `eager`, no two equal); may be built on first access. */
  names: string[];
  /** Optional: the number of compact chains and chain i's name, read instead of `names`. */
  count?: number;
  name?(i: number): string;
  /** The rules of compact chain i (fresh objects, equal to the materialised ones). */
  rules(i: number): IptRule[];
  /** Optional: pushes compact chain i's `-A` lines to `out`, exactly as renderIptRule prints rules(i). */
  write?(i: number, out: TextOut): void;
  /**
   * Optional: a writer of the compact chains' text to `out`, called in name order: decl(i)
   * appends chain i's declaration line (":NAME - [0:0]\n"), rules(i) its `-A` lines
   * ("\n"-terminated, as renderIptRule prints rules(i)). Making the writer may first
   * append scratch text (pieces to copy later; the renderer's output starts after it).
   */
  writer?(out: ByteText): { decl(i: number): void; rules(i: number): void };
  /** Optional: the compact chains' indices in the code-unit order of their names. */
  order?(): Int32Array;
  /** Optional: the index of the compact chain named `name`, -1 if none (else looked up in `names`). */
  indexOf?(name: string): number;
}

const compactTables = new WeakMap<IptLayer, Partial<Record<IptTableName, CompactChains>>>();

/** Declares `layer.tables[table]` as compact (see CompactChains); `materialise` builds the plain record. */
/** The compact tables a layer declared (renderers read them instead of materialising). */
export function compactTablesOf(layer: IptLayer): Partial<Record<IptTableName, CompactChains>> | undefined {
  return compactTables.get(layer);
}

export function defineCompactTable(
  layer: IptLayer,
  table: IptTableName,
  cc: CompactChains,
  materialise: () => Record<string, IptChain>,
): void {
  let m = compactTables.get(layer);
  if (!m) compactTables.set(layer, (m = {}));
  m[table] = cc;
  let plain: Record<string, IptChain> | undefined;
  Object.defineProperty(layer.tables, table, {
    enumerable: true,
    configurable: true,
    get: () => (plain ??= materialise()),
  });
}

const compactIndexes = new WeakMap<CompactChains, Map<string, number>>();

/** The index of compact chain `name`, -1 if none. */
function compactIndex(cc: CompactChains, name: string): number {
  if (cc.indexOf) return cc.indexOf(name);
  let m = compactIndexes.get(cc);
  if (!m) {
    m = new Map();
    cc.names.forEach((n, i) => m!.set(n, i));
    compactIndexes.set(cc, m);
  }
  return m.get(name) ?? -1;
}

/** Is `layer.tables[table]` compact (see defineCompactTable)? */
export function isCompactTable(layer: IptLayer, table: IptTableName): boolean {
  return compactTables.get(layer)?.[table] !== undefined;
}

/** Is `name` one of the layer's compact (built on demand) chains in `table`, not an eager one? */
export function isCompactChain(layer: IptLayer, table: IptTableName, name: string): boolean {
  const cc = compactTables.get(layer)?.[table];
  return cc !== undefined && !Object.hasOwn(cc.eager, name) && compactIndex(cc, name) >= 0;
}

/** Does the layer declare chain `name` in `table`? (A compact table is not materialised.) */
export function layerHasChain(layer: IptLayer, table: IptTableName, name: string): boolean {
  const cc = compactTables.get(layer)?.[table];
  if (!cc) {
    const t = layer.tables[table];
    return t !== undefined && Object.hasOwn(t, name);
  }
  return Object.hasOwn(cc.eager, name) || compactIndex(cc, name) >= 0;
}

/** The layer's chain `name` in `table`; a compact table's compact chain is built afresh (equal to the materialised one). */
export function layerChain(layer: IptLayer, table: IptTableName, name: string): IptChain | undefined {
  const cc = compactTables.get(layer)?.[table];
  if (!cc) {
    const t = layer.tables[table];
    return t !== undefined && Object.hasOwn(t, name) ? t[name] : undefined;
  }
  if (Object.hasOwn(cc.eager, name)) return cc.eager[name];
  const i = compactIndex(cc, name);
  return i < 0 ? undefined : { name, rules: cc.rules(i) };
}
