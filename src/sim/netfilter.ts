// Netfilter per namespace: iptables tables and nftables base chains merged from the
// IR's layers and evaluated in the kernel's priority order per hook.
//   raw -300, conntrack -200, mangle -150, nat(dst) -100, filter 0, security 50, nat(src) 100
// NAT chains (iptables nat table, nft `type nat`) see only the first packet of a connection.

import type { IptChain, IptTableName, NetNs, NftChain, NftSet, NftTable } from "../ir/types.js";
import { compileSegment, type CompiledRule, type Segment } from "./iptables.js";
import type { NfEnv, NfVerdict } from "./nfenv.js";
import { evalNftChain, type NftView } from "./nftables.js";
import type { Step, StepObject } from "./trace.js";

export type Hook = "PREROUTING" | "INPUT" | "FORWARD" | "OUTPUT" | "POSTROUTING";

type BaseRef =
  | { kind: "ipt"; table: IptTableName; prio: number; nat: boolean }
  | { kind: "nft"; table: NftView; chain: NftChain; prio: number; nat: boolean };

const IPT_PRIO: Record<Hook, [IptTableName, number][]> = {
  PREROUTING: [["raw", -300], ["mangle", -150], ["nat", -100]],
  INPUT: [["mangle", -150], ["filter", 0], ["security", 50], ["nat", 100]],
  FORWARD: [["mangle", -150], ["filter", 0], ["security", 50]],
  OUTPUT: [["raw", -300], ["mangle", -150], ["nat", -100], ["filter", 0], ["security", 50]],
  POSTROUTING: [["mangle", -150], ["nat", 100]],
};

export interface NsNetfilter {
  hooks: Record<Hook, BaseRef[]>;
  iptChain(table: IptTableName, name: string): Segment[] | undefined;
  hasIptables: boolean;
}

const nsCache = new WeakMap<NetNs, NsNetfilter>();

export function netfilterOf(ns: NetNs): NsNetfilter {
  const hit = nsCache.get(ns);
  if (hit) return hit;
  const nf = ns.netfilter;
  const layers = nf?.iptables ?? [];
  const chainCache = new Map<string, Map<string, Segment[] | null>>();
  const iptChain = (table: IptTableName, name: string): Segment[] | undefined => {
    let tc = chainCache.get(table);
    if (!tc) chainCache.set(table, (tc = new Map()));
    const hit = tc.get(name);
    if (hit !== undefined) return hit ?? undefined;
    const segs: Segment[] = [];
    let offset = 0;
    for (const l of layers) {
      const c: IptChain | undefined = l.tables[table]?.[name];
      if (!c) continue;
      const s = compileSegment(c);
      // Every field present from the start (one object shape for all segments).
      segs.push({ ...s, layer: l.owner, offset, objs: [], policy: /polic/i.test(l.owner), say: [], jump: [], sub: [] });
      offset += s.rules.length;
    }
    const out = segs.length ? segs : null;
    tc.set(name, out);
    return out ?? undefined;
  };
  const hooks: Record<Hook, BaseRef[]> = { PREROUTING: [], INPUT: [], FORWARD: [], OUTPUT: [], POSTROUTING: [] };
  for (const hook of Object.keys(hooks) as Hook[]) {
    for (const [table, prio] of IPT_PRIO[hook]) {
      if (layers.some((l) => l.tables[table]?.[hook])) hooks[hook].push({ kind: "ipt", table, prio, nat: table === "nat" });
    }
  }
  // nftables: merge tables by family+name, chains and sets by name.
  const merged = new Map<string, NftView>();
  for (const layer of nf?.nftables ?? []) {
    for (const t of layer.tables) {
      if (t.family !== "ip" && t.family !== "inet") continue;
      const key = t.family + " " + t.name;
      let v = merged.get(key);
      if (!v) {
        v = { family: t.family, name: t.name, chains: new Map(), sets: new Map(), owners: new Map() };
        merged.set(key, v);
      }
      mergeNft(v, t, layer.owner);
    }
  }
  for (const v of merged.values()) {
    for (const c of v.chains.values()) {
      if (!c.hook || c.hook === "ingress") continue;
      const hook = c.hook.toUpperCase() as Hook;
      hooks[hook].push({ kind: "nft", table: v, chain: c, prio: c.prio ?? 0, nat: c.type === "nat" });
    }
  }
  for (const h of Object.keys(hooks) as Hook[]) hooks[h].sort((a, b) => a.prio - b.prio);
  const out: NsNetfilter = { hooks, iptChain, hasIptables: layers.length > 0 };
  nsCache.set(ns, out);
  return out;
}

