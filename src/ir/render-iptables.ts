// IptLayer[] → the text `iptables-save` prints (and `iptables-restore` loads): per table
// `*nat` … `COMMIT`, built-in chains with their policy, user chains sorted by name (as
// iptables-save lists them), then the rules chain by chain in that order. Layers merge
// as ir/types.ts says. Rules keep their own argument order (kube-proxy's restore input).

import type { IptChain, IptLayer, IptOpt, IptRule, IptTableName } from "./types.js";

/** iptables-nft-save's table order. */
export const IPT_TABLE_ORDER: IptTableName[] = ["mangle", "security", "raw", "filter", "nat"];

export const BUILTIN_CHAINS: Record<IptTableName, string[]> = {
  raw: ["PREROUTING", "OUTPUT"],
  mangle: ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
  nat: ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
  filter: ["INPUT", "FORWARD", "OUTPUT"],
  security: ["INPUT", "FORWARD", "OUTPUT"],
};

const SAFE = /^[A-Za-z0-9_.:\/,=+@%!-]+$/;

/** An argument as iptables-restore's tokenizer reads it back. */
export function quoteArg(s: string): string {
  if (SAFE.test(s)) return s;
  return '"' + s.replace(/(["\\])/g, "\\$1") + '"';
}

// Frozen options are shared by many rules (`-m comment`, `-m tcp`): render them once.
const frozenText = new WeakMap<IptOpt, string>();

function optText(o: IptOpt): string {
  let s = o.neg ? " ! " + o.opt : " " + o.opt;
  for (const a of o.args) s += " " + (SAFE.test(a) ? a : quoteArg(a));
  return s;
}

const frozenListText = new WeakMap<IptOpt[], string>();

function optsText(opts: IptOpt[] | undefined): string {
  if (!opts) return "";
  if (Object.isFrozen(opts)) {
    let t = frozenListText.get(opts);
    if (t === undefined) frozenListText.set(opts, (t = optsText0(opts)));
    return t;
  }
  return optsText0(opts);
}

function optsText0(opts: IptOpt[]): string {
  let s = "";
  for (const o of opts) {
    if (Object.isFrozen(o)) {
      let t = frozenText.get(o);
      if (t === undefined) frozenText.set(o, (t = optText(o)));
      s += t;
    } else s += optText(o);
  }
  return s;
}

/** One rule as `-A CHAIN …`. */
export function renderIptRule(chain: string, r: IptRule): string {
  let s = "-A " + chain + optsText(r.opts);
  if (r.target !== undefined) s += (r.goto ? " -g " : " -j ") + r.target + optsText(r.targetOpts);
  return s;
}

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
      chains.push({ name, builtin, policy: builtin ? policy ?? "ACCEPT" : undefined, rules });
    };
    for (const b of builtins) collect(b, true);
    for (const n of [...user].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) collect(n, false);
    out.set(table, { chains });
  }
  return out;
}

/** The iptables-save text of the merged layers (rendered without copying the layers). */
export function renderIptables(layers: IptLayer[]): string {
  const out = new ChunkedText();
  for (const table of IPT_TABLE_ORDER) {
    const parts: Record<string, IptChain>[] = [];
    for (const l of layers) {
      const t = l.tables[table];
      if (t) parts.push(t);
    }
    if (parts.length === 0) continue;
    const builtins = BUILTIN_CHAINS[table];
    const isBuiltin = new Set(builtins);
    let names: string[];
    if (parts.length === 1) names = Object.keys(parts[0]).filter((n) => !isBuiltin.has(n));
    else {
      const user = new Set<string>();
      for (const t of parts) for (const n of Object.keys(t)) if (!isBuiltin.has(n)) user.add(n);
      names = [...user];
    }
    names.sort(); // code-unit order, as iptables-save (strcmp) lists them
    out.push("*" + table);
    for (const b of builtins) {
      let policy: string | undefined;
      for (const t of parts) if (policy === undefined && t[b]?.policy) policy = t[b].policy;
      out.push(`:${b} ${policy ?? "ACCEPT"} [0:0]`);
    }
    for (const n of names) out.push(":" + n + " - [0:0]");
    for (const list of [builtins, names])
      for (const n of list)
        for (const t of parts) {
          const c = t[n];
          if (c) for (const r of c.rules) out.push(renderIptRule(n, r));
        }
    out.push("COMMIT");
  }
  return out.text();
}

/** Lines joined in chunks: the per-line strings die young instead of being promoted
 *  (at 600k lines that halves the time spent in the garbage collector). */
export class ChunkedText {
  private chunks: string[] = [];
  private lines: string[] = [];
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length >= 2048) this.flush();
  }
  private flush(): void {
    if (this.lines.length) this.chunks.push(this.lines.join("\n") + "\n");
    this.lines = [];
  }
  text(): string {
    this.flush();
    return this.chunks.join("");
  }
}
