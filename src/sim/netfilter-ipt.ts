// iptables chain evaluation: a built-in chain's rules in order, jumps into the chains they
// name (resolved per namespace: segments are shared), and the targets of matched rules.

import type { DropTag, IptTableName } from "../ir/types.js";
import { isCompactChain } from "../ir/compact.js";
import { matchesPure, ruleText, runKey, type CompiledRule, type Segment } from "./iptables.js";
import type { NfEnv } from "./nfenv.js";
import type { Step, StepObject } from "./trace.js";
import { makePkt, viewOf, type Pkt } from "./packet.js";
import { compactSegs, tableIndex, type CompactRef } from "./netfilter-segments.js";

export type Hook = "PREROUTING" | "INPUT" | "FORWARD" | "OUTPUT" | "POSTROUTING";

/** What chain evaluation needs of a namespace's netfilter view (NsNetfilter in netfilter.ts). */
export interface IptNs {
  iptChain(table: IptTableName, name: string): Segment[] | undefined;
  /** Resolved jumps by slot (see jump slots); null: the target chain does not exist here. */
  jumps: (Segment[] | null | undefined)[];
  /**
   * Per table (tableIndex): the compact chains of the layer whose compact chains are this
   * namespace's chains of those names (see soleCompact); null: none, or not alone.
   */
  sole: (CompactRef | null)[];
}

/**
 * Jump slots: a jump rule of a shared (non-compact) segment gets a small number, and each
 * namespace keeps its resolution of that jump in an array at that number: a jump costs an
 * array read instead of a Map lookup by chain name. Such rules are few (the built-in chains
 * and the small chains they call, shared by text across nodes); past JUMP_SLOTS_MAX the Map
 * lookup is used.
 */
let nextJumpSlot = 0;
const JUMP_SLOTS_MAX = 512;

const NONE: number[] = [];

/** `drop`: what a drop/reject stands for (its rule's tag, or its layer's role). */
type ChainResult = { v: "accept" | "drop" | "reject" | "return"; object?: StepObject; drop?: DropTag };

const ACCEPTED: { verdict: "accept" } = { verdict: "accept" };

export function evalIptBuiltin(
  table: IptTableName,
  segs: Segment[] | null,
  dropPolicy: boolean,
  nf: IptNs,
  hook: Hook,
  env: NfEnv,
  steps: Step[],
): { verdict: "accept" | "drop" | "reject"; object?: StepObject; drop?: DropTag } {
  if (!segs) return ACCEPTED;
  const r = evalIptChain(nf, table, hook, segs, env, steps, 0);
  if (r.v === "return") {
    // The policy of the first layer that sets one (kept on the hook's entry).
    if (dropPolicy) {
      const object: StepObject = { kind: "rule", text: `:${hook} DROP`, table, chain: hook };
      steps.push({ action: "NETFILTER", detail: `${table} ${hook}: policy DROP`, object, packet: env.view() });
      return { verdict: "drop", object };
    }
    return ACCEPTED;
  }
  return { verdict: r.v, object: r.object, drop: r.drop };
}

function objOf(table: string, chain: string, seg: Segment, i: number, cr: CompiledRule): StepObject {
  // One object per rule of this (shared) segment, reused by every step that shows it (read-only).
  const objs = (seg.objs ??= []);
  return (objs[i] ??= objMake(table, chain, seg, i, cr));
}
function objMake(table: string, chain: string, seg: Segment, i: number, cr: CompiledRule): StepObject {
  const o: StepObject = {
    kind: "rule",
    text: ruleText(cr.chain, cr.rule),
    table,
    chain,
    index: seg.offset + i,
    layer: seg.layer,
  };
  if (cr.rule.line !== undefined) o.line = cr.rule.line;
  return o;
}

function isPolicyLayer(seg: Segment): boolean {
  return seg.policy === true;
}

const POLICY_DENIED: DropTag = Object.freeze({ reason: "POLICY_DENIED" });

/** What a drop/reject by this rule stands for: its own tag, else a policy layer's drop. */
function dropTag(seg: Segment, cr: CompiledRule): DropTag | undefined {
  return cr.rule.drop ?? (seg.policy ? POLICY_DENIED : undefined);
}

/** "TABLE CHAIN: "comment" → ", the same for every step of this rule. */
function sayPrefix(table: string, chain: string, seg: Segment, i: number, cr: CompiledRule): string {
  const a = (seg.say ??= []);
  return (a[i] ??= `${table} ${chain}: ${cr.comment ? JSON.stringify(cr.comment) + " " : ""}→ `);
}

/**
 * The chain a jump rule of `seg` leads to in this namespace. Segments are shared by every
 * namespace, so the target is resolved per namespace (it may differ): a compact chain of the
 * layer that alone owns them here is remembered on the rule (soleCompact); other targets by
 * jump slot, past the slots by name.
 */