function mergeNft(v: NftView, t: NftTable, owner: string): void {
  for (const [name, c] of Object.entries(t.chains)) {
    const prev = v.chains.get(name);
    if (!prev) {
      v.chains.set(name, c);
      v.owners.set(name, owner);
    } else {
      v.chains.set(name, { ...prev, ...(prev.hook ? {} : { hook: c.hook, type: c.type, prio: c.prio }), policy: prev.policy ?? c.policy, rules: [...prev.rules, ...c.rules] });
    }
  }
  for (const [name, s] of Object.entries(t.sets)) {
    const prev = v.sets.get(name);
    v.sets.set(name, prev ? ({ ...prev, elem: [...prev.elem, ...s.elem] } as NftSet) : s);
  }
}

/** Evaluate one hook. `natAllowed`: the connection is NEW (nat chains run). Returns the verdict and the steps. */
export function runHook(ns: NetNs, hook: Hook, env: NfEnv, natAllowed: boolean, from?: number, to?: number): NfVerdict {
  const nf = netfilterOf(ns);
  const steps: Step[] = [];
  for (const b of nf.hooks[hook]) {
    if (from !== undefined && b.prio < from) continue;
    if (to !== undefined && b.prio >= to) continue;
    if (b.nat && !natAllowed) continue;
    if (b.kind === "ipt") {
      const r = evalIptBuiltin(nf, b.table, hook, env, steps);
      if (r.verdict !== "accept") return { verdict: r.verdict, object: r.object, steps };
    } else {
      const r = evalNftChain(b.table, b.chain, env, steps);
      if (r.verdict !== "accept") return { verdict: r.verdict, object: r.object, steps, ...(r.detail ? { detail: r.detail } : {}) };
    }
  }
  return { verdict: "accept", steps };
}

const NONE: number[] = [];

type ChainResult = { v: "accept" | "drop" | "reject" | "return"; object?: StepObject };

function evalIptBuiltin(nf: NsNetfilter, table: IptTableName, hook: Hook, env: NfEnv, steps: Step[]): { verdict: "accept" | "drop" | "reject"; object?: StepObject } {
  const segs = nf.iptChain(table, hook);
  if (!segs) return { verdict: "accept" };
  const r = evalIptChain(nf, table, hook, segs, env, steps, 0);
  if (r.v === "return") {
    const policy = segs.find((s) => s.chain.policy)?.chain.policy ?? "ACCEPT";
    if (policy === "DROP") {
      const object: StepObject = { kind: "rule", text: `:${hook} DROP`, table, chain: hook };
      steps.push({ action: "NETFILTER", detail: `${table} ${hook}: policy DROP`, object, packet: env.view() });
      return { verdict: "drop", object };
    }
    return { verdict: "accept" };
  }
  return { verdict: r.v, object: r.object };
}

function objOf(table: string, chain: string, seg: Segment, i: number, cr: CompiledRule): StepObject {
  // One object per rule of this namespace's chain, shared by every step that shows it (read-only).
  const objs = (seg.objs ??= []);
  return (objs[i] ??= objMake(table, chain, seg, i, cr));
}
function objMake(table: string, chain: string, seg: Segment, i: number, cr: CompiledRule): StepObject {
  const o: StepObject = { kind: "rule", text: cr.text, table, chain, index: seg.offset + i, layer: seg.layer };
  if (cr.rule.line !== undefined) o.line = cr.rule.line;
  return o;
}

function isPolicyLayer(seg: Segment): boolean {
  return (seg.policy ??= /polic/i.test(seg.layer));
}

/** "TABLE CHAIN: "comment" → ", the same for every step of this rule. */
function sayPrefix(table: string, chain: string, seg: Segment, i: number, cr: CompiledRule): string {
  const a = (seg.say ??= []);
  return (a[i] ??= `${table} ${chain}: ${cr.comment ? JSON.stringify(cr.comment) + " " : ""}→ `);
}

/** A matched jump/goto: evaluate the target chain; a result means "stop this chain with it". */
function jumpTo(nf: NsNetfilter, table: IptTableName, chain: string, seg: Segment, idx: number, cr: CompiledRule, env: NfEnv, steps: Step[], depth: number): ChainResult | null {
  const t = cr.target;
  const subs = (seg.sub ??= []);
  const sub = (subs[idx] ??= nf.iptChain(table, t.chain!));
  if (!sub) throw new Error(`iptables: ${table} ${chain} jumps to missing chain ${t.chain}`);
  const subSteps: Step[] = [];
  const pre = env.snapshot();
  const r = evalIptChain(nf, table, t.chain!, sub, env, subSteps, depth + 1);
  if (r.v !== "return" || subSteps.length || env.verbose) {
    const action = isPolicyLayer(seg) ? "POLICY" : "NETFILTER";
    const jd = (seg.jump ??= []);
    const detail = (jd[idx] ??= `${sayPrefix(table, chain, seg, idx, cr)}${t.kind === "goto" ? "goto" : "jump"} ${t.chain}`);
    steps.push({ action, detail, object: objOf(table, chain, seg, idx, cr), packet: pre() });
    for (let k = 0; k < subSteps.length; k++) steps.push(subSteps[k]);
  }
  if (r.v !== "return") return r;
  if (t.kind === "goto") return { v: "return" };
  return null;
}

