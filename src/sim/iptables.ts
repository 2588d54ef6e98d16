// iptables rules (IptRule: the CLI's own argument list) compiled into matchers and
// targets, and evaluated the way the kernel's x_tables does: rules in order, matches
// in order (side-effecting ones — statistic, recent — after the pure ones, which gives
// the same outcome distribution), jump/goto/RETURN, built-in chain policy.

import type { IptChain, IptLayer, IptRule, IptTableName } from "../ir/types.js";
import { ipToInt } from "../net/ipv4.js";
import type { CtState, NfEnv, NfVerdict } from "./nfenv.js";
import {
  addChoices,
  readOptions,
  RuleBuild,
  err,
  type GuardFields,
  type GuardKind,
  type Matcher,
} from "./iptables-match.js";

export { RuleError, type Matcher } from "./iptables-match.js";

export interface TargetSpec {
  kind:
    | "accept"
    | "drop"
    | "reject"
    | "return"
    | "jump"
    | "goto"
    | "dnat"
    | "snat"
    | "masquerade"
    | "mark"
    | "connmark"
    | "log"
    | "nflog"
    | "notrack"
    | "none";
  chain?: string;
  /** dnat/snat */
  addr?: number;
  port?: number;
  /** mark: new = (old & ~mask) ^ xor  (the kernel's --set-xmark form) */
  mask?: number;
  xor?: number;
  /** connmark save/restore */
  connmark?: "set" | "save" | "restore";
  rejectWith?: string;
}

/** The guard fields (GuardFields) sit on the rule itself: one object, read inline. */
export interface CompiledRule extends GuardFields {
  rule: IptRule;
  /** Has a statistic match (a random branch). */
  random: boolean;
  /** The statistic probability when it is the rule's only match (comments aside). */
  onlyStatistic?: number;
  /**
   * The common matches as plain fields, checked inline before the matcher closures (see
   * guardOk); `guarded` says whether any is set. A rule's closures, their contexts and CIDR
   * lists were several more objects to load per rule, cold in the CPU cache at 5,000 nodes
   * (each node's FLANNEL-POSTRTG rules are its own). Unset fields always pass.
   */
  guarded: boolean;
  /** Which guard fields are set (G_* bits): only those are read. */
  gm: number;
  /** The other matches, without side effects (evaluated after the guard fields). */
  pure: Matcher[];
  effectful: Matcher[];
  target: TargetSpec;
  /** The rule's chain (its iptables-save text is made only when a step shows it: ruleText). */
  chain: string;
  /** Index key for exact `-d IP/32 -p P --dport N` rules (runKey): a lookup builds no string. */
  nkey?: number;
  /** The key's destination is "*" (KUBE-NODEPORTS: any local address). */
  anyDst?: boolean;
  comment?: string;
  /**
   * A jump to a compact chain (KUBE-SVC-*, KUBE-SEP-*): its compiled chain and the layer's
   * compact chains it came from, valid in every namespace where that layer owns them (jumpTo).
   */
  csub: Segment[] | undefined;
  /** null: its target was found not to be a compact chain. */
  cl: CompactRef | null | undefined;
}

/** Targets podnet does not model: an error naming the rule, not a jump to a missing chain. */
const UNSUPPORTED_TARGETS = new Set([
  "QUEUE",
  "NFQUEUE",
  "TPROXY",
  "REDIRECT",
  "TRACE",
  "TCPMSS",
  "CLASSIFY",
  "DSCP",
  "TOS",
  "TTL",
  "AUDIT",
  "SET",
  "CHECKSUM",
]);
const TERMINAL = new Set([
  "ACCEPT",
  "DROP",
  "REJECT",
  "RETURN",
  "DNAT",
  "SNAT",
  "MASQUERADE",
  "MARK",
  "CONNMARK",
  "LOG",
  "NFLOG",
  "NOTRACK",
  "CT",
]);

/** A rule's guard fields against the packet (CompiledRule.guarded); unset fields pass. */
function guardOk(cr: CompiledRule, e: NfEnv): boolean {
  const gm = cr.gm;
  const p = e.pkt;
  if (gm & G.s && ((p.src & cr.sMask) >>> 0 === cr.sNet) === cr.sNeg) return false;
  if (gm & G.d && ((p.dst & cr.dMask) >>> 0 === cr.dNet) === cr.dNeg) return false;
  if (gm & G.mark && ((p.mark & cr.markM) >>> 0 === cr.markV) === cr.markNeg) return false;
  if (gm & G.ct && ((ctBit(e.ctState) & cr.ctBits) !== 0) === cr.ctNeg) return false;
  if (gm & G.p && (p.proto === cr.proto) === cr.protoNeg) return false;
  if (gm & G.i && ifIs(e.inIf, cr.inIf, cr.inPre) === cr.inNeg) return false;
  if (gm & G.o && ifIs(e.outIf, cr.outIf, cr.outPre) === cr.outNeg) return false;
  return true;
}

