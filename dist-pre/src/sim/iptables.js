// iptables rules (IptRule: the CLI's own argument list) compiled into matchers and
// targets, and evaluated the way the kernel's x_tables does: rules in order, matches
// in order (side-effecting ones — statistic, recent — after the pure ones, which gives
// the same outcome distribution), jump/goto/RETURN, built-in chain policy.
import { ipToInt } from "../net/ipv4.js";
import { addChoices, readOptions, RuleBuild, err } from "./iptables-match.js";
export { RuleError } from "./iptables-match.js";
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
    "NFLOG",
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
    "NOTRACK",
    "CT",
]);
/** A rule's guard fields against the packet (CompiledRule.guarded); unset fields pass. */
function guardOk(cr, e) {
    const gm = cr.gm;
    const p = e.pkt;
    if (gm & G.s && ((p.src & cr.sMask) >>> 0 === cr.sNet) === cr.sNeg)
        return false;
    if (gm & G.d && ((p.dst & cr.dMask) >>> 0 === cr.dNet) === cr.dNeg)
        return false;
    if (gm & G.mark && ((p.mark & cr.markM) >>> 0 === cr.markV) === cr.markNeg)
        return false;
    if (gm & G.ct && ((ctBit(e.ctState) & cr.ctBits) !== 0) === cr.ctNeg)
        return false;
    if (gm & G.p && (p.proto === cr.proto) === cr.protoNeg)
        return false;
    if (gm & G.i && ifIs(e.inIf, cr.inIf, cr.inPre) === cr.inNeg)
        return false;
    if (gm & G.o && ifIs(e.outIf, cr.outIf, cr.outPre) === cr.outNeg)
        return false;
    return true;
}
/** Guard kinds as bits of CompiledRule.gm. */
const G = { s: 1, d: 2, p: 4, mark: 8, i: 16, o: 32, ct: 64 };
/** A rule's matches without side effects (guard fields, then the closures), in evaluation order. */
export function matchesPure(cr, e) {
    if (cr.gm !== 0 && !guardOk(cr, e))
        return false;
    for (const m of cr.pure)
        if (!m(e))
            return false;
    return true;
}
function ifIs(n, name, pre) {
    return pre ? n !== undefined && n.startsWith(name) : n === name;
}
/** CT_BITS[s] as a switch: one keyed load site seeing five names goes megamorphic. */
function ctBit(s) {
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
export function ruleText(chain, r) {
    const q = (a) => (/[\s"]/.test(a) || a === "" ? JSON.stringify(a) : a);
    const parts = [`-A ${chain}`];
    for (const o of r.opts)
        parts.push(`${o.neg ? "! " : ""}${o.opt}${o.args.length ? " " + o.args.map(q).join(" ") : ""}`);
    if (r.target)
        parts.push(`${r.goto ? "-g" : "-j"} ${r.target}`);
    for (const o of r.targetOpts ?? [])
        parts.push(`${o.neg ? "! " : ""}${o.opt}${o.args.length ? " " + o.args.map(q).join(" ") : ""}`);
    return parts.join(" ");
}
const ruleCache = new WeakMap();
/**
 * Per-node layers (flannel's chains, kube-proxy's node rules) are fresh rule objects on every
 * node, mostly with the same text: one compiled rule per text for all of them, so that a
 * trace crossing many nodes runs the same few compiled rules (hot in the CPU cache) instead
 * of a copy per node. First in, first out beyond INTERN_MAX texts.
 */
const ruleByText = new Map();
const INTERN_MAX = 200_000;
/** Chains longer than this are not keyed by text (kube-proxy's big chains are shared objects already). */
export const INTERN_RULES_MAX = 64;
export function internKey(chain, r) {
    // The line number is part of a rule's identity: a trace names it (--rules-from files); so
    // is its drop tag (the same text untagged is a plain filter).
    const k = r.line === undefined ? ruleText(chain, r) : `${ruleText(chain, r)}\0${r.line}`;
    return r.drop === undefined
        ? k
        : `${k}\0${r.drop.reason}${r.drop.reason === "NO_ENDPOINTS" && r.drop.local ? " local" : ""}`;
}
function internRule(chain, rule) {
    const hit = ruleCache.get(rule);
    if (hit)
        return hit;
    const key = internKey(chain, rule); // names the chain: "-A CHAIN …"
    let cr = ruleByText.get(key);
    if (!cr) {
        cr = compileRule(chain, rule, false);
        if (ruleByText.size >= INTERN_MAX)
            ruleByText.delete(ruleByText.keys().next().value);
        ruleByText.set(key, cr);
    }
    ruleCache.set(rule, cr);
    return cr;
}
/** The protocols a run index keys on, as small numbers (0: not indexed). */
function runProto(proto) {
    return proto === "tcp" ? 1 : proto === "udp" ? 2 : proto === "sctp" ? 3 : 0;
}
/**
 * (dst, proto, dport) hashed to a 30-bit integer (a small integer for V8's Maps: a key of
 * 50 bits was a heap number, allocated and hashed on every lookup); -1 for other protocols.
 * A collision only adds candidates: each candidate rule is still matched in full, in order.
 */
export function runKey(dst, proto, dport) {
    const p = runProto(proto);
    if (p === 0)
        return -1;
    return (Math.imul(dst | 0, 0x9e3779b1) ^ Math.imul(dport * 4 + p, 0x85ebca6b)) & 0x3fffffff;
}
/**
 * `remember`: keep the result for this rule object. A compact chain's rules are fresh objects
 * on every lookup (the caller caches the compiled chain itself): a WeakMap entry for each
 * would cost more than the compile (ephemeron tables, ~40 % of it measured) and slow every GC.
 */
export function compileRule(chain, rule, remember = true) {
    const hit = ruleCache.get(rule);
    if (hit)
        return hit;
    const b = new RuleBuild(rule);
    readOptions(b);
    addChoices(b);
    const out = compiled(chain, b);
    if (remember)
        ruleCache.set(rule, out);
    return out;
}
/** The compiled rule of what `b` collected. */
function compiled(chain, b) {
    const { g, rule, recent, pure, proto, exactDst, exactDport } = b;
    const target = compileTarget(rule);
    const st = b.statistic;
    const guarded = b.kinds.size > 0;
    let gm = 0;
    for (const k of b.kinds)
        gm |= G[k];
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
        nkey: keyed ? runKey(exactDst ?? 0, proto, exactDport) : undefined,
        anyDst: keyed ? exactDst === undefined : undefined,
        comment: b.comment,
        csub: undefined,
        cl: undefined,
    };
}
function optVal(rule, name) {
    return rule.targetOpts?.find((o) => o.opt === name)?.args[0];
}
/** Every target object has every field (one shape: applyTarget's loads stay monomorphic). */
function target(kind, f = {}) {
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
function compileTarget(rule) {
    return target(...targetOf(rule));
}
function targetOf(rule) {
    const t = rule.target;
    if (!t)
        return ["none"];
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
            if (!v)
                err(rule, `${t} without ${t === "DNAT" ? "--to-destination" : "--to-source"}`);
            const m = /^([\d.]+)(?:-[\d.]+)?(?::(\d+)(?:-\d+)?)?$/.exec(v);
            if (!m)
                err(rule, `unsupported ${t} address "${v}"`);
            return [t === "DNAT" ? "dnat" : "snat", { addr: ipToInt(m[1]), port: m[2] ? Number(m[2]) : undefined }];
        }
        case "MASQUERADE": {
            const p = optVal(rule, "--to-ports");
            return ["masquerade", { port: p ? Number(p.split("-")[0]) : undefined }];
        }
        case "MARK":
        case "CONNMARK": {
            let mask = 0, xor = 0, connmark = "set";
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
                        if (mm !== undefined)
                            xor = vn & mn;
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
        case "NOTRACK":
            return ["notrack"];
        case "CT":
            if (opts.some((o) => o.opt === "--notrack"))
                return ["notrack"];
            err(rule, `unsupported target "CT ${opts.map((o) => o.opt).join(" ")}"`);
        default:
            if (TERMINAL.has(t) || UNSUPPORTED_TARGETS.has(t))
                err(rule, `unsupported target "${t}"`);
            return [rule.goto ? "goto" : "jump", { chain: t }];
    }
}
const INDEX_MIN_RUN = 8;
const NO_RUNS = new Map();
const NO_RANDOM = new Map();
const segCache = new WeakMap();
function byIndex(m, n) {
    if (m.size === 0)
        return undefined;
    // Pushed, not `new Array(n)`: past ~16k elements that makes a dictionary (KUBE-SERVICES at scale).
    const a = [];
    for (let i = 0; i < n; i++)
        a.push(m.get(i));
    return a;
}
export function compileSegment(chain, remember = true) {
    const hit = segCache.get(chain);
    if (hit)
        return hit;
    const rules = remember && chain.rules.length <= INTERN_RULES_MAX
        ? chain.rules.map((r) => internRule(chain.name, r))
        : chain.rules.map((r) => compileRule(chain.name, r, remember));
    const runs = new Map();
    let i = 0;
    while (i < rules.length) {
        if (rules[i].nkey === undefined) {
            i++;
            continue;
        }
        const anyDst = !!rules[i].anyDst;
        let j = i;
        while (j < rules.length && rules[j].nkey !== undefined && !!rules[j].anyDst === anyDst)
            j++;
        if (j - i >= INDEX_MIN_RUN) {
            const byKey = new Map();
            for (let k = i; k < j; k++) {
                const key = rules[k].nkey;
                const l = byKey.get(key);
                if (l)
                    l.push(k);
                else
                    byKey.set(key, [k]);
            }
            runs.set(i, { end: j, byKey, anyDst });
        }
        i = j;
    }
    const randomRuns = new Map();
    const jumps = (r) => r.target.kind === "jump" || r.target.kind === "goto";
    for (let a = 0; a < rules.length;) {
        if (rules[a].onlyStatistic === undefined || !jumps(rules[a])) {
            a++;
            continue;
        }
        let b = a;
        while (b < rules.length && rules[b].onlyStatistic !== undefined && jumps(rules[b]))
            b++;
        // An unconditional jump closes the run (kube-proxy's last endpoint).
        const closes = b < rules.length &&
            !rules[b].guarded &&
            rules[b].pure.length === 0 &&
            rules[b].effectful.length === 0 &&
            jumps(rules[b]);
        const end = closes ? b + 1 : b;
        if (end - a >= 2) {
            const idx = [];
            const options = [];
            let rest = 1;
            for (let k = a; k < b; k++) {
                const p = Math.min(1, Math.max(0, rules[k].onlyStatistic));
                idx.push(k);
                options.push({ p: rest * p, label: `${rules[k].target.chain} (p=${(rest * p).toFixed(4)})` });
                rest *= 1 - p;
            }
            if (closes) {
                idx.push(b);
                options.push({ p: rest, label: `${rules[b].target.chain} (p=${rest.toFixed(4)})` });
            }
            else {
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
    if (remember)
        segCache.set(chain, seg);
    return seg;
}
//# sourceMappingURL=iptables.js.map