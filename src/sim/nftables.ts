// nftables rules as libnftables JSON (man libnftables-json), evaluated statement by
// statement: a failing match ends the rule; verdicts end the chain; vmaps dispatch;
// `numgen random mod N` is a branch with probability 1/N per value.

import type { NftChain, NftSet } from "../ir/types.js";
import { ipToInt, parseCidr, inCidr, intToIp } from "./ip.js";
import type { NfEnv } from "./nfenv.js";
import { protoName } from "./packet.js";
import type { Step, StepObject } from "./trace.js";
import { POLICY_TABLE } from "../policy/compile.js";

export interface NftView {
  family: string;
  name: string;
  chains: Map<string, NftChain>;
  sets: Map<string, NftSet>;
  owners: Map<string, string>;
}

export class NftError extends Error {}

type Ty = "addr" | "port" | "proto" | "int" | "str" | "ctstate" | "concat";
type Val = number | string | Val[];

interface Typed {
  ty: Ty;
  v: Val;
  tys?: Ty[];
}

function evalExpr(e: any, env: NfEnv): Typed {
  if (e && typeof e === "object") {
    if (e.payload) {
      const { protocol, field } = e.payload;
      if (protocol === "ip" && (field === "saddr" || field === "daddr")) return { ty: "addr", v: field === "saddr" ? env.pkt.src : env.pkt.dst };
      if (protocol === "ip" && field === "protocol") return { ty: "proto", v: env.pkt.proto };
      if ((protocol === "th" || protocol === "tcp" || protocol === "udp" || protocol === "sctp") && (field === "dport" || field === "sport")) {
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
      if (e.ct.key === "state") return { ty: "ctstate", v: env.ctState.toLowerCase() === "untracked" ? "untracked" : env.ctState.toLowerCase() };
      if (e.ct.key === "mark") return { ty: "int", v: env.ctMark };
      if (e.ct.key === "status") return { ty: "ctstate", v: [env.ctDnat ? "dnat" : "", env.ctSnat ? "snat" : ""].filter(Boolean) as string[] };
      throw new NftError(`unsupported ct key "${e.ct.key}"`);
    }
    if (e.fib) {
      const flags: string[] = e.fib.flags ?? [];
      if (e.fib.result === "type") {
        const ip = flags.includes("saddr") ? env.pkt.src : env.pkt.dst;
        return { ty: "str", v: env.isLocal(ip) ? "local" : env.isBroadcast(ip) ? "broadcast" : ip >>> 28 === 14 ? "multicast" : "unicast" };
      }
      throw new NftError(`unsupported fib result "${e.fib.result}"`);
    }
    if (e.concat) {
      const parts = (e.concat as any[]).map((x) => evalExpr(x, env));
      return { ty: "concat", v: parts.map((p) => p.v), tys: parts.map((p) => p.ty) };
    }
    for (const op of ["&", "|", "^"]) {
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

function lit(ty: Ty, x: any): Val {
  if (typeof x === "object" && x !== null && x.concat) x = x.concat;
  switch (ty) {
    case "addr":
      return typeof x === "number" ? x : ipToInt(String(x));
    case "port":
    case "int":
      return typeof x === "number" ? x : Number(x);
    case "proto":
      return protoName(x);
    default:
      return String(x);
  }
}

/** Does `v` (of type ty) match the set element / literal `r`? */
function matchOne(t: Typed, r: any, setOf?: (name: string) => any[]): boolean {
  if (typeof r === "string" && r.startsWith("@")) {
    return setOf!(r.slice(1)).some((el) => matchOne(t, el, setOf));
  }
  if (r && typeof r === "object" && !Array.isArray(r)) {
    if (r.set) return (r.set as any[]).some((el) => matchOne(t, el, setOf));
    if (r.prefix) return t.ty === "addr" && inCidr(t.v as number, parseCidr(`${r.prefix.addr}/${r.prefix.len}`));
    if (r.range) {
      const lo = lit(t.ty, r.range[0]) as number;
      const hi = lit(t.ty, r.range[1]) as number;
      return (t.v as number) >= lo && (t.v as number) <= hi;
    }
    if (r.concat) r = r.concat;
    else if (r.elem) return matchOne(t, r.elem.val ?? r.elem, setOf);
  }
  if (t.ty === "concat") {
    if (!Array.isArray(r)) return false;
    const vs = t.v as Val[];
    return vs.every((v, i) => matchOne({ ty: t.tys![i], v }, r[i], setOf));
  }
  if (t.ty === "ctstate") {
    const have = Array.isArray(t.v) ? (t.v as string[]) : [t.v as string];
    const want = Array.isArray(r) ? r : [r];
    return want.some((w: string) => have.includes(w));
  }
  if (Array.isArray(r)) return r.some((x) => matchOne(t, x, setOf));
  return lit(t.ty, r) === t.v;
}

function verdictOf(v: any): { kind: string; target?: string } | null {
  if (!v || typeof v !== "object") return null;
  for (const k of ["accept", "drop", "return", "continue", "jump", "goto", "reject"]) if (k in v) return { kind: k, target: v[k]?.target };
  return null;
}

export function nftRuleText(expr: any[]): string {
  return expr.map(stmtText).filter(Boolean).join(" ");
}

function exprText(e: any): string {
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
  if (e.set) return `{ ${e.set.map((x: any) => (Array.isArray(x) && x.length === 2 && verdictOf(x[1]) ? `${exprText(x[0])} : ${stmtText(x[1])}` : exprText(x))).join(", ")} }`;
  if (e.numgen) return `numgen ${e.numgen.mode} mod ${e.numgen.mod}`;
  for (const op of ["&", "|", "^"]) if (e[op]) return `${exprText(e[op][0])} ${op === "&" ? "and" : op === "|" ? "or" : "xor"} ${exprText(e[op][1])}`;
  return JSON.stringify(e);
}

function stmtText(s: any): string {
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
  if ("masquerade" in s) return `masquerade${s.masquerade?.flags ? " " + [].concat(s.masquerade.flags).join(",") : ""}`;
  if (s.mangle) return `${exprText(s.mangle.key)} set ${exprText(s.mangle.value)}`;
  if (s.vmap) return `${exprText(s.vmap.key)} vmap ${exprText(s.vmap.data)}`;
  if (s.set) return `${s.set.op} ${s.set.set} { ${exprText(s.set.elem)} }`;
  if ("log" in s) return "log";
  if ("notrack" in s) return "notrack";
  if ("limit" in s) return "limit";
  return JSON.stringify(s);
}

type R = { verdict: "accept" | "drop" | "reject"; object?: StepObject; detail?: string };

export function evalNftChain(t: NftView, chain: NftChain, env: NfEnv, steps: Step[]): R {
  // The policy table's base chains: a side without a map has no isolated pod on this node.
  const walkthrough = t.name === POLICY_TABLE && (chain.hook === "forward" || chain.hook === "input") && env.ctState !== "ESTABLISHED" && env.ctState !== "RELATED";
  if (walkthrough && !t.sets.has("egress-pods")) notIsolated("egress-pods", { v: env.pkt.src }, env, steps, () => ({ kind: "nft-rule", text: `no @egress-pods map`, table: `${t.family} ${t.name}`, chain: chain.name, layer: t.owners.get(chain.name) }));
  const r = runChain(t, chain, env, steps, 0);
  if (walkthrough && r.v === "return" && chain.hook === "forward" && !t.sets.has("ingress-pods"))
    notIsolated("ingress-pods", { v: env.pkt.dst }, env, steps, () => ({ kind: "nft-rule", text: `no @ingress-pods map`, table: `${t.family} ${t.name}`, chain: chain.name, layer: t.owners.get(chain.name) }));
  if (r.v === "return") {
    if (chain.policy === "drop") {
      const object: StepObject = { kind: "nft-rule", text: `policy drop`, table: `${t.family} ${t.name}`, chain: chain.name };
      steps.push({ action: "NETFILTER", detail: `${t.family} ${t.name} ${chain.name}: policy drop`, object, packet: env.view() });
      return { verdict: "drop", object };
    }
    return { verdict: "accept" };
  }
  return { verdict: r.v, object: r.object, ...(r.detail ? { detail: r.detail } : {}) };
}

/** A chain's outcome; for "return", the rule that returned and its comment. `detail`: a policy chain's summary. */
type CR = { v: "accept" | "drop" | "reject" | "return"; object?: StepObject; comment?: string; detail?: string };

/** A vmap lookup in the policy table found no element: the local pod is not isolated on that side. */
function notIsolated(data: string, kv: { v: unknown }, env: NfEnv, steps: Step[], obj: () => StepObject): void {
  const side = /^@?(ingress|egress)-pods$/.exec(data)?.[1];
  if (!side || typeof kv.v !== "number") return;
  const ip = intToIp(kv.v);
  const pod = env.podOf?.(kv.v);
  // Only pods of this node are in its maps: another node's pod is decided on its own node.
  if (env.podOf && !pod?.local) return;
  const why = obj().text.startsWith("no @") ? `no pod of this node is isolated for ${side}: the table has no @${side}-pods` : `its IP ${ip} is not in @${side}-pods`;
  steps.push({ action: "POLICY", detail: `${side} of ${pod?.name ?? ip}: not isolated (${why})`, object: obj(), packet: env.view() });
}

function setElems(t: NftView, env: NfEnv, name: string): any[] {
  const s = t.sets.get(name);
  if (!s) throw new NftError(`set @${name} is not defined in table ${t.family} ${t.name}`);
  // Dynamic sets (kube-proxy's affinity-… sets) also hold what `update @set` added: the
  // per-trace affinity memory, keyed by the set's name like iptables' recent lists.
  const dyn = s.flags?.includes("dynamic") || name.startsWith("affinity-") ? env.recentList(name) : [];
  return dyn.length ? [...s.elem.map((e) => e.key), ...dyn] : s.elem.map((e) => e.key);
}

function runChain(t: NftView, chain: NftChain, env: NfEnv, steps: Step[], depth: number): CR {
  if (depth > 64) throw new NftError(`jump depth exceeded in ${chain.name}`);
  const setOf = (name: string) => setElems(t, env, name);
  const rules = chain.rules;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    const obj = (): StepObject => ({ kind: "nft-rule", text: nftRuleText(rule.expr), table: `${t.family} ${t.name}`, chain: chain.name, index: i, layer: t.owners.get(chain.name) });
    const policy = t.name === POLICY_TABLE;
    const action = policy ? "POLICY" : "NETFILTER";
    const say = (what: string) => `${t.name} ${chain.name}: ${rule.comment ? JSON.stringify(rule.comment) + " " : ""}→ ${what}`;
    let verdict: { kind: string; target?: string } | null = null;
    let matched = true;
    for (const s of rule.expr) {
      if (s.match) {
        const left = evalExpr(s.match.left, env);
        let ok: boolean;
        const op = s.match.op ?? "==";
        if (op === "==" || op === "in") ok = matchOne(left, s.match.right, setOf);
        else if (op === "!=") ok = !matchOne(left, s.match.right, setOf);
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
        const k = s.mangle.key;
        if (!k.meta || k.meta.key !== "mark") {
          if (k.ct && k.ct.key === "mark") {
            env.ctMark = Number(typeof s.mangle.value === "object" ? evalExpr(s.mangle.value, env).v : s.mangle.value) >>> 0;
            continue;
          }
          throw new NftError(`unsupported mangle ${JSON.stringify(k)}`);
        }
        env.pkt.mark = Number(typeof s.mangle.value === "object" ? evalExpr(s.mangle.value, env).v : s.mangle.value) >>> 0;
        steps.push({ action, detail: say(`mark set 0x${env.pkt.mark.toString(16)}`), object: obj(), packet: env.view() });
        continue;
      }
      if (s.set && s.set.op) {
        const v = evalExpr(s.set.elem, env);
        const name = String(s.set.set).replace(/^@/, "");
        const lit0 = v.ty === "addr" ? intToIp(v.v as number) : v.v;
        if (typeof v.v === "number") env.recentSet(name, v.v);
        steps.push({ action, detail: say(`${s.set.op} @${name} { ${lit0} }`), object: obj(), packet: env.view() });
        continue;
      }
      if (s.vmap) {
        const key = s.vmap.key;
        let entries: any[];
        if (typeof s.vmap.data === "string") {
          const m = t.sets.get(s.vmap.data.replace(/^@/, ""));
          if (!m) throw new NftError(`map ${s.vmap.data} is not defined`);
          entries = m.elem.map((e) => [e.key, e.value]);
        } else entries = s.vmap.data.set;
        if (key.numgen) {
          const n = key.numgen.mod;
          const off = key.numgen.offset ?? 0;
          const opts = Array.from({ length: n }, (_, k) => {
            const ent = entries.find((en) => Number(en[0]) === k + off);
            const vd = ent ? verdictOf(ent[1]) : null;
            return { p: 1 / n, label: `${vd?.target ?? vd?.kind ?? "no element"} (p=${(1 / n).toFixed(4)})` };
          });
          const k = env.choose(opts, `numgen random mod ${n}`);
          const ent = entries.find((en) => Number(en[0]) === k + off);
          verdict = ent ? verdictOf(ent[1]) : null;
          if (!verdict) {
            matched = false;
            break;
          }
          break;
        }
        const kv = evalExpr(key, env);
        const ent = entries.find((en) => matchOne(kv, en[0]));
        if (!ent) {
          if (policy && typeof s.vmap.data === "string") notIsolated(s.vmap.data, kv, env, steps, obj);
          matched = false;
          break;
        }
        verdict = verdictOf(ent[1]);
        break;
      }
      if (s.dnat || s.snat || "masquerade" in s) {
        const kind = s.dnat ? "dnat" : s.snat ? "snat" : "masquerade";
        const spec = s.dnat ?? s.snat ?? {};
        const addr = spec.addr !== undefined ? ipToInt(String(spec.addr)) : undefined;
        const port = spec.port !== undefined ? Number(spec.port) : undefined;
        const d = env.nat({ kind, addr, port, object: obj() });
        steps.push({ action: "NAT", detail: say(`${kind} ${d}`), object: obj(), packet: env.view() });
        return { v: "accept", object: obj() };
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
        steps.push({ action, detail: say("accept"), object: obj(), packet: env.view() });
        return { v: "accept", object: obj() };
      case "drop":
        steps.push({ action, detail: say("drop"), object: obj(), packet: env.view() });
        return { v: "drop", object: obj() };
      case "reject":
        steps.push({ action, detail: say("reject"), object: obj(), packet: env.view() });
        return { v: "reject", object: obj() };
      case "return":
        if (env.verbose) steps.push({ action, detail: say("return"), object: obj(), packet: env.view() });
        return { v: "return", object: obj(), comment: rule.comment };
      case "continue":
        continue;
      case "jump":
      case "goto": {
        const sub = t.chains.get(verdict.target!);
        if (!sub) throw new NftError(`chain ${chain.name} jumps to missing chain ${verdict.target}`);
        const subSteps: Step[] = [];
        const pre = env.snapshot();
        const r = runChain(t, sub, env, subSteps, depth + 1);
        const side = policy ? /^(ingress|egress)-(.+)$/.exec(sub.name) : null;
        if (side) {
          // A pod's policy chain: one step that says which side, who isolates it, and what decided.
          if (env.verbose) steps.push({ action, detail: say(`${verdict.kind} ${verdict.target}`), object: obj(), packet: pre() } as Step, ...subSteps);
          const last = sub.rules[sub.rules.length - 1]?.comment ?? "";
          const by = /^isolated by (.*?)(; no rule allowed it)?$/.exec(last)?.[1] ?? "its policies";
          const how =
            r.v === "return"
              ? r.comment && / (ingress|egress) rule \d+$/.test(r.comment)
                ? `allowed by ${r.comment}`
                : `allowed${r.comment ? ` (${r.comment})` : ""}`
              : "no rule allowed it";
          const detail = `isolated by ${by}; ${how}`;
          steps.push({ action, detail: `${side[1]} of ${side[2]}: ${detail}`, object: r.object ?? obj(), packet: env.view() });
          if (r.v !== "return") return { ...r, detail };
          if (verdict.kind === "goto") return { v: "return" };
          continue;
        }
        if (r.v !== "return" || subSteps.length || env.verbose) steps.push({ action, detail: say(`${verdict.kind} ${verdict.target}`), object: obj(), packet: pre() } as Step, ...subSteps);
        if (r.v !== "return") return r;
        if (verdict.kind === "goto") return { v: "return" };
        continue;
      }
    }
  }
  return { v: "return" };
}