/** Guard kinds as bits of CompiledRule.gm. */
const G: Readonly<Record<GuardKind, number>> = { s: 1, d: 2, p: 4, mark: 8, i: 16, o: 32, ct: 64 };

/** A rule's matches without side effects (guard fields, then the closures), in evaluation order. */
export function matchesPure(cr: CompiledRule, e: NfEnv): boolean {
  if (cr.gm !== 0 && !guardOk(cr, e)) return false;
  for (const m of cr.pure) if (!m(e)) return false;
  return true;
}

function ifIs(n: string | undefined, name: string, pre: boolean): boolean {
  return pre ? n !== undefined && n.startsWith(name) : n === name;
}

/** CT_BITS[s] as a switch: one keyed load site seeing five names goes megamorphic. */
function ctBit(s: CtState): number {
  switch (s) {
    case "NEW":
      return 1;
    case "ESTABLISHED":
      return 2;
    case "RELATED":
      return 4;
    case "INVALID":
      return 8;
    default:
      return 16;
  }
}

/** Render a rule as iptables-save prints it (for trace objects). */
export function ruleText(chain: string, r: IptRule): string {
  const q = (a: string) => (/[\s"]/.test(a) || a === "" ? JSON.stringify(a) : a);
  const parts = [`-A ${chain}`];
  for (const o of r.opts)
    parts.push(`${o.neg ? "! " : ""}${o.opt}${o.args.length ? " " + o.args.map(q).join(" ") : ""}`);
  if (r.target) parts.push(`${r.goto ? "-g" : "-j"} ${r.target}`);
  for (const o of r.targetOpts ?? [])
    parts.push(`${o.neg ? "! " : ""}${o.opt}${o.args.length ? " " + o.args.map(q).join(" ") : ""}`);
  return parts.join(" ");
}

/**
 * A rule object's compiled rule. Module-level: a side table of the IR's rule objects (an
 * entry dies with its rule, so it lives no longer than the IR), on the compile path of
 * compact chains, which has no CompiledIR; its values are the interned rules below.
 */
const ruleCache = new WeakMap<IptRule, CompiledRule>();

/**
 * Per-node layers (flannel's chains, kube-proxy's node rules) are fresh rule objects on every
 * node, mostly with the same text: one compiled rule per text for all of them, so that a
 * trace crossing many nodes runs the same few compiled rules (hot in the CPU cache) instead
 * of a copy per node. First in, first out beyond INTERN_MAX texts. Process-wide on purpose:
 * the text is the whole identity (chain, rule, line, drop tag), so IRs rebuilt for the same
 * cluster (a change, a reload) reuse the rules too; bounded by INTERN_MAX.
 */
const ruleByText = new Map<string, CompiledRule>();
const INTERN_MAX = 200_000;
/** Chains longer than this are not keyed by text (kube-proxy's big chains are shared objects already). */
export const INTERN_RULES_MAX = 64;

export function internKey(chain: string, r: IptRule): string {
  // The line number is part of a rule's identity: a trace names it (--rules-from files); so
  // is its drop tag (the same text untagged is a plain filter).
  const k = r.line === undefined ? ruleText(chain, r) : `${ruleText(chain, r)}\0${r.line}`;
  return r.drop === undefined
    ? k
    : `${k}\0${r.drop.reason}${r.drop.reason === "SERVICE_BACKEND_NOT_FOUND" && r.drop.local ? " local" : ""}`;
}

function internRule(chain: string, rule: IptRule): CompiledRule {
  const hit = ruleCache.get(rule);
  if (hit) return hit;
  const key = internKey(chain, rule); // names the chain: "-A CHAIN …"
  let cr = ruleByText.get(key);
  if (!cr) {
    cr = compileRule(chain, rule, false);
    if (ruleByText.size >= INTERN_MAX) ruleByText.delete(ruleByText.keys().next().value!);
    ruleByText.set(key, cr);
  }
  ruleCache.set(rule, cr);
  return cr;
}

/** The protocols a run index keys on, as small numbers (0: not indexed). */
function runProto(proto: string): number {
  return proto === "tcp" ? 1 : proto === "udp" ? 2 : proto === "sctp" ? 3 : 0;
}
/**
 * (dst, proto, dport) hashed to a 30-bit integer (a small integer for V8's Maps: a key of
 * 50 bits was a heap number, allocated and hashed on every lookup); -1 for other protocols.
 * A collision only adds candidates: each candidate rule is still matched in full, in order.
 */
export function runKey(dst: number, proto: string, dport: number): number {
  const p = runProto(proto);
  if (p === 0) return -1;
  return (Math.imul(dst | 0, 0x9e3779b1) ^ Math.imul(dport * 4 + p, 0x85ebca6b)) & 0x3fffffff;
}

/**
 * `remember`: keep the result for this rule object. A compact chain's rules are fresh objects
 * on every lookup (the caller caches the compiled chain itself): a WeakMap entry for each
 * would cost more than the compile (ephemeron tables, ~40 % of it measured) and slow every GC.
 */
export function compileRule(chain: string, rule: IptRule, remember = true): CompiledRule {
  const hit = ruleCache.get(rule);
  if (hit) return hit;
  const b = new RuleBuild(rule);
  readOptions(b);
  addChoices(b);
  const out = compiled(chain, b);
  if (remember) ruleCache.set(rule, out);
  return out;
}

/** The compiled rule of what `b` collected. */
function compiled(chain: string, b: RuleBuild): CompiledRule {
  const { g, rule, recent, pure, proto, exactDst, exactDport } = b;
  const target = compileTarget(rule);
  const st = b.statistic as { p: number; neg: boolean } | null;
  const guarded = b.kinds.size > 0;
  let gm = 0;
  for (const k of b.kinds) gm |= G[k as GuardKind];
  const onlyStatistic = st && !recent && pure.length === 0 && !guarded ? (st.neg ? 1 - st.p : st.p) : undefined;
  // Index keys (dst, proto, dport) (KUBE-SERVICES) or (any, proto, dport) (KUBE-NODEPORTS).
  const keyed = b.keyable && proto !== "" && exactDport !== undefined && runProto(proto) !== 0;
  // Every field in one order, present or not: one object shape for all compiled rules keeps
  // the rule loop's loads monomorphic. The fields the rule loop reads come first (fewer cache
  // lines per rule when the rule is cold), the most deciding guards first among them.
  return {
    gm,
    sNet: g.sNet,
    sMask: g.sMask,
    sNeg: g.sNeg,
    dNet: g.dNet,
    dMask: g.dMask,
    dNeg: g.dNeg,
    markV: g.markV,
    markM: g.markM,
    markNeg: g.markNeg,
    ctBits: g.ctBits,
    ctNeg: g.ctNeg,
    pure,
    effectful: b.effectful,
    random: !!st,
    target,
    proto: g.proto,
    protoNeg: g.protoNeg,
    inIf: g.inIf,
    inPre: g.inPre,
    inNeg: g.inNeg,
    outIf: g.outIf,
    outPre: g.outPre,
    outNeg: g.outNeg,
    guarded,
    rule,
    onlyStatistic,
    chain,
    nkey: keyed ? runKey(exactDst ?? 0, proto, exactDport!) : undefined,
    anyDst: keyed ? exactDst === undefined : undefined,
    comment: b.comment,
    csub: undefined,
    cl: undefined,
  };
}

function optVal(rule: IptRule, name: string): string | undefined {
  return rule.targetOpts?.find((o) => o.opt === name)?.args[0];
}

/** Every target object has every field (one shape: applyTarget's loads stay monomorphic). */
function target(kind: TargetSpec["kind"], f: Partial<Omit<TargetSpec, "kind">> = {}): TargetSpec {
  return {
    kind,
    chain: f.chain,
    addr: f.addr,
    port: f.port,
    mask: f.mask,
    xor: f.xor,
    connmark: f.connmark,
    rejectWith: f.rejectWith,
  };
}

function compileTarget(rule: IptRule): TargetSpec {
  return target(...targetOf(rule));
}

function targetOf(rule: IptRule): [TargetSpec["kind"], Partial<Omit<TargetSpec, "kind">>?] {
  const t = rule.target;
  if (!t) return ["none"];
  const opts = rule.targetOpts ?? [];
  switch (t) {
    case "ACCEPT":
      return ["accept"];
    case "DROP":
      return ["drop"];
    case "RETURN":
      return ["return"];
    case "REJECT":
      return ["reject", { rejectWith: optVal(rule, "--reject-with") ?? "icmp-port-unreachable" }];
    case "DNAT":
    case "SNAT": {
      const v = optVal(rule, t === "DNAT" ? "--to-destination" : "--to-source");
      if (!v) err(rule, `${t} without ${t === "DNAT" ? "--to-destination" : "--to-source"}`);
      const m = /^([\d.]+)(?:-[\d.]+)?(?::(\d+)(?:-\d+)?)?$/.exec(v);
      if (!m) err(rule, `unsupported ${t} address "${v}"`);
      return [t === "DNAT" ? "dnat" : "snat", { addr: ipToInt(m[1]), port: m[2] ? Number(m[2]) : undefined }];
    }
    case "MASQUERADE": {
      const p = optVal(rule, "--to-ports");
      return ["masquerade", { port: p ? Number(p.split("-")[0]) : undefined }];
    }
    case "MARK":
    case "CONNMARK": {
      let mask = 0,
        xor = 0,
        connmark: TargetSpec["connmark"] = "set";
      for (const o of opts) {
        const spec = o.args[0] ?? "";
        const [v, mm] = spec.split("/");
        const vn = Number(v) >>> 0;
        const mn = mm === undefined ? 0xffffffff : Number(mm) >>> 0;
        switch (o.opt) {
          case "--set-xmark":
            mask = mn;
            xor = vn;
            break;
          case "--set-mark":
            mask = mn;
            xor = vn;
            if (mm !== undefined) xor = vn & mn;
            break;
          case "--or-mark":
            mask = vn;
            xor = vn;
            break;
          case "--xor-mark":
            mask = 0;
            xor = vn;
            break;
          case "--and-mark":
            mask = ~vn >>> 0;
            xor = 0;
            break;
          case "--save-mark":
            connmark = "save";
            break;
          case "--restore-mark":
            connmark = "restore";
            break;
          case "--nfmask":
          case "--ctmask":
          case "--mask":
            break;
          default:
            err(rule, `unsupported ${t} option "${o.opt}"`);
        }
      }
      return t === "MARK" ? ["mark", { mask, xor }] : ["connmark", { mask, xor, connmark }];
    }
    case "LOG":
      return ["log"];
    case "NFLOG":
      // Non-terminal (xt_NFLOG returns XT_CONTINUE): podnet's flow-log rules before a drop.
      return ["nflog"];
    case "NOTRACK":
      return ["notrack"];
    case "CT":
      if (opts.some((o) => o.opt === "--notrack")) return ["notrack"];
      err(rule, `unsupported target "CT ${opts.map((o) => o.opt).join(" ")}"`);
    default:
      if (TERMINAL.has(t) || UNSUPPORTED_TARGETS.has(t)) err(rule, `unsupported target "${t}"`);
      return [rule.goto ? "goto" : "jump", { chain: t }];
  }
}

// ---------------------------------------------------------------------------
// Chains: a merged chain is the concatenation of its layers' segments. A segment with
// many `-d IP/32 -p P --dport N` rules in a row gets an index for those runs.

/**
 * A run of rules that only draw a random number and jump (kube-proxy's KUBE-SVC endpoint
 * rules, statistic 1/n, 1/(n-1), …, then one unconditional jump): one n-way branch with
 * option i taken with p_i·Π_{j<i}(1−p_j) — the same distribution as rule-by-rule.
 */
export interface RandomRun {
  /** Rule indexes of the options; -1 = none matched (continue after the run). */
  idx: number[];
  options: { p: number; label: string }[];
  end: number;
}

export interface IndexedRun {
  end: number;
  /** runKey → rule indexes, in order (keys that collide share one list). */
  byKey: Map<number, number[]>;
  anyDst: boolean;
}

export interface Segment {
  chain: IptChain;
  layer: string;
  rules: CompiledRule[];
  randomRuns: Map<number, RandomRun>;
  /** runStart[i] = end index (exclusive) of an indexed run starting at i. */
  runs: Map<number, IndexedRun>;
  /** `runs` and `randomRuns` as arrays by rule index, read by the rule loop (undefined: none, no array). */
  runAt: (IndexedRun | undefined)[] | undefined;
  randomAt: (RandomRun | undefined)[] | undefined;
  /** Offset of this segment's first rule in the merged chain. */
  offset: number;
  /** Trace objects of its rules, made on first use. */
  objs?: (import("./trace.js").StepObject | undefined)[];
  /** Whether its layer's role is "policy" (steps say POLICY; a drop is POLICY_DENIED). */
  policy?: boolean;
  /** Step texts per rule ("TABLE CHAIN: "comment" → "; a jump's whole text), made on first use. */
  say?: (string | undefined)[];
  jump?: (string | undefined)[];
  /** Jump slots (see jumpTo): rule index → slot in each namespace's resolved jumps. Not for compact chains. */
  jid?: (number | undefined)[];
  /** Dropped from the compact-chain cache (rules that remember it compile it again). */
  evicted?: boolean;
}

/**
 * "This chain is the layer's compact chain" (one object per layer and table, remembered per
 * namespace and name), with `m`: the compiled compact chains of that table, oldest first (Map order).
 * Declared here, not in netfilter-segments.ts which fills them: a CompiledRule remembers one (cl).
 */
export interface CompactRef {
  layer: IptLayer;
  table: IptTableName;
  m: Map<string, Segment[]>;
}

const INDEX_MIN_RUN = 8;
const NO_RUNS: Map<number, IndexedRun> = new Map();
const NO_RANDOM: Map<number, RandomRun> = new Map();
/** A chain object's compiled rules and indexes. Module-level: a side table of the IR's chains (see ruleCache). */
const segCache = new WeakMap<IptChain, Omit<Segment, "offset" | "layer">>();

function byIndex<T>(m: Map<number, T>, n: number): (T | undefined)[] | undefined {
  if (m.size === 0) return undefined;
  // Pushed, not `new Array(n)`: past ~16k elements that makes a dictionary (KUBE-SERVICES at scale).
  const a: (T | undefined)[] = [];
  for (let i = 0; i < n; i++) a.push(m.get(i));
  return a;
}

export function compileSegment(chain: IptChain, remember = true): Omit<Segment, "offset" | "layer"> {
  const hit = segCache.get(chain);
  if (hit) return hit;
  const rules =
    remember && chain.rules.length <= INTERN_RULES_MAX
      ? chain.rules.map((r) => internRule(chain.name, r))
      : chain.rules.map((r) => compileRule(chain.name, r, remember));
  const runs = new Map<number, IndexedRun>();
  let i = 0;
  while (i < rules.length) {
    if (rules[i].nkey === undefined) {
      i++;
      continue;
    }
    const anyDst = !!rules[i].anyDst;
    let j = i;
    while (j < rules.length && rules[j].nkey !== undefined && !!rules[j].anyDst === anyDst) j++;
    if (j - i >= INDEX_MIN_RUN) {
      const byKey = new Map<number, number[]>();
      for (let k = i; k < j; k++) {
        const key = rules[k].nkey!;
        const l = byKey.get(key);
        if (l) l.push(k);
        else byKey.set(key, [k]);
      }
      runs.set(i, { end: j, byKey, anyDst });
    }
    i = j;
  }
  const randomRuns = new Map<number, RandomRun>();
  const jumps = (r: CompiledRule) => r.target.kind === "jump" || r.target.kind === "goto";
  for (let a = 0; a < rules.length; ) {
    if (rules[a].onlyStatistic === undefined || !jumps(rules[a])) {
      a++;
      continue;
    }
    let b = a;
    while (b < rules.length && rules[b].onlyStatistic !== undefined && jumps(rules[b])) b++;
    // An unconditional jump closes the run (kube-proxy's last endpoint).
    const closes =
      b < rules.length &&
      !rules[b].guarded &&
      rules[b].pure.length === 0 &&
      rules[b].effectful.length === 0 &&
      jumps(rules[b]);
    const end = closes ? b + 1 : b;
    if (end - a >= 2) {
      const idx: number[] = [];
      const options: { p: number; label: string }[] = [];
      let rest = 1;
      for (let k = a; k < b; k++) {
        const p = Math.min(1, Math.max(0, rules[k].onlyStatistic!));
        idx.push(k);
        options.push({ p: rest * p, label: `${rules[k].target.chain} (p=${(rest * p).toFixed(4)})` });
        rest *= 1 - p;
      }
      if (closes) {
        idx.push(b);
        options.push({ p: rest, label: `${rules[b].target.chain} (p=${rest.toFixed(4)})` });
      } else {
        idx.push(-1);
        options.push({ p: rest, label: `not ${chain.name}` });
      }
      randomRuns.set(a, { idx, options, end });
    }
    a = end;
  }
  // Most chains have neither: one shared empty Map each (two Maps per KUBE-SEP chain added up).
  // The rule loop reads them by rule index from arrays (one read per rule, not a Map lookup).
  const seg = {
    chain,
    rules,
    runs: runs.size ? runs : NO_RUNS,
    randomRuns: randomRuns.size ? randomRuns : NO_RANDOM,
    runAt: byIndex(runs, rules.length),
    randomAt: byIndex(randomRuns, rules.length),
  };
  if (remember) segCache.set(chain, seg);
  return seg;
}

export type { NfVerdict };

/** A target iptables itself implements (not a user chain's name). */
export function isBuiltinTarget(t: string): boolean {
  return TERMINAL.has(t);
}
