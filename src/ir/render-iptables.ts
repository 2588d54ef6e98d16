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

function renderOpts(opts: IptOpt[] | undefined, out: string[]): void {
  if (!opts) return;
  for (const o of opts) {
    if (o.neg) out.push("!");
    out.push(o.opt);
    for (const a of o.args) out.push(quoteArg(a));
  }
}

/** One rule as `-A CHAIN …`. */
export function renderIptRule(chain: string, r: IptRule): string {
  const parts: string[] = ["-A", chain];
  renderOpts(r.opts, parts);
  if (r.target !== undefined) {
    parts.push(r.goto ? "-g" : "-j", r.target);
    renderOpts(r.targetOpts, parts);
  }
  return parts.join(" ");
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

/** The iptables-save text of the merged layers. */
export function renderIptables(layers: IptLayer[]): string {
  const lines: string[] = [];
  for (const [table, t] of mergeIptables(layers)) {
    lines.push("*" + table);
    for (const c of t.chains) lines.push(c.builtin ? `:${c.name} ${c.policy} [0:0]` : `:${c.name} - [0:0]`);
    for (const c of t.chains) for (const r of c.rules) lines.push(renderIptRule(c.name, r));
    lines.push("COMMIT");
  }
  return lines.length ? lines.join("\n") + "\n" : "";
}
