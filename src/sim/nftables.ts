// nftables rules as libnftables JSON (man libnftables-json), evaluated statement by
// statement: a failing match ends the rule; verdicts end the chain; vmaps dispatch;
// `numgen random mod N` is a branch with probability 1/N per value. The expressions, set
// lookups and rule texts are in nft-expr.ts.

import type { DropTag, NftChain, NftExpr, NftExprObj, NftSetItem } from "../ir/types.js";
import { ipToInt, intToIp } from "../net/ipv4.js";
import type { NfEnv } from "./nfenv.js";
import type { Step, StepObject } from "./trace.js";
import {
  NftError,
  evalExpr,
  lit,
  lookup,
  matchOne,
  nftRuleText,
  numPos,
  sourceOf,
  valueAt,
  verdictOf,
  type NftView,
  type Source,
} from "./nft-expr.js";

export { NftError, nftRuleText, type NftView };

/** `drop`: what a drop/reject stands for (its rule's tag, or the policy table's). */
type R = { verdict: "accept" | "drop" | "reject"; object?: StepObject; detail?: string; drop?: DropTag };

const POLICY_DENIED: DropTag = Object.freeze({ reason: "POLICY_DENIED" });

// --- Per-rule step objects --------------------------------------------------------------
// A rule's StepObject and the "table chain: comment → " prefix of its step text are the
// same for every packet: built once and shared (steps treat them as read-only).

interface RuleInfo {
  rule: NftChain["rules"][number];
  obj: StepObject;
  pre: string;
}

interface ChainInfo {
  view: NftView;
  family: string;
  name: string;
  layer: string | undefined;
  rules: (RuleInfo | undefined)[];
  extra?: Map<string, StepObject>;
}

/**
 * By chain object; a chain shared by views of different tables/owners gets per-view info.
 * Module-level: side tables of the IR's chains and of views (entries die with them),
 * reached from evalNftChain, which has no CompiledIR to hand.
 */
const chainInfos = new WeakMap<NftChain, ChainInfo>();
const viewChainInfos = new WeakMap<NftView, Map<NftChain, ChainInfo>>();

function chainInfo(t: NftView, chain: NftChain): ChainInfo {
  const c = chainInfos.get(chain);
  if (c && (c.view === t || (c.family === t.family && c.name === t.name && c.layer === t.owners.get(chain.name))))
    return c;
  const fresh = (): ChainInfo => ({
    view: t,
    family: t.family,
    name: t.name,
    layer: t.owners.get(chain.name),
    rules: [],
  });
  if (!c) {
    const n = fresh();
    chainInfos.set(chain, n);
    return n;
  }
  let m = viewChainInfos.get(t);
  if (!m) viewChainInfos.set(t, (m = new Map()));
  let v = m.get(chain);
  if (!v) m.set(chain, (v = fresh()));
  return v;
}

function ruleInfo(ci: ChainInfo, t: NftView, chain: NftChain, i: number): RuleInfo {
  const rule = chain.rules[i];
  let r = ci.rules[i];
  if (r && r.rule === rule) return r;
  const obj: StepObject = {
    kind: "nft-rule",
    text: nftRuleText(rule.expr),
    table: `${t.family} ${t.name}`,
    chain: chain.name,
    index: i,
    layer: ci.layer,
  };
  const pre = `${t.name} ${chain.name}: ${rule.comment ? JSON.stringify(rule.comment) + " " : ""}→ `;
  r = { rule, obj, pre };
  ci.rules[i] = r;
  return r;
}

/** A chain-level object without a rule index ("policy drop", "no @egress-pods map"). */
function chainObj(ci: ChainInfo, t: NftView, chain: NftChain, text: string, withLayer: boolean): StepObject {
  if (!ci.extra) ci.extra = new Map();
  let o = ci.extra.get(text);
  if (!o) {
    o = withLayer
      ? { kind: "nft-rule", text, table: `${t.family} ${t.name}`, chain: chain.name, layer: ci.layer }
      : { kind: "nft-rule", text, table: `${t.family} ${t.name}`, chain: chain.name };
    ci.extra.set(text, o);
  }
  return o;
}

