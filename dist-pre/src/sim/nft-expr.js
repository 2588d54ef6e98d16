// nftables expressions (libnftables JSON, man libnftables-json) against a packet: values,
// matches, set and map lookups (indexed: kube-proxy's maps hold an element per Service), and
// their text as `nft list` prints it. The chain evaluation is in nftables.ts.
import { ipToInt, parsePrefix, inPrefix } from "../net/ipv4.js";
import { protoName } from "./packet.js";
export class NftError extends Error {
}
/** A concatenation expression's type signature (types are fixed per expression). */
const concatSigs = new WeakMap();
export function evalExpr(e, env) {
    if (e && typeof e === "object") {
        if (e.payload) {
            const { protocol, field } = e.payload;
            if (protocol === "ip" && (field === "saddr" || field === "daddr"))
                return { ty: "addr", v: field === "saddr" ? env.pkt.src : env.pkt.dst };
            if (protocol === "ip" && field === "protocol")
                return { ty: "proto", v: env.pkt.proto };
            if ((protocol === "th" || protocol === "tcp" || protocol === "udp" || protocol === "sctp") &&
                (field === "dport" || field === "sport")) {
                const p = env.pkt.proto;
                if (protocol !== "th" && p !== protocol)
                    return { ty: "port", v: -1 };
                if (p !== "tcp" && p !== "udp" && p !== "sctp")
                    return { ty: "port", v: -1 };
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
            if (e.ct.key === "state")
                return {
                    ty: "ctstate",
                    v: env.ctState.toLowerCase() === "untracked" ? "untracked" : env.ctState.toLowerCase(),
                };
            if (e.ct.key === "mark")
                return { ty: "int", v: env.ctMark };
            if (e.ct.key === "status")
                return { ty: "ctstate", v: [env.ctDnat ? "dnat" : "", env.ctSnat ? "snat" : ""].filter(Boolean) };
            throw new NftError(`unsupported ct key "${e.ct.key}"`);
        }
        if (e.fib) {
            const flags = e.fib.flags ?? [];
            if (e.fib.result === "type") {
                const ip = flags.includes("saddr") ? env.pkt.src : env.pkt.dst;
                return {
                    ty: "str",
                    v: env.isLocal(ip) ? "local" : env.isBroadcast(ip) ? "broadcast" : ip >>> 28 === 14 ? "multicast" : "unicast",
                };
            }
            throw new NftError(`unsupported fib result "${e.fib.result}"`);
        }
        if (e.concat) {
            const c = e.concat;
            const v = new Array(c.length);
            const tys = new Array(c.length);
            for (let i = 0; i < c.length; i++) {
                const p = evalExpr(c[i], env);
                v[i] = p.v;
                tys[i] = p.ty;
            }
            let sig = concatSigs.get(c);
            // Nested concatenations and ct state components are not indexed ("": scan).
            if (sig === undefined)
                concatSigs.set(c, (sig = tys.some((x) => x === "concat" || x === "ctstate") ? "" : "concat:" + tys.join(",")));
            return { ty: "concat", v, tys, sig };
        }
        for (const op of ["&", "|", "^"]) {
            if (e[op]) {
                const [a, b] = e[op];
                const x = Number(evalExpr(a, env).v);
                const y = typeof b === "object" ? Number(evalExpr(b, env).v) : Number(b);
                return { ty: "int", v: (op === "&" ? x & y : op === "|" ? x | y : x ^ y) >>> 0 };
            }
        }
        if (e.numgen)
            throw new NftError("numgen is only supported as a vmap key");
    }
    throw new NftError(`unsupported expression ${JSON.stringify(e)}`);
}
export function lit(ty, x) {
    if (typeof x === "object" && x !== null && x.concat)
        x = x.concat;
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
/** Does `v` (of type ty) match the set element / literal `r`? `@name` reads the view's set
 *  (dynamic sets also hold what `update @set` added during this trace). */
export function matchOne(t, r, view, env) {
    if (typeof r === "string" && r.startsWith("@"))
        return setHas(view, env, r.slice(1), t);
    if (r && typeof r === "object" && !Array.isArray(r)) {
        if (r.set)
            return lookup(sourceOf(r.set, false), t, view, env) >= 0;
        if (r.prefix)
            return t.ty === "addr" && inPrefix(t.v, parsePrefix(`${r.prefix.addr}/${r.prefix.len}`));
        if (r.range) {
            const lo = lit(t.ty, r.range[0]);
            const hi = lit(t.ty, r.range[1]);
            return t.v >= lo && t.v <= hi;
        }
        if (r.concat)
            r = r.concat;
        else if (r.elem)
            return matchOne(t, r.elem.val ?? r.elem, view, env);
    }
    if (t.ty === "concat") {
        if (!Array.isArray(r))
            return false;
        const vs = t.v;
        for (let i = 0; i < vs.length; i++)
            if (!matchOne({ ty: t.tys[i], v: vs[i] }, r[i], view, env))
                return false;
        return true;
    }
    if (t.ty === "ctstate") {
        const have = Array.isArray(t.v) ? t.v : [t.v];
        const want = Array.isArray(r) ? r : [r];
        return want.some((w) => have.includes(w));
    }
    if (Array.isArray(r)) {
        for (let i = 0; i < r.length; i++)
            if (matchOne(t, r[i], view, env))
                return true;
        return false;
    }
    return lit(t.ty, r) === t.v;
}
// --- Set / map indexes -------------------------------------------------------------
// kube-proxy's maps hold an element per Service port (service-ips: ~20,000 at 10,000
// Services) and policy sets hold a pod IP per peer: a linear scan per packet is too slow.
// Each element list is indexed once per key type: elements that are plain values go into
// a Map keyed by the value exactly as `lit` converts it, concatenations of plain values
// into a hash of their components (compact: one index per node's merged map); every other
// element (prefix, range, @set, nested set, …) stays in a fallback list scanned in element
// order. A lookup returns the first element that matches, exactly as a scan would.
/** Not indexable: evaluate with matchOne. */
const SCAN = { scan: true };
/** Can never match (e.g. a literal that converts to NaN, a non-list for a concatenation). */
const NEVER = { never: true };
/** Below this size a plain scan is as fast as a Map. */
const SMALL = 8;
/** How a Source reads its list: a named set/map, an anonymous set, an anonymous vmap's [key, value] pairs. */
var Kind;
(function (Kind) {
    Kind[Kind["Named"] = 0] = "Named";
    Kind[Kind["Anon"] = 1] = "Anon";
    Kind[Kind["Pairs"] = 2] = "Pairs";
})(Kind || (Kind = {}));
const sources = new WeakMap();
/** The indexed element list of a named set/map or of an anonymous set (`pairs`: [key, value] elements of an anonymous vmap). */
export function sourceOf(list, pairs) {
    const arr = Array.isArray(list);
    const len = arr ? list.length : list.elem.length;
    const kind = arr ? (pairs ? Kind.Pairs : Kind.Anon) : Kind.Named;
    let s = sources.get(list);
    if (s && s.len === len && s.kind === kind)
        return s;
    s = { list, kind, len, bySig: new Map() };
    sources.set(list, s);
    return s;
}
function keyAt(src, i) {
    return src.kind === Kind.Named
        ? src.list.elem[i].key
        : src.kind === Kind.Pairs
            ? src.list[i][0]
            : src.list[i];
}
export function valueAt(src, i) {
    return src.kind === Kind.Named
        ? src.list.elem[i].value
        : src.kind === Kind.Pairs
            ? src.list[i][1]
            : undefined;
}
/** The key type signature of a lookup value; null: no index (scan everything). */
function sigOf(t) {
    if (t.ty === "ctstate")
        return null;
    if (t.ty !== "concat")
        return t.ty;
    return t.sig || null;
}
/** `lit(ty, r)` for a plain literal; SCAN when the element needs matchOne, NEVER when it cannot match. */
function scalarKey(ty, r) {
    if (typeof r !== "number" && typeof r !== "string")
        return SCAN;
    let v;
    try {
        v = lit(ty, r);
    }
    catch {
        return SCAN; // the scan reproduces the error in order
    }
    return typeof v === "number" && Number.isNaN(v) ? NEVER : v;
}
/** Mirrors matchOne's unwrapping of an element: its key value(s), or SCAN / NEVER. */
function classify(ty, tys, r) {
    for (;;) {
        if (typeof r === "string" && r.startsWith("@"))
            return SCAN;
        if (r && typeof r === "object" && !Array.isArray(r)) {
            if (r.set || r.prefix || r.range)
                return SCAN;
            if (r.concat)
                r = r.concat;
            else if (r.elem) {
                r = r.elem.val ?? r.elem;
                continue;
            }
        }
        break;
    }
    if (ty === "concat") {
        if (!Array.isArray(r))
            return NEVER;
        if (r.length !== tys.length)
            return SCAN;
        const out = [];
        // Components in order, as matchOne's every(): a component that cannot match ends it.
        for (let i = 0; i < tys.length; i++) {
            const k = classify(tys[i], undefined, r[i]);
            if (k === NEVER)
                return NEVER;
            if (k === SCAN)
                return SCAN;
            out.push(k);
        }
        return out;
    }
    if (Array.isArray(r))
        return SCAN;
    return scalarKey(ty, r);
}
/** Strings of concatenated keys (protocol names, interface names) as numbers. */
const interned = new Map();
/** A component as uint32: -1 when it has none (a non-integer number; at lookup, an unknown string). */
function enc(v, add) {
    if (typeof v === "number")
        return v >>> 0 === v ? v : -1;
    const s = v;
    let n = interned.get(s);
    if (n === undefined) {
        if (!add)
            return -1;
        interned.set(s, (n = interned.size));
    }
    return n;
}
function mix(h, c) {
    return Math.imul(h ^ c, 0x01000193) ^ (c >>> 16);
}
function buildIndex(src, t) {
    const n = src.len;
    const scan = [];
    if (n < SMALL || sigOf(t) === null) {
        for (let i = 0; i < n; i++)
            scan.push(i);
        return { exact: null, hashed: null, scan };
    }
    if (t.ty !== "concat") {
        const exact = new Map();
        for (let i = 0; i < n; i++) {
            const k = classify(t.ty, t.tys, keyAt(src, i));
            if (k === NEVER)
                continue;
            if (k === SCAN)
                scan.push(i);
            else if (!exact.has(k))
                exact.set(k, i);
        }
        return { exact, hashed: null, scan };
    }
    const width = t.tys.length;
    const first = new Map();
    const pos = new Int32Array(n);
    const next = new Int32Array(n).fill(-1);
    const comp = new Uint32Array(n * width);
    let slots = 0;
    elements: for (let i = 0; i < n; i++) {
        const k = classify(t.ty, t.tys, keyAt(src, i));
        if (k === NEVER)
            continue;
        if (k === SCAN) {
            scan.push(i);
            continue;
        }
        const ks = k;
        const base = slots * width;
        let h = 0x811c9dc5;
        for (let j = 0; j < width; j++) {
            const c = enc(ks[j], true);
            if (c < 0) {
                scan.push(i); // not representable: matchOne decides
                continue elements;
            }
            comp[base + j] = c;
            h = mix(h, c);
        }
        // Same hash: walk the chain; an equal key already there is the first element with it.
        let sl = first.get(h);
        if (sl === undefined)
            first.set(h, slots);
        else {
            for (;;) {
                if (sameComp(comp, sl * width, base, width))
                    continue elements;
                if (next[sl] < 0)
                    break;
                sl = next[sl];
            }
            next[sl] = slots;
        }
        pos[slots++] = i;
    }
    return { exact: null, hashed: { width, first, pos, next, comp }, scan };
}
function sameComp(comp, a, b, width) {
    for (let j = 0; j < width; j++)
        if (comp[a + j] !== comp[b + j])
            return false;
    return true;
}
/** The position of the first element of `src` that matches `t`, or -1. */
export function lookup(src, t, view, env) {
    const sig = sigOf(t);
    const sk = sig ?? "";
    let ix = src.bySig.get(sk);
    if (!ix)
        src.bySig.set(sk, (ix = buildIndex(src, t)));
    let pos = -1;
    if (ix.exact) {
        const p = ix.exact.get(t.v);
        if (p !== undefined)
            pos = p;
    }
    else if (ix.hashed)
        pos = hashedFind(ix.hashed, t.v);
    const scan = ix.scan;
    for (let j = 0; j < scan.length; j++) {
        const q = scan[j];
        if (pos >= 0 && q > pos)
            break;
        if (matchOne(t, keyAt(src, q), view, env))
            return q;
    }
    return pos;
}
let scratch = new Uint32Array(8);
function hashedFind(hx, vs) {
    const width = hx.width;
    if (scratch.length < width)
        scratch = new Uint32Array(width);
    const cs = scratch;
    let h = 0x811c9dc5;
    for (let j = 0; j < width; j++) {
        const c = enc(vs[j], false);
        if (c < 0)
            return -1;
        cs[j] = c;
        h = mix(h, c);
    }
    let sl = hx.first.get(h);
    const comp = hx.comp;
    while (sl !== undefined && sl >= 0) {
        const b = sl * width;
        let j = 0;
        while (j < width && comp[b + j] === cs[j])
            j++;
        if (j === width)
            return hx.pos[sl];
        sl = hx.next[sl];
    }
    return -1;
}
/** `@name` in a match: the named set's elements, then (dynamic sets) the trace's members. */
function setHas(view, env, name, t) {
    const s = view.sets.get(name);
    if (!s)
        throw new NftError(`set @${name} is not defined in table ${view.family} ${view.name}`);
    // Dynamic sets (kube-proxy's affinity-… sets) also hold what `update @set` added: the
    // per-trace affinity memory, keyed by the set's name like iptables' recent lists.
    const dyn = s.flags?.includes("dynamic") || name.startsWith("affinity-") ? env.recentList(name) : null;
    if (lookup(sourceOf(s, false), t, view, env) >= 0)
        return true;
    if (dyn)
        for (let i = 0; i < dyn.length; i++)
            if (matchOne(t, dyn[i], view, env))
                return true;
    return false;
}
/** numgen vmap: the first element whose key is numerically `k`, or -1. */
export function numPos(src, k) {
    let m = src.byNum;
    if (!m) {
        m = new Map();
        for (let i = 0; i < src.len; i++) {
            const n = Number(keyAt(src, i));
            if (!Number.isNaN(n) && !m.has(n))
                m.set(n, i);
        }
        src.byNum = m;
    }
    return m.get(k) ?? -1;
}
export function verdictOf(v) {
    if (!v || typeof v !== "object")
        return null;
    for (const k of ["accept", "drop", "return", "continue", "jump", "goto", "reject"])
        if (k in v)
            return { kind: k, target: v[k]?.target };
    return null;
}
export function nftRuleText(expr) {
    return expr.map(stmtText).filter(Boolean).join(" ");
}
function exprText(e) {
    if (e === null || e === undefined)
        return "";
    if (typeof e !== "object")
        return String(e);
    if (Array.isArray(e))
        return `{ ${e.map(exprText).join(", ")} }`;
    if (e.payload)
        return `${e.payload.protocol} ${e.payload.field}`;
    if (e.meta)
        return `meta ${e.meta.key}`;
    if (e.ct)
        return `ct ${e.ct.key}`;
    if (e.fib)
        return `fib ${(e.fib.flags ?? []).join(" . ")} ${e.fib.result}`;
    if (e.concat)
        return e.concat.map(exprText).join(" . ");
    if (e.prefix)
        return `${e.prefix.addr}/${e.prefix.len}`;
    if (e.range)
        return `${exprText(e.range[0])}-${exprText(e.range[1])}`;
    if (e.set)
        return `{ ${e.set.map((x) => (Array.isArray(x) && x.length === 2 && verdictOf(x[1]) ? `${exprText(x[0])} : ${stmtText(x[1])}` : exprText(x))).join(", ")} }`;
    if (e.numgen)
        return `numgen ${e.numgen.mode} mod ${e.numgen.mod}`;
    for (const op of ["&", "|", "^"])
        if (e[op])
            return `${exprText(e[op][0])} ${op === "&" ? "and" : op === "|" ? "or" : "xor"} ${exprText(e[op][1])}`;
    return JSON.stringify(e);
}
function stmtText(s) {
    if (s.match) {
        const op = s.match.op === "==" || s.match.op === "in" ? "" : s.match.op + " ";
        return `${exprText(s.match.left)} ${op}${exprText(s.match.right)}`;
    }
    if ("counter" in s)
        return "counter";
    if ("accept" in s)
        return "accept";
    if ("drop" in s)
        return "drop";
    if ("return" in s)
        return "return";
    if (s.jump)
        return `jump ${s.jump.target}`;
    if (s.goto)
        return `goto ${s.goto.target}`;
    if ("reject" in s)
        return "reject";
    if (s.dnat)
        return `dnat to ${exprText(s.dnat.addr)}${s.dnat.port !== undefined ? ":" + exprText(s.dnat.port) : ""}`;
    if (s.snat)
        return `snat to ${exprText(s.snat.addr)}`;
    if ("masquerade" in s)
        return `masquerade${s.masquerade?.flags ? " " + [].concat(s.masquerade.flags).join(",") : ""}`;
    if (s.mangle)
        return `${exprText(s.mangle.key)} set ${exprText(s.mangle.value)}`;
    if (s.vmap)
        return `${exprText(s.vmap.key)} vmap ${exprText(s.vmap.data)}`;
    if (s.set)
        return `${s.set.op} ${s.set.set} { ${exprText(s.set.elem)} }`;
    if ("log" in s)
        return "log";
    if ("notrack" in s)
        return "notrack";
    if ("limit" in s)
        return "limit";
    return JSON.stringify(s);
}
//# sourceMappingURL=nft-expr.js.map