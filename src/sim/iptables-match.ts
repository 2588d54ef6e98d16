// An iptables rule's match options (the CLI's argument list) read into what its compiled
// form holds: guard fields for the common matches, closures for the rest, effectful
// matchers (statistic, recent) last. One function per family of options (the matches of
// the iptables-extensions man page); compileRule (iptables.ts) puts the result together.

import type { IptOpt, IptRule } from "../ir/types.js";
import { ipToInt, parsePrefix, inPrefix, type Prefix } from "../net/ipv4.js";
import { protoName } from "./packet.js";
import type { CtState, NfEnv } from "./nfenv.js";

export class RuleError extends Error {}

export type Matcher = (env: NfEnv) => boolean;

/** Guard kinds (bits of CompiledRule.gm: see G in iptables.ts). */
export type GuardKind = "s" | "d" | "p" | "mark" | "i" | "o" | "ct";

export function err(rule: IptRule, msg: string): never {
  throw new RuleError(rule.line !== undefined ? `line ${rule.line}: ${msg}` : msg);
}

function parsePortSpec(rule: IptRule, s: string): [number, number][] {
  return s.split(",").map((part) => {
    const [a, b] = part.split(":");
    const lo = a === "" ? 0 : Number(a);
    const hi = b === undefined ? lo : b === "" ? 65535 : Number(b);
    if (!Number.isInteger(lo) || !Number.isInteger(hi)) err(rule, `invalid port "${s}"`);
    return [lo, hi] as [number, number];
  });
}

function parseMarkSpec(rule: IptRule, s: string): { v: number; m: number } {
  const [v, m] = s.split("/");
  const vn = Number(v);
  const mn = m === undefined ? 0xffffffff : Number(m);
  if (!Number.isFinite(vn) || !Number.isFinite(mn)) err(rule, `invalid mark "${s}"`);
  return { v: vn >>> 0, m: mn >>> 0 };
}

function ifMatch(pattern: string): (name: string | undefined) => boolean {
  if (pattern.endsWith("+")) {
    const pre = pattern.slice(0, -1);
    return (n) => n !== undefined && n.startsWith(pre);
  }
  return (n) => n === pattern;
}

/** An interface pattern as a guard field: [name, prefix?]; "" (and a bare "+") stay closures. */
function ifGuard(pattern: string): [string, boolean] {
  return pattern.endsWith("+") ? [pattern.slice(0, -1), true] : [pattern, false];
}

/** The guard fields of a compiled rule (see CompiledRule.guarded), as a rule's options set them. */
export interface GuardFields {
  sNet: number;
  sMask: number;
  sNeg: boolean;
  dNet: number;
  dMask: number;
  dNeg: boolean;
  /** "" = any protocol. */
  proto: string;
  protoNeg: boolean;
  markV: number;
  markM: number;
  markNeg: boolean;
  /** "" = any interface; `inPre`: a `name+` prefix. */
  inIf: string;
  inPre: boolean;
  inNeg: boolean;
  outIf: string;
  outPre: boolean;
  outNeg: boolean;
  /** Conntrack states (CT_BITS), 0 = no state match. */
  ctBits: number;
  ctNeg: boolean;
}
function noGuard(): GuardFields {
  return {
    sNet: 0,
    sMask: 0,
    sNeg: false,
    dNet: 0,
    dMask: 0,
    dNeg: false,
    proto: "",
    protoNeg: false,
    markV: 0,
    markM: 0,
    markNeg: false,
    inIf: "",
    inPre: false,
    inNeg: false,
    outIf: "",
    outPre: false,
    outNeg: false,
    ctBits: 0,
    ctNeg: false,
  };
}

/** Conntrack states as bits (the guard of `--ctstate`/`--state` without DNAT/SNAT). */
const CT_BITS: Record<CtState, number> = { NEW: 1, ESTABLISHED: 2, RELATED: 4, INVALID: 8, UNTRACKED: 16 };

function anyCidr(list: Prefix[], ip: number): boolean {
  for (let i = 0; i < list.length; i++) if (inPrefix(ip, list[i])) return true;
  return false;
}

function inRanges(ranges: [number, number][], port: number): boolean {
  for (let i = 0; i < ranges.length; i++) if (port >= ranges[i][0] && port <= ranges[i][1]) return true;
  return false;
}

function cidrList(rule: IptRule, s: string): Prefix[] {
  try {
    return s.split(",").map(parsePrefix);
  } catch {
    err(rule, `invalid address "${s}"`);
  }
}

/**
 * A rule being compiled: what its options said so far. Made once per rule compiled (not per
 * packet); the option families below fill it in the rule's order.
 */
export class RuleBuild {
  readonly pure: Matcher[] = [];
  readonly effectful: Matcher[] = [];
  module = "";
  proto = "";
  comment: string | undefined = undefined;
  exactDst: number | undefined = undefined;
  exactDport: number | undefined = undefined;
  keyable = true;
  /** `-m recent`, collected over its options and built at the end. */
  recent: { name: string; op: string; neg: boolean; rdest: boolean } | null = null;
  statistic: { mode: string; p: number; neg: boolean } | null = null;
  /** Guard fields (see CompiledRule.guarded): the first match of each kind. */
  readonly g = noGuard();
  /**
   * Not for rules with --match-set: its matcher may throw (unknown set contents), and a
   * guard checked first would hide that; such rules keep every match a closure, in order.
   */
  readonly guards: boolean;
  readonly kinds = new Set<string>();
  constructor(readonly rule: IptRule) {
    this.guards = !rule.opts.some((o) => o.opt === "--match-set");
  }
  add(o: IptOpt, m: Matcher): void {
    this.pure.push(o.neg ? (e) => !m(e) : m);
  }
  /** The first match of this kind, when guards are used: it becomes a guard field. */
  first(kind: GuardKind): boolean {
    return this.guards && !this.kinds.has(kind) && (this.kinds.add(kind), true);
  }
}

/** -s, -d, -p, -i, -o. */
function basicMatch(b: RuleBuild, o: IptOpt): boolean {
  const a = o.args;
  const g = b.g;
  switch (o.opt) {
    case "-s":
    case "--source":
    case "-d":
    case "--destination": {
      const list = cidrList(b.rule, a[0]);
      const dst = o.opt === "-d" || o.opt === "--destination";
      if (dst && !o.neg && list.length === 1 && list[0].len === 32) b.exactDst = list[0].net;
      else if (dst) b.keyable = false;
      if (list.length === 1 && b.first(dst ? "d" : "s")) {
        if (dst) [g.dNet, g.dMask, g.dNeg] = [list[0].net, list[0].mask, !!o.neg];
        else [g.sNet, g.sMask, g.sNeg] = [list[0].net, list[0].mask, !!o.neg];
        return true;
      }
      // Plain loops in matchers: a callback closing over `e` is an allocation per evaluation.
      b.add(o, dst ? (e) => anyCidr(list, e.pkt.dst) : (e) => anyCidr(list, e.pkt.src));
      return true;
    }
    case "-p":
    case "--protocol": {
      const p = protoName(a[0]);
      if (!o.neg) b.proto = p;
      else b.keyable = false;
      if (p === "all") return true;
      if (b.first("p")) [g.proto, g.protoNeg] = [p, !!o.neg];
      else b.add(o, (e) => e.pkt.proto === p);
      return true;
    }
    case "-i":
    case "--in-interface": {
      const [name, pre] = ifGuard(a[0]);
      if (name && b.first("i")) [g.inIf, g.inPre, g.inNeg] = [name, pre, !!o.neg];
      else {
        const f = ifMatch(a[0]);
        b.add(o, (e) => f(e.inIf));
      }
      return true;
    }
    case "-o":
    case "--out-interface": {
      const [name, pre] = ifGuard(a[0]);
      if (name && b.first("o")) [g.outIf, g.outPre, g.outNeg] = [name, pre, !!o.neg];
      else {
        const f = ifMatch(a[0]);
        b.add(o, (e) => f(e.outIf));
      }
      return true;
    }
  }
  return false;
}

const MODULES = new Set([
  "comment",
  "tcp",
  "udp",
  "sctp",
  "multiport",
  "addrtype",
  "mark",
  "statistic",
  "recent",
  "conntrack",
  "state",
  "physdev",
  "connmark",
  "limit",
  "icmp",
  "iprange",
  "set",
]);

/** -m MODULE, and --comment. */
function moduleMatch(b: RuleBuild, o: IptOpt): boolean {
  switch (o.opt) {
    case "-m":
    case "--match":
      b.module = o.args[0];
      if (!MODULES.has(b.module)) err(b.rule, `unsupported match "-m ${b.module}"`);
      return true;
    case "--comment":
      b.comment = o.args[0];
      return true;
  }
  return false;
}

/** --dport, --sport (tcp, udp, sctp) and multiport's --dports, --sports, --ports. */
function portMatch(b: RuleBuild, o: IptOpt): boolean {
  switch (o.opt) {
    case "--dport":
    case "--destination-port":
    case "--sport":
    case "--source-port": {
      const ranges = parsePortSpec(b.rule, o.args[0]);
      const d = o.opt === "--dport" || o.opt === "--destination-port";
      if (d && !o.neg && ranges.length === 1 && ranges[0][0] === ranges[0][1]) b.exactDport = ranges[0][0];
      else if (d) b.keyable = false;
      b.add(o, (e) => {
        if (e.pkt.proto !== "tcp" && e.pkt.proto !== "udp" && e.pkt.proto !== "sctp") return false;
        return inRanges(ranges, d ? e.pkt.dport : e.pkt.sport);
      });
      return true;
    }
    case "--dports":
    case "--sports":
    case "--ports": {
      const ranges = parsePortSpec(b.rule, o.args[0]);
      const which = o.opt;
      b.keyable = false;
      b.add(o, (e) => {
        if (e.pkt.proto !== "tcp" && e.pkt.proto !== "udp" && e.pkt.proto !== "sctp") return false;
        if (which === "--dports") return inRanges(ranges, e.pkt.dport);
        if (which === "--sports") return inRanges(ranges, e.pkt.sport);
        return inRanges(ranges, e.pkt.sport) || inRanges(ranges, e.pkt.dport);
      });
      return true;
    }
  }
  return false;
}

/** addrtype's --src-type, --dst-type (and its --limit-iface-*: the address table is per namespace here). */
function addrTypeMatch(b: RuleBuild, o: IptOpt): boolean {
  switch (o.opt) {
    case "--src-type":
    case "--dst-type": {
      const types = o.args[0].split(",");
      const src = o.opt === "--src-type";
      for (const t of types)
        if (!["LOCAL", "UNICAST", "BROADCAST", "MULTICAST"].includes(t)) err(b.rule, `unsupported address type "${t}"`);
      b.add(o, (e) => {
        const ip = src ? e.pkt.src : e.pkt.dst;
        const local = e.isLocal(ip);
        const mc = ip >>> 28 === 14;
        const bc = ip === 0xffffffff || e.isBroadcast(ip);
        for (const t of types)
          if (t === "LOCAL" ? local : t === "MULTICAST" ? mc : t === "BROADCAST" ? bc : !local && !mc && !bc)
            return true;
        return false;
      });
      return true;
    }
    case "--limit-iface-in":
    case "--limit-iface-out":
      return true;
  }
  return false;
}

/** --mark (mark, or connmark's after -m connmark). */
function markMatch(b: RuleBuild, o: IptOpt): boolean {
  if (o.opt !== "--mark") return false;
  const g = b.g;
  const { v, m } = parseMarkSpec(b.rule, o.args[0]);
  if (b.module === "connmark") b.add(o, (e) => (e.ctMark & m) >>> 0 === v);
  else if (m !== 0 && b.first("mark")) [g.markV, g.markM, g.markNeg] = [v, m, !!o.neg];
  else b.add(o, (e) => (e.pkt.mark & m) >>> 0 === v);
  return true;
}

/** statistic's and recent's options: collected here, their matchers made by addChoices. */
function choiceMatch(b: RuleBuild, o: IptOpt): boolean {
  const a = o.args;
  switch (o.opt) {
    case "--mode":
      if (a[0] !== "random") err(b.rule, `unsupported statistic mode "${a[0]}"`);
      b.statistic = { mode: a[0], p: 1, neg: !!o.neg };
      return true;
    case "--probability":
      if (!b.statistic) b.statistic = { mode: "random", p: 1, neg: false };
      b.statistic.p = Number(a[0]);
      if (o.neg) b.statistic.neg = true;
      return true;
    case "--name":
      b.recent = { ...(b.recent ?? { op: "", neg: false, rdest: false }), name: a[0] };
      return true;
    case "--rcheck":
    case "--update":
    case "--set":
    case "--remove":
      b.recent = { ...(b.recent ?? { name: "DEFAULT", neg: false, rdest: false }), op: o.opt, neg: !!o.neg };
      return true;
    case "--rdest":
      if (b.recent) b.recent.rdest = true;
      return true;
    case "--seconds":
    case "--reap":
    case "--rsource":
    case "--hitcount":
    case "--rttl":
    case "--mask":
      return true; // a trace is instantaneous: an entry set earlier is always within its --seconds
  }
  return false;
}

/** conntrack's --ctstate, state's --state. */
function stateMatch(b: RuleBuild, o: IptOpt): boolean {
  if (o.opt !== "--ctstate" && o.opt !== "--state") return false;
  const states = o.args[0].split(",");
  // Only plain states (DNAT/SNAT and unknown words stay closures).
  const bits = states.every((st) => Object.hasOwn(CT_BITS, st))
    ? states.reduce((b, st) => b | CT_BITS[st as CtState], 0)
    : 0;
  if (bits > 0 && b.first("ct")) {
    [b.g.ctBits, b.g.ctNeg] = [bits, !!o.neg];
    return true;
  }
  b.add(o, (e) => {
    for (const s of states) if (s === "DNAT" ? e.ctDnat : s === "SNAT" ? e.ctSnat : s === e.ctState) return true;
    return false;
  });
  return true;
}

/** physdev's options (bridged traffic through br_netfilter). */
function physdevMatch(b: RuleBuild, o: IptOpt): boolean {
  switch (o.opt) {
    case "--physdev-in": {
      const f = ifMatch(o.args[0]);
      b.add(o, (e) => f(e.physIn));
      return true;
    }
    case "--physdev-out": {
      const f = ifMatch(o.args[0]);
      b.add(o, (e) => f(e.physOut));
      return true;
    }
    case "--physdev-is-bridged":
      b.add(o, (e) => e.bridged);
      return true;
    case "--physdev-is-in":
      b.add(o, (e) => e.physIn !== undefined);
      return true;
    case "--physdev-is-out":
      b.add(o, (e) => e.physOut !== undefined);
      return true;
  }
  return false;
}

/** tcp's --syn, limit, icmp, iprange, set. */
function otherMatch(b: RuleBuild, o: IptOpt): boolean {
  const a = o.args;
  switch (o.opt) {
    case "--syn":
      b.add(o, (e) => e.pkt.proto === "tcp" && e.ctState === "NEW");
      return true;
    case "--limit":
    case "--limit-burst":
      return true; // the first packet is always within the limit
    case "--icmp-type": {
      const t = a[0];
      b.add(
        o,
        (e) =>
          e.pkt.proto === "icmp" &&
          (t === "any" || (e.isReplyPacket ? t === "echo-reply" || t === "0" : t === "echo-request" || t === "8")),
      );
      return true;
    }
    case "--src-range":
    case "--dst-range": {
      const [lo, hi] = a[0].split("-").map(ipToInt);
      const src = o.opt === "--src-range";
      b.add(o, (e) => {
        const ip = src ? e.pkt.src : e.pkt.dst;
        return ip >= lo && ip <= hi;
      });
      return true;
    }
    case "--match-set": {
      // The IR holds no ipsets: their members come from TraceOptions.ipsets (ipvs mode).
      const name = a[0];
      const dirs = (a[1] ?? "src").split(",");
      if (!name || dirs.some((d) => d !== "src" && d !== "dst")) err(b.rule, `invalid --match-set "${a.join(" ")}"`);
      b.add(o, (e) => e.ipsetHas(name, dirs));
      return true;
    }
    case "--return-nomatch":
    case "--update-counters":
    case "--update-subcounters":
      return true;
  }
  return false;
}

/** statistic's random branch and recent's memory: matchers with effects, run after the pure ones. */
export function addChoices(b: RuleBuild): void {
  if (b.statistic) {
    const s = b.statistic;
    const p = s.neg ? 1 - s.p : s.p;
    const label = b.rule.target ?? "?";
    // Built once: the branch labels are constants of the rule.
    const options = [
      { p, label: `${label} (p=${p.toFixed(4)})` },
      { p: 1 - p, label: `not ${label}` },
    ];
    const what = `statistic --probability ${s.p}`;
    b.effectful.push((e) => {
      if (p >= 1) return true;
      if (p <= 0) return false;
      return e.choose(options, what) === 0;
    });
  }
  if (b.recent) {
    const r = b.recent;
    b.effectful.push((e) => {
      const key = r.rdest ? e.pkt.dst : e.pkt.src;
      let hit: boolean;
      if (r.op === "--set") {
        e.recentSet(r.name, key);
        hit = true;
      } else if (r.op === "--remove") {
        hit = e.recentHas(r.name, key);
        e.recentRemove(r.name, key);
      } else hit = e.recentHas(r.name, key);
      return r.neg ? !hit : hit;
    });
  }
}

/** Every option of the rule, in order, into `b`: each family takes its own. */
export function readOptions(b: RuleBuild): void {
  for (const o of b.rule.opts) {
    if (
      !basicMatch(b, o) &&
      !moduleMatch(b, o) &&
      !portMatch(b, o) &&
      !addrTypeMatch(b, o) &&
      !markMatch(b, o) &&
      !choiceMatch(b, o) &&
      !stateMatch(b, o) &&
      !physdevMatch(b, o) &&
      !otherMatch(b, o)
    )
      err(b.rule, `unsupported match option "${o.opt}"${b.module ? ` (module ${b.module})` : ""}`);
  }
}