function jumpTarget(
  nf: IptNs,
  table: IptTableName,
  seg: Segment,
  idx: number,
  cr: CompiledRule,
  name: string,
): Segment[] | undefined {
  const sole = nf.sole[tableIndex(table)];
  const cs = cr.csub;
  if (cs !== undefined && !cs[0].evicted && sole === cr.cl) return cs;
  const jid = seg.jid;
  let slot = jid ? jid[idx] : undefined;
  // cr.cl null: the target was found not to be a compact chain (a hint only: the lookup below is always right).
  if (slot === undefined && cr.cl !== null && sole && isCompactChain(sole.layer, table, name)) {
    cr.csub = compactSegs(sole, name);
    cr.cl = sole;
    return cr.csub;
  }
  if (cr.csub === undefined) cr.cl = null;
  if (jid && slot === undefined && nextJumpSlot < JUMP_SLOTS_MAX) slot = jid[idx] = nextJumpSlot++;
  if (slot === undefined) return nf.iptChain(table, name);
  let res = nf.jumps[slot];
  if (res === undefined) res = nf.jumps[slot] = nf.iptChain(table, name) ?? null;
  return res ?? undefined;
}

/** A matched jump/goto: evaluate the target chain; a result means "stop this chain with it". */
function jumpTo(
  nf: IptNs,
  table: IptTableName,
  chain: string,
  seg: Segment,
  idx: number,
  cr: CompiledRule,
  env: NfEnv,
  steps: Step[],
  depth: number,
): ChainResult | null {
  const t = cr.target;
  const sub = jumpTarget(nf, table, seg, idx, cr, t.chain!);
  if (!sub) throw new Error(`iptables: ${table} ${chain} jumps to missing chain ${t.chain}`);
  // An empty chain returns at once and says nothing (KUBE-PROXY-FIREWALL & co. mostly are).
  if (sub.length === 1 && sub[0].rules.length === 0 && !env.verbose) return t.kind === "goto" ? RETURN : null;
  // The jump's own step goes before the sub-chain's, and only if the sub-chain decided or
  // said something (most jumps into KUBE-SERVICES & co. return silently): a placeholder,
  // filled in or popped after (a pop is cheap; splicing the step in was not).
  const at = steps.length;
  steps.push(HOLD);
  const p = env.pkt;
  const src = p.src,
    dst = p.dst,
    sport = p.sport,
    dport = p.dport,
    mark = p.mark;
  const r = evalIptChain(nf, table, t.chain!, sub, env, steps, depth + 1);
  if (r.v === "return" && steps.length === at + 1 && !env.verbose) steps.pop();
  else {
    const action = isPolicyLayer(seg) ? "POLICY" : "NETFILTER";
    const jd = (seg.jump ??= []);
    const detail = (jd[idx] ??=
      `${sayPrefix(table, chain, seg, idx, cr)}${t.kind === "goto" ? "goto" : "jump"} ${t.chain}`);
    // The packet as it entered the sub-chain (a NAT or MARK in it changed it since).
    const same = p.src === src && p.dst === dst && p.sport === sport && p.dport === dport && p.mark === mark;
    const packet = same ? env.view() : entryView(p, src, dst, sport, dport, mark);
    steps[at] = { action, detail, object: objOf(table, chain, seg, idx, cr), packet };
  }
  if (r.v !== "return") return r;
  if (t.kind === "goto") return RETURN;
  return null;
}

/**
 * The view of `p` with the header values it had entering a sub-chain. Nested jumps that see
 * one NAT (PREROUTING → KUBE-SERVICES → KUBE-SVC → KUBE-SEP's DNAT) all show the packet as it
 * was before it: one view for them (the last one made is kept; the walk is synchronous).
 */
let entry: { p: Pkt; copy: Pkt; v: Step["packet"] } | undefined;
function entryView(p: Pkt, src: number, dst: number, sport: number, dport: number, mark: number): Step["packet"] {
  const e = entry;
  if (e && e.p === p) {
    const c = e.copy;
    if (
      c.src === src &&
      c.dst === dst &&
      c.sport === sport &&
      c.dport === dport &&
      c.mark === mark &&
      c.proto === p.proto &&
      c.ttl === p.ttl &&
      c.size === p.size &&
      c.df === p.df &&
      c.inner === p.inner &&
      c.vni === p.vni &&
      c.l2dst === p.l2dst
    )
      return e.v;
  }
  const copy = makePkt({
    src,
    dst,
    proto: p.proto,
    sport,
    dport,
    ttl: p.ttl,
    size: p.size,
    df: p.df,
    mark,
    inner: p.inner,
    vni: p.vni,
    l2dst: p.l2dst,
  });
  const v = viewOf(copy);
  entry = { p, copy, v };
  return v;
}

/** jumpTo's placeholder (a Step's shape: the steps array keeps one element kind). */
const HOLD: Step = {
  action: "NETFILTER",
  detail: "",
  object: undefined,
  packet: undefined as unknown as Step["packet"],
};