export function evalNftChain(t: NftView, chain: NftChain, env: NfEnv, steps: Step[]): R {
  // A NetworkPolicy table's base chains: a side without a map has no isolated pod on this node.
  const maps = t.policyMaps;
  const walkthrough =
    maps !== undefined &&
    (chain.hook === "forward" || chain.hook === "input") &&
    env.ctState !== "ESTABLISHED" &&
    env.ctState !== "RELATED";
  if (walkthrough && !t.sets.has(maps.egress))
    notIsolated(
      "egress",
      maps.egress,
      true,
      env.pkt.src,
      env,
      steps,
      chainObj(chainInfo(t, chain), t, chain, `no @${maps.egress} map`, true),
    );
  const r = runChain(t, chain, env, steps, 0);
  if (walkthrough && r.v === "return" && chain.hook === "forward" && !t.sets.has(maps.ingress))
    notIsolated(
      "ingress",
      maps.ingress,
      true,
      env.pkt.dst,
      env,
      steps,
      chainObj(chainInfo(t, chain), t, chain, `no @${maps.ingress} map`, true),
    );
  const policy = t.role === "policy";
  if (r.v === "return") {
    if (chain.policy === "drop") {
      const object = chainObj(chainInfo(t, chain), t, chain, `policy drop`, false);
      steps.push({
        action: "NETFILTER",
        detail: `${t.family} ${t.name} ${chain.name}: policy drop`,
        object,
        packet: env.view(),
      });
      return policy ? { verdict: "drop", object, drop: POLICY_DENIED } : { verdict: "drop", object };
    }
    return { verdict: "accept" };
  }
  const drop = r.drop ?? (policy && r.v !== "accept" ? POLICY_DENIED : undefined);
  return { verdict: r.v, object: r.object, drop, ...(r.detail ? { detail: r.detail } : {}) };
}

/**
 * A chain's outcome; for "return", the rule that returned and its comment. `detail`: a policy
 * chain's summary. `drop`: a dropping rule's tag.
 */
type CR = {
  v: "accept" | "drop" | "reject" | "return";
  object?: StepObject;
  comment?: string;
  detail?: string;
  drop?: DropTag;
};

/**
 * The policy table's `map` (of `side`) has no element for the local pod `key`, or the table
 * has no such map (`absent`): the pod is not isolated on that side.
 */
function notIsolated(
  side: "ingress" | "egress",
  map: string,
  absent: boolean,
  key: unknown,
  env: NfEnv,
  steps: Step[],
  object: StepObject,
): void {
  if (typeof key !== "number") return;
  const ip = intToIp(key);
  const pod = env.podOf?.(key);
  // Only pods of this node are in its maps: another node's pod is decided on its own node.
  if (env.podOf && !pod?.local) return;
  const why = absent
    ? `no pod of this node is isolated for ${side}: the table has no @${map}`
    : `its IP ${ip} is not in @${map}`;
  steps.push({
    action: "POLICY",
    detail: `${side} of ${pod?.name ?? ip}: not isolated (${why})`,
    object,
    packet: env.view(),
  });
}

/** A vmap's element list: a named map of the table or the statement's anonymous map. */
function vmapSource(t: NftView, data: NftExpr): Source {
  if (typeof data === "string") {
    const m = t.sets.get(data.replace(/^@/, ""));
    if (!m) throw new NftError(`map ${data} is not defined`);
    return sourceOf(m, false);
  }
  // Else an anonymous map ({set: [[key, verdict], …]}) by the statement's syntax; anything
  // else fails in sourceOf, as it always did (the casts only name that shape).
  return sourceOf((data as NftExprObj).set as NftSetItem[], true);
}