function evalIptChain(nf: NsNetfilter, table: IptTableName, chain: string, segs: Segment[], env: NfEnv, steps: Step[], depth: number): ChainResult {
  if (depth > 64) throw new Error(`iptables: jump depth exceeded in ${table} ${chain} (a loop?)`);
  let declined = false;
  for (const seg of segs) {
    const rules = seg.rules;
    let i = 0;
    let cand: number[] | null = null;
    let ci = 0;
    let runEnd = 0;
    while (true) {
      let idx: number;
      if (cand) {
        if (ci < cand.length) idx = cand[ci++];
        else {
          cand = null;
          i = runEnd;
          continue;
        }
      } else {
        if (i >= rules.length) break;
        const rr = seg.randomRuns.size ? seg.randomRuns.get(i) : undefined;
        if (rr) {
          // One n-way random branch for the whole run (see RandomRun).
          const k = env.choose(rr.options, `${chain} random`);
          const at = rr.idx[k];
          if (at < 0) {
            i = rr.end;
            continue;
          }
          idx = at;
          i = at + 1;
          const cr = rules[idx];
          const r = jumpTo(nf, table, chain, seg, idx, cr, env, steps, depth);
          if (r) return r;
          continue;
        }
        const run = seg.runs.size ? seg.runs.get(i) : undefined;
        if (run) {
          const p = env.pkt;
          cand = p.proto === "tcp" || p.proto === "udp" || p.proto === "sctp" ? (run.byKey.get(`${run.anyDst ? "*" : p.dst}/${p.proto}/${p.dport}`) ?? NONE) : NONE;
          ci = 0;
          runEnd = run.end;
          continue;
        }
        idx = i++;
      }
      const cr = rules[idx];
      let ok = true;
      for (const m of cr.pure) if (!m(env)) { ok = false; break; }
      if (ok) for (const m of cr.effectful) if (!m(env)) { ok = false; break; }
      if (!ok) {
        if (cr.random) declined = true;
        continue;
      }
      if (declined && !cr.random && (cr.target.kind === "jump" || cr.target.kind === "goto")) {
        env.noteChoice(`${chain}: ${cr.target.chain} (the remaining branch)`);
        declined = false;
      }
      const t = cr.target;
      const obj = () => objOf(table, chain, seg, idx, cr);
      const action = isPolicyLayer(seg) ? "POLICY" : "NETFILTER";
      const say = (what: string) => sayPrefix(table, chain, seg, idx, cr) + what;
      switch (t.kind) {
        case "none":
          break;
        case "accept":
          if (env.verbose || table !== "nat") steps.push({ action, detail: say("ACCEPT"), object: obj(), packet: env.view() });
          return { v: "accept", object: obj() };
        case "drop":
          steps.push({ action, detail: say("DROP"), object: obj(), packet: env.view() });
          return { v: "drop", object: obj() };
        case "reject":
          steps.push({ action, detail: say(`REJECT (${t.rejectWith})`), object: obj(), packet: env.view() });
          return { v: "reject", object: obj() };
        case "return":
          if (env.verbose) steps.push({ action, detail: say("RETURN"), object: obj(), packet: env.view() });
          return { v: "return" };
        case "jump":
        case "goto": {
          const r = jumpTo(nf, table, chain, seg, idx, cr, env, steps, depth);
          if (r) return r;
          break;
        }
        case "dnat":
        case "snat":
        case "masquerade": {
          const detail = env.nat({ kind: t.kind, addr: t.addr, port: t.port, object: obj() });
          steps.push({ action: "NAT", detail: say(`${t.kind.toUpperCase()} ${detail}`), object: obj(), packet: env.view() });
          return { v: "accept", object: obj() };
        }
        case "mark": {
          env.pkt.mark = (((env.pkt.mark & ~t.mask!) >>> 0) ^ t.xor!) >>> 0;
          steps.push({ action, detail: say(`MARK (mark now 0x${env.pkt.mark.toString(16)})`), object: obj(), packet: env.view() });
          break;
        }
        case "connmark": {
          if (t.connmark === "save") env.ctMark = env.pkt.mark;
          else if (t.connmark === "restore") env.pkt.mark = env.ctMark;
          else env.ctMark = (((env.ctMark & ~t.mask!) >>> 0) ^ t.xor!) >>> 0;
          steps.push({ action, detail: say("CONNMARK"), object: obj(), packet: env.view() });
          break;
        }
        case "log":
          steps.push({ action, detail: say("LOG"), object: obj(), packet: env.view() });
          break;
        case "notrack":
          env.notrack = true;
          steps.push({ action, detail: say("NOTRACK"), object: obj(), packet: env.view() });
          break;
      }
    }
  }
  return { v: "return" };
}

export { nsCache as _nsCache };
export type { NftView };