function evalIptChain(
  nf: IptNs,
  table: IptTableName,
  chain: string,
  segs: Segment[],
  env: NfEnv,
  steps: Step[],
  depth: number,
): ChainResult {
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
        const rr = seg.randomAt !== undefined ? seg.randomAt[i] : undefined;
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
        const run = seg.runAt !== undefined ? seg.runAt[i] : undefined;
        if (run) {
          const p = env.pkt;
          const key = runKey(run.anyDst ? 0 : p.dst, p.proto, p.dport);
          cand = key >= 0 ? (run.byKey.get(key) ?? NONE) : NONE;
          ci = 0;
          runEnd = run.end;
          continue;
        }
        idx = i++;
      }
      const cr = rules[idx];
      let ok = matchesPure(cr, env);
      if (ok)
        for (const m of cr.effectful)
          if (!m(env)) {
            ok = false;
            break;
          }
      if (!ok) {
        if (cr.random) declined = true;
        continue;
      }
      if (declined && !cr.random && (cr.target.kind === "jump" || cr.target.kind === "goto")) {
        env.noteChoice(`${chain}: ${cr.target.chain} (the remaining branch)`);
        declined = false;
      }
      // No closures in this loop: a closure over the loop's block-scoped idx/cr made V8
      // allocate a context on every iteration, matched or not (14 KB per path, measured).
      const r = applyTarget(nf, table, chain, seg, idx, cr, env, steps, depth);
      if (r) return r;
    }
  }
  return RETURN;
}

const RETURN: ChainResult = { v: "return" };

/** A matched rule's target: a result stops the chain with it, null goes on with the next rule. */
function applyTarget(
  nf: IptNs,
  table: IptTableName,
  chain: string,
  seg: Segment,
  idx: number,
  cr: CompiledRule,
  env: NfEnv,
  steps: Step[],
  depth: number,
): ChainResult | null {
  const t = cr.target;
  const action = isPolicyLayer(seg) ? "POLICY" : "NETFILTER";
  switch (t.kind) {
    case "none":
      return null;
    case "accept":
      if (env.verbose || table !== "nat")
        steps.push({
          action,
          detail: sayPrefix(table, chain, seg, idx, cr) + "ACCEPT",
          object: objOf(table, chain, seg, idx, cr),
          packet: env.view(),
        });
      return { v: "accept", object: objOf(table, chain, seg, idx, cr), drop: undefined };
    case "drop":
      steps.push({
        action,
        detail: sayPrefix(table, chain, seg, idx, cr) + "DROP",
        object: objOf(table, chain, seg, idx, cr),
        packet: env.view(),
      });
      return { v: "drop", object: objOf(table, chain, seg, idx, cr), drop: dropTag(seg, cr) };
    case "reject":
      steps.push({
        action,
        detail: sayPrefix(table, chain, seg, idx, cr) + `REJECT (${t.rejectWith})`,
        object: objOf(table, chain, seg, idx, cr),
        packet: env.view(),
      });
      return { v: "reject", object: objOf(table, chain, seg, idx, cr), drop: dropTag(seg, cr) };
    case "return":
      if (env.verbose)
        steps.push({
          action,
          detail: sayPrefix(table, chain, seg, idx, cr) + "RETURN",
          object: objOf(table, chain, seg, idx, cr),
          packet: env.view(),
        });
      return RETURN;
    case "jump":
    case "goto":
      return jumpTo(nf, table, chain, seg, idx, cr, env, steps, depth);
    case "dnat":
    case "snat":
    case "masquerade": {
      const obj = objOf(table, chain, seg, idx, cr);
      const detail = env.nat({ kind: t.kind, addr: t.addr, port: t.port, object: obj });
      steps.push({
        action: "NAT",
        detail: sayPrefix(table, chain, seg, idx, cr) + `${t.kind.toUpperCase()} ${detail}`,
        object: obj,
        packet: env.view(),
      });
      return { v: "accept", object: obj, drop: undefined };
    }
    case "mark":
      env.pkt.mark = (((env.pkt.mark & ~t.mask!) >>> 0) ^ t.xor!) >>> 0;
      steps.push({
        action,
        detail: sayPrefix(table, chain, seg, idx, cr) + `MARK (mark now 0x${env.pkt.mark.toString(16)})`,
        object: objOf(table, chain, seg, idx, cr),
        packet: env.view(),
      });
      return null;
    case "connmark":
      if (t.connmark === "save") env.ctMark = env.pkt.mark;
      else if (t.connmark === "restore") env.pkt.mark = env.ctMark;
      else env.ctMark = (((env.ctMark & ~t.mask!) >>> 0) ^ t.xor!) >>> 0;
      steps.push({
        action,
        detail: sayPrefix(table, chain, seg, idx, cr) + "CONNMARK",
        object: objOf(table, chain, seg, idx, cr),
        packet: env.view(),
      });
      return null;
    case "log":
    case "nflog":
      steps.push({
        action,
        detail: sayPrefix(table, chain, seg, idx, cr) + (t.kind === "log" ? "LOG" : "NFLOG"),
        object: objOf(table, chain, seg, idx, cr),
        packet: env.view(),
      });
      return null;
    case "notrack":
      env.notrack = true;
      steps.push({
        action,
        detail: sayPrefix(table, chain, seg, idx, cr) + "NOTRACK",
        object: objOf(table, chain, seg, idx, cr),
        packet: env.view(),
      });
      return null;
  }
  return null;
}