/** The options of a `numgen random mod N` vmap: one per value, with its element's verdict. */
function numgenOptions(src: Source, n: number, off: number): { opts: { p: number; label: string }[]; what: string } {
  const c = src.numgen;
  if (c && c.n === n && c.off === off) return c;
  const opts: { p: number; label: string }[] = [];
  for (let k = 0; k < n; k++) {
    const pos = numPos(src, k + off);
    const vd = pos >= 0 ? verdictOf(valueAt(src, pos)) : null;
    opts.push({ p: 1 / n, label: `${vd?.target ?? vd?.kind ?? "no element"} (p=${(1 / n).toFixed(4)})` });
  }
  const out = { n, off, opts, what: `numgen random mod ${n}` };
  src.numgen = out;
  return out;
}

// One function of ~170 lines on purpose: the per-packet loop over a chain's rules and their
// statements, whose locals (the rule's match state, its verdict) a split would pass around
// or allocate per statement.
function runChain(t: NftView, chain: NftChain, env: NfEnv, steps: Step[], depth: number): CR {
  if (depth > 64) throw new NftError(`jump depth exceeded in ${chain.name}`);
  const rules = chain.rules;
  const policy = t.role === "policy";
  const action = policy ? "POLICY" : "NETFILTER";
  const ci = chainInfo(t, chain);
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    let verdict: { kind: string; target?: string } | null = null;
    let matched = true;
    const expr = rule.expr;
    for (let si = 0; si < expr.length; si++) {
      const s = expr[si];
      if (s.match) {
        const left = evalExpr(s.match.left, env);
        let ok: boolean;
        const op = s.match.op ?? "==";
        if (op === "==" || op === "in") ok = matchOne(left, s.match.right, t, env);
        else if (op === "!=") ok = !matchOne(left, s.match.right, t, env);
        else {
          const a = Number(left.v);
          const b = Number(lit(left.ty, s.match.right));
          ok = op === "<" ? a < b : op === ">" ? a > b : op === "<=" ? a <= b : op === ">=" ? a >= b : false;
        }
        if (!ok) {
          matched = false;
          break;
        }
        continue;
      }
      if ("counter" in s || "log" in s || "limit" in s || "comment" in s) continue;
      if ("notrack" in s) {
        env.notrack = true;
        continue;
      }
      if (s.mangle) {
        const k = s.mangle.key as NftExprObj; // a meta or ct key (an object) by the rule's syntax
        if (!k.meta || k.meta.key !== "mark") {
          if (k.ct && k.ct.key === "mark") {
            env.ctMark =
              Number(typeof s.mangle.value === "object" ? evalExpr(s.mangle.value, env).v : s.mangle.value) >>> 0;
            continue;
          }
          throw new NftError(`unsupported mangle ${JSON.stringify(k)}`);
        }
        env.pkt.mark =
          Number(typeof s.mangle.value === "object" ? evalExpr(s.mangle.value, env).v : s.mangle.value) >>> 0;
        const ri = ruleInfo(ci, t, chain, i);
        steps.push({
          action,
          detail: ri.pre + `mark set 0x${env.pkt.mark.toString(16)}`,
          object: ri.obj,
          packet: env.view(),
        });
        continue;
      }
      if (s.set && s.set.op) {
        const v = evalExpr(s.set.elem, env);
        const name = String(s.set.set).replace(/^@/, "");
        const lit0 = v.ty === "addr" ? intToIp(v.v as number) : v.v;
        if (typeof v.v === "number") env.recentSet(name, v.v);
        const ri = ruleInfo(ci, t, chain, i);
        steps.push({ action, detail: ri.pre + `${s.set.op} @${name} { ${lit0} }`, object: ri.obj, packet: env.view() });
        continue;
      }
      if (s.vmap) {
        const key = s.vmap.key as NftExprObj; // a numgen or a selector (an object)
        const src = vmapSource(t, s.vmap.data);
        if (key.numgen) {
          const off = key.numgen.offset ?? 0;
          const ng = numgenOptions(src, key.numgen.mod, off);
          const k = env.choose(ng.opts, ng.what);
          const pos = numPos(src, k + off);
          verdict = pos >= 0 ? verdictOf(valueAt(src, pos)) : null;
          if (!verdict) matched = false;
          break;
        }
        const kv = evalExpr(key, env);
        const pos = lookup(src, kv, t, env);
        if (pos < 0) {
          const maps = t.policyMaps;
          if (maps !== undefined && typeof s.vmap.data === "string") {
            const map = s.vmap.data.replace(/^@/, "");
            const side = map === maps.ingress ? "ingress" : map === maps.egress ? "egress" : null;
            if (side) notIsolated(side, map, false, kv.v, env, steps, ruleInfo(ci, t, chain, i).obj);
          }
          matched = false;
          break;
        }
        verdict = verdictOf(valueAt(src, pos));
        break;
      }
      if (s.dnat || s.snat || "masquerade" in s) {
        const kind = s.dnat ? "dnat" : s.snat ? "snat" : "masquerade";
        const spec: { addr?: string; port?: number } = s.dnat ?? s.snat ?? {};
        const addr = spec.addr !== undefined ? ipToInt(String(spec.addr)) : undefined;
        const port = spec.port !== undefined ? Number(spec.port) : undefined;
        const ri = ruleInfo(ci, t, chain, i);
        const d = env.nat({ kind, addr, port, object: ri.obj });
        steps.push({ action: "NAT", detail: ri.pre + `${kind} ${d}`, object: ri.obj, packet: env.view() });
        return { v: "accept", object: ri.obj };
      }
      const vd = verdictOf(s);
      if (vd) {
        verdict = vd;
        break;
      }
      throw new NftError(`unsupported statement ${JSON.stringify(s)} in chain ${chain.name}`);
    }
    if (!matched || !verdict) continue;
    switch (verdict.kind) {
      case "accept":
      case "drop":
      case "reject": {
        const ri = ruleInfo(ci, t, chain, i);
        steps.push({ action, detail: ri.pre + verdict.kind, object: ri.obj, packet: env.view() });
        return { v: verdict.kind, object: ri.obj, drop: rule.drop, comment: rule.comment };
      }
      case "return": {
        const ri = ruleInfo(ci, t, chain, i);
        if (env.verbose) steps.push({ action, detail: ri.pre + "return", object: ri.obj, packet: env.view() });
        return { v: "return", object: ri.obj, comment: rule.comment };
      }
      case "continue":
        continue;
      case "jump":
      case "goto": {
        const sub = t.chains.get(verdict.target!);
        if (!sub) throw new NftError(`chain ${chain.name} jumps to missing chain ${verdict.target}`);
        const subSteps: Step[] = [];
        const pre = env.snapshot();
        const r = runChain(t, sub, env, subSteps, depth + 1);
        const side = policy ? sub.isolates : undefined;
        const ri = ruleInfo(ci, t, chain, i);
        if (side) {
          // A pod's policy chain: one step that says which side, who isolates it, and what decided.
          if (env.verbose)
            steps.push(
              { action, detail: ri.pre + `${verdict.kind} ${verdict.target}`, object: ri.obj, packet: pre() } as Step,
              ...subSteps,
            );
          // A policy rule returned: "allowed by" its comment (which names the policy and rule).
          const byRule = r.comment && (r.object?.index ?? -1) >= side.firstRule;
          const how =
            r.v === "return"
              ? byRule
                ? `allowed by ${r.comment}`
                : `allowed${r.comment ? ` (${r.comment})` : ""}`
              : r.drop?.reason === "POLICY_DENIED" && r.drop.rule && r.comment
                ? `denied by ${r.comment}`
                : "no rule allowed it";
          const detail = `isolated by ${side.by}; ${how}`;
          steps.push({
            action,
            detail: `${side.side} of ${side.pod}: ${detail}`,
            object: r.object ?? ri.obj,
            packet: env.view(),
          });
          if (r.v !== "return") return { ...r, detail };
          if (verdict.kind === "goto") return { v: "return" };
          continue;
        }
        if (r.v !== "return" || subSteps.length || env.verbose)
          steps.push(
            { action, detail: ri.pre + `${verdict.kind} ${verdict.target}`, object: ri.obj, packet: pre() } as Step,
            ...subSteps,
          );
        if (r.v !== "return") return r;
        if (verdict.kind === "goto") return { v: "return" };
        continue;
      }
    }
  }
  return { v: "return" };
}
