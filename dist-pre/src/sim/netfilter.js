// Netfilter per namespace: iptables tables and nftables base chains merged from the
// IR's layers and evaluated in the kernel's priority order per hook.
//   raw -300, conntrack -200, mangle -150, nat(dst) -100, filter 0, security 50, nat(src) 100
// NAT chains (iptables nat table, nft `type nat`) see only the first packet of a connection.
import { isCompactChain, isCompactTable, layerChain, layerHasChain } from "../ir/compact.js";
import { compileSegment, internKey, matchesPure, INTERN_RULES_MAX, ruleText, runKey, } from "./iptables.js";
import { evalNftChain } from "./nftables.js";
import { makePkt, viewOf } from "./packet.js";
const IPT_PRIO = {
    PREROUTING: [
        ["raw", -300],
        ["mangle", -150],
        ["nat", -100],
    ],
    INPUT: [
        ["mangle", -150],
        ["filter", 0],
        ["security", 50],
        ["nat", 100],
    ],
    FORWARD: [
        ["mangle", -150],
        ["filter", 0],
        ["security", 50],
    ],
    OUTPUT: [
        ["raw", -300],
        ["mangle", -150],
        ["nat", -100],
        ["filter", 0],
        ["security", 50],
    ],
    POSTROUTING: [
        ["mangle", -150],
        ["nat", 100],
    ],
};
/** A table as a small number: arrays indexed by it instead of keyed loads (five names made those sites megamorphic). */
function tableIndex(t) {
    switch (t) {
        case "raw":
            return 0;
        case "mangle":
            return 1;
        case "nat":
            return 2;
        case "filter":
            return 3;
        default:
            return 4;
    }
}
const nsCache = new WeakMap();
/**
 * One Segment per chain for every namespace that has it: by object (kube-proxy's shared
 * layer) and, for small chains, by text (per-node layers such as flannel's are fresh objects
 * on every node but mostly the same text). A trace that crosses hundreds of nodes then runs
 * one compiled copy, hot in the CPU cache, instead of one per node; per-node copies also
 * grew the heap by ~50 KB per new trace at scale (measured). Shared segments look their
 * jump targets up per namespace (jumpTo).
 */
const segById = new WeakMap();
const segByText = new Map();
const SEG_INTERN_MAX = 100_000;
/** A shared segment alone in its chain: one array for every namespace. */
const solo = new WeakMap();
function sharedSegment(c, l, offset) {
    const tag = l.owner + "\0" + (l.role ?? "") + "\0" + offset;
    let byTag = segById.get(c);
    const hit = byTag?.get(tag);
    if (hit)
        return hit;
    let seg;
    let key;
    if (c.rules.length <= INTERN_RULES_MAX) {
        key = `${tag}\0${c.name}\0${c.policy ?? ""}`;
        for (const r of c.rules)
            key += "\n" + internKey(c.name, r);
        seg = segByText.get(key);
    }
    if (!seg) {
        seg = makeSegment(c, l, offset);
        if (key !== undefined) {
            if (segByText.size >= SEG_INTERN_MAX)
                segByText.delete(segByText.keys().next().value);
            segByText.set(key, seg);
        }
    }
    if (!byTag)
        segById.set(c, (byTag = new Map()));
    byTag.set(tag, seg);
    return seg;
}
let compactCount = 0;
// ~740 bytes a compiled KUBE-SEP chain (measured): 400k is ≤ 300 MB, over half of a threshold
// cluster's 722k. At 50k the bench's 10,000 traces (354k chains) recompiled every path's chain
// and the eviction churn made the heap larger, not smaller (peak 5.4 vs 4.9 GB, measured).
const COMPACT_MAX = 400_000;
const compactRefs = new WeakMap();
/** The caches to evict from. */
const compactMaps = new Set();
function compactRef(l, table) {
    let refs = compactRefs.get(l);
    if (!refs)
        compactRefs.set(l, (refs = []));
    const ti = tableIndex(table);
    let ref = refs[ti];
    if (!ref) {
        const m = new Map();
        compactMaps.add(new WeakRef(m));
        refs[ti] = ref = { layer: l, table, m };
    }
    return ref;
}
function compactSegs(ref, name) {
    const hit = ref.m.get(name);
    if (hit)
        return hit;
    // A fresh chain object: nothing to remember it by (this cache is its only home).
    const segs = [makeSegment(layerChain(ref.layer, ref.table, name), ref.layer, 0, false)];
    ref.m.set(name, segs);
    if (++compactCount > COMPACT_MAX)
        evictCompact();
    return segs;
}
/**
 * The layer whose compact chains (kube-proxy's KUBE-SVC-*, KUBE-SEP-*: hundreds of thousands)
 * are this namespace's chains of those names in `table`: the only layer here with a compact
 * table there, and no other layer here defines one of its compact chains' names. Then a jump
 * to such a chain needs no lookup by name in this namespace (see jumpTo).
 */
function soleCompact(layers, table) {
    let sole = null;
    for (const l of layers) {
        if (!isCompactTable(l, table))
            continue;
        if (sole)
            return null;
        sole = l;
    }
    if (!sole)
        return null;
    for (const l of layers) {
        if (l === sole)
            continue;
        const t = l.tables[table];
        if (t)
            for (const name in t)
                if (isCompactChain(sole, table, name))
                    return null;
    }
    return sole;
}
function evictCompact() {
    // First in, first out (cheaper than LRU bookkeeping on every hit): drop the oldest quarter
    // of each cache; an evicted chain is compiled again if a trace needs it.
    for (const ref of compactMaps) {
        const m = ref.deref();
        if (!m) {
            compactMaps.delete(ref);
            continue;
        }
        let drop = m.size >> 2;
        for (const [k, segs] of m) {
            if (drop-- <= 0)
                break;
            m.delete(k);
            // Jump rules may still point at it (jumpTo's compact targets): they compile it afresh.
            segs[0].evicted = true;
            compactCount--;
        }
    }
}
function makeSegment(c, l, offset, remember = true) {
    const s = compileSegment(c, remember);
    // A literal with every field in one order, not a spread: spread objects got a map each,
    // which made every `seg.x` load in evalIptChain megamorphic (measured: 3× slower walks).
    // Compact chains (remember false: kube-proxy's KUBE-SVC/KUBE-SEP, hundreds of thousands) get no jump slots.
    return {
        chain: s.chain,
        layer: l.owner,
        rules: s.rules,
        randomRuns: s.randomRuns,
        runs: s.runs,
        runAt: s.runAt,
        randomAt: s.randomAt,
        offset,
        objs: [],
        policy: l.role === "policy",
        say: [],
        jump: [],
        jid: remember ? [] : undefined,
        evicted: false,
    };
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
export function netfilterOf(ns) {
    const hit = nsCache.get(ns);
    if (hit)
        return hit;
    const nf = ns.netfilter;
    const layers = nf?.iptables ?? [];
    // One Map per table in a fixed-shape object: one Map lookup per resolution, not two.
    const chainCache = [
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
    ];
    const iptChain = (table, name) => {
        const ti = tableIndex(table);
        let tc = chainCache[ti];
        if (!tc)
            chainCache[ti] = tc = new Map();
        const hit = tc.get(name);
        if (hit !== undefined) {
            if (hit === null)
                return undefined;
            // A compact chain: this namespace remembers only which layer has it (the cache may have dropped its segment).
            if (!Array.isArray(hit))
                return compactSegs(hit, name);
            return hit;
        }
        // Every layer's part is a shared Segment (sharedSegment). A compact table's chains
        // (layerChain builds them on demand) are kept in a bounded cache instead: at the
        // thresholds a run of traces touches hundreds of thousands of KUBE-SEP chains.
        let onlyL;
        let n = 0;
        for (const l of layers) {
            if (layerHasChain(l, table, name)) {
                n++;
                onlyL = l;
            }
        }
        if (n === 1 && onlyL) {
            // A compact table's eager chains (PREROUTING, KUBE-SERVICES, ...) are lasting objects:
            // shared segments like any other, with jump slots.
            if (isCompactChain(onlyL, table, name)) {
                const ref = compactRef(onlyL, table);
                tc.set(name, ref);
                return compactSegs(ref, name);
            }
            const seg = sharedSegment(layerChain(onlyL, table, name), onlyL, 0);
            let segs = solo.get(seg);
            if (!segs)
                solo.set(seg, (segs = [seg]));
            tc.set(name, segs);
            return segs;
        }
        const segs = [];
        let offset = 0;
        for (const l of layers) {
            const c = layerChain(l, table, name);
            if (!c)
                continue;
            const seg = sharedSegment(c, l, offset);
            segs.push(seg);
            offset += seg.rules.length;
        }
        const out = segs.length ? segs : null;
        tc.set(name, out);
        return out ?? undefined;
    };
    const hooks = { PREROUTING: [], INPUT: [], FORWARD: [], OUTPUT: [], POSTROUTING: [] };
    for (const hook of Object.keys(hooks)) {
        for (const [table, prio] of IPT_PRIO[hook]) {
            if (layers.some((l) => layerHasChain(l, table, hook)))
                hooks[hook].push({ kind: "ipt", table, prio, nat: table === "nat", segs: undefined, dropPolicy: false });
        }
    }
    // nftables: tables merged by family+name, chains and sets by name, looked up lazily (a
    // threshold cluster's kube-proxy table has ~170k chains: copying them into a Map per
    // namespace ran out of memory at 1,000 nodes).
    const parts = new Map();
    for (const layer of nf?.nftables ?? []) {
        for (const t of layer.tables) {
            if (t.family !== "ip" && t.family !== "inet")
                continue;
            const key = t.family + " " + t.name;
            const l = parts.get(key);
            if (l)
                l.push({ t, owner: layer.owner });
            else
                parts.set(key, [{ t, owner: layer.owner }]);
        }
    }
    for (const list of parts.values()) {
        const v = nftView(list);
        const names = new Set();
        for (const { t } of list)
            for (const n of hookedChains(t))
                names.add(n);
        for (const n of names) {
            const c = v.chains.get(n);
            if (!c.hook || c.hook === "ingress")
                continue;
            const hook = c.hook.toUpperCase();
            hooks[hook].push({ kind: "nft", table: v, chain: c, prio: c.prio ?? 0, nat: c.type === "nat" });
        }
    }
    const hooksNoNat = { PREROUTING: [], INPUT: [], FORWARD: [], OUTPUT: [], POSTROUTING: [] };
    for (const h of Object.keys(hooks)) {
        hooks[h].sort((a, b) => a.prio - b.prio);
        hooksNoNat[h] = hooks[h].filter((b) => !b.nat);
    }
    const out = {
        hooks,
        hooksNoNat,
        iptChain,
        hasIptables: layers.length > 0,
        jumps: [],
        sole: [null, null, null, null, null],
    };
    for (const t of ["raw", "mangle", "nat", "filter", "security"])
        out.sole[tableIndex(t)] = soleCompact(layers, t);
    nsCache.set(ns, out);
    return out;
}
/** Base chains' names per table (computed once per table object: the kube-proxy table is shared by every node). */
const hookedNames = new WeakMap();
function hookedChains(t) {
    let l = hookedNames.get(t);
    if (!l) {
        l = [];
        for (const name in t.chains)
            if (t.chains[name].hook)
                l.push(name);
        hookedNames.set(t, l);
    }
    return l;
}
/** One table contributed by one layer: one view for every namespace. */
const singleViews = new WeakMap();
function nftView(list) {
    if (list.length === 1) {
        const { t, owner } = list[0];
        let byOwner = singleViews.get(t);
        if (!byOwner)
            singleViews.set(t, (byOwner = new Map()));
        let v = byOwner.get(owner);
        if (!v)
            byOwner.set(owner, (v = {
                family: t.family,
                name: t.name,
                chains: recordMap(t.chains),
                sets: recordMap(t.sets),
                owners: { get: (n) => (Object.hasOwn(t.chains, n) ? owner : undefined) },
                role: t.role,
                policyMaps: t.policyMaps,
            }));
        return v;
    }
    // Several layers: a name defined by one of them is that layer's object; by several, merged
    // in layer order (rules appended; the first hook/policy wins) and remembered.
    const chains = layered(list.map(({ t }) => t.chains), (m, c) => ({
        ...m,
        ...(m.hook ? {} : { hook: c.hook, type: c.type, prio: c.prio }),
        policy: m.policy ?? c.policy,
        rules: [...m.rules, ...c.rules],
    }));
    const sets = layered(list.map(({ t }) => t.sets), (m, x) => ({ ...m, elem: [...m.elem, ...x.elem] }));
    const first = list[0].t;
    return {
        family: first.family,
        name: first.name,
        chains,
        sets,
        owners: { get: (n) => list.find(({ t }) => Object.hasOwn(t.chains, n))?.owner },
        // Tags merge like a base chain's policy: the first layer that gives one.
        role: list.find(({ t }) => t.role)?.t.role,
        policyMaps: list.find(({ t }) => t.policyMaps)?.t.policyMaps,
    };
}
/** Lookups by name over records in order; a name in several is merged (and remembered). */
function layered(records, merge) {
    const memo = new Map();
    const get = (name) => {
        const hit = memo.get(name);
        if (hit !== undefined)
            return hit;
        let m;
        let n = 0;
        for (const r of records)
            if (Object.hasOwn(r, name))
                m = n++ === 0 ? r[name] : merge(m, r[name]);
        // Only merges are remembered: a name of one record is that record's own object.
        if (n > 1)
            memo.set(name, m);
        return m;
    };
    return { get, has: (k) => get(k) !== undefined };
}
function recordMap(r) {
    return { get: (k) => (Object.hasOwn(r, k) ? r[k] : undefined), has: (k) => Object.hasOwn(r, k) };
}
/** Evaluate one hook. `natAllowed`: the connection is NEW (nat chains run). Returns the verdict and the steps. */
export function runHook(ns, hook, env, natAllowed, from, to, out, holder) {
    // `holder` (the walk's per-namespace info) keeps the view: one pointer, not a lookup in a table of every namespace.
    let nf = holder?.nf;
    if (!nf) {
        nf = netfilterOf(ns);
        if (holder)
            holder.nf = nf;
    }
    // Steps go straight into `out` when given (the walk's hop: no copy).
    const steps = out ?? [];
    for (const b of hookList(natAllowed ? nf.hooks : nf.hooksNoNat, hook)) {
        if (from !== undefined && b.prio < from)
            continue;
        if (to !== undefined && b.prio >= to)
            continue;
        if (b.kind === "ipt") {
            // The built-in chain and its policy are resolved once per namespace (no Map lookups per packet).
            if (b.segs === undefined) {
                const segs = (b.segs = nf.iptChain(b.table, hook) ?? null);
                b.dropPolicy = segs?.find((s) => s.chain.policy)?.chain.policy === "DROP";
            }
            const r = evalIptBuiltin(b.table, b.segs, b.dropPolicy, nf, hook, env, steps);
            if (r.verdict !== "accept")
                return { verdict: r.verdict, object: r.object, steps, drop: r.drop };
        }
        else {
            const r = evalNftChain(b.table, b.chain, env, steps);
            if (r.verdict !== "accept")
                return { verdict: r.verdict, object: r.object, steps, drop: r.drop, ...(r.detail ? { detail: r.detail } : {}) };
        }
    }
    return { verdict: "accept", steps };
}
const NONE = [];
/** `hooks[hook]` without a keyed load (one site seeing five names went megamorphic). */
function hookList(h, hook) {
    switch (hook) {
        case "PREROUTING":
            return h.PREROUTING;
        case "INPUT":
            return h.INPUT;
        case "FORWARD":
            return h.FORWARD;
        case "OUTPUT":
            return h.OUTPUT;
        default:
            return h.POSTROUTING;
    }
}
const ACCEPTED = { verdict: "accept" };
function evalIptBuiltin(table, segs, dropPolicy, nf, hook, env, steps) {
    if (!segs)
        return ACCEPTED;
    const r = evalIptChain(nf, table, hook, segs, env, steps, 0);
    if (r.v === "return") {
        // The policy of the first layer that sets one (kept on the hook's entry).
        if (dropPolicy) {
            const object = { kind: "rule", text: `:${hook} DROP`, table, chain: hook };
            steps.push({ action: "NETFILTER", detail: `${table} ${hook}: policy DROP`, object, packet: env.view() });
            return { verdict: "drop", object };
        }
        return ACCEPTED;
    }
    return { verdict: r.v, object: r.object, drop: r.drop };
}
function objOf(table, chain, seg, i, cr) {
    // One object per rule of this (shared) segment, reused by every step that shows it (read-only).
    const objs = (seg.objs ??= []);
    return (objs[i] ??= objMake(table, chain, seg, i, cr));
}
function objMake(table, chain, seg, i, cr) {
    const o = {
        kind: "rule",
        text: ruleText(cr.chain, cr.rule),
        table,
        chain,
        index: seg.offset + i,
        layer: seg.layer,
    };
    if (cr.rule.line !== undefined)
        o.line = cr.rule.line;
    return o;
}
function isPolicyLayer(seg) {
    return seg.policy === true;
}
const POLICY_DENIED = Object.freeze({ reason: "POLICY_DENIED" });
/** What a drop/reject by this rule stands for: its own tag, else a policy layer's drop. */
function dropTag(seg, cr) {
    return cr.rule.drop ?? (seg.policy ? POLICY_DENIED : undefined);
}
/** "TABLE CHAIN: "comment" → ", the same for every step of this rule. */
function sayPrefix(table, chain, seg, i, cr) {
    const a = (seg.say ??= []);
    return (a[i] ??= `${table} ${chain}: ${cr.comment ? JSON.stringify(cr.comment) + " " : ""}→ `);
}
/**
 * The chain a jump rule of `seg` leads to in this namespace. Segments are shared by every
 * namespace, so the target is resolved per namespace (it may differ): a compact chain of the
 * layer that alone owns them here is remembered on the rule (soleCompact); other targets by
 * jump slot, past the slots by name.
 */
function jumpTarget(nf, table, seg, idx, cr, name) {
    const sole = nf.sole[tableIndex(table)];
    const cs = cr.csub;
    if (cs !== undefined && !cs[0].evicted && sole === cr.cl)
        return cs;
    const jid = seg.jid;
    let slot = jid ? jid[idx] : undefined;
    // cr.cl null: the target was found not to be a compact chain (a hint only: the lookup below is always right).
    if (slot === undefined && cr.cl !== null && sole && isCompactChain(sole, table, name)) {
        cr.csub = compactSegs(compactRef(sole, table), name);
        cr.cl = sole;
        return cr.csub;
    }
    if (cr.csub === undefined)
        cr.cl = null;
    if (jid && slot === undefined && nextJumpSlot < JUMP_SLOTS_MAX)
        slot = jid[idx] = nextJumpSlot++;
    if (slot === undefined)
        return nf.iptChain(table, name);
    let res = nf.jumps[slot];
    if (res === undefined)
        res = nf.jumps[slot] = nf.iptChain(table, name) ?? null;
    return res ?? undefined;
}
/** A matched jump/goto: evaluate the target chain; a result means "stop this chain with it". */
function jumpTo(nf, table, chain, seg, idx, cr, env, steps, depth) {
    const t = cr.target;
    const sub = jumpTarget(nf, table, seg, idx, cr, t.chain);
    if (!sub)
        throw new Error(`iptables: ${table} ${chain} jumps to missing chain ${t.chain}`);
    // An empty chain returns at once and says nothing (KUBE-PROXY-FIREWALL & co. mostly are).
    if (sub.length === 1 && sub[0].rules.length === 0 && !env.verbose)
        return t.kind === "goto" ? RETURN : null;
    // The jump's own step goes before the sub-chain's, and only if the sub-chain decided or
    // said something (most jumps into KUBE-SERVICES & co. return silently): a placeholder,
    // filled in or popped after (a pop is cheap; splicing the step in was not).
    const at = steps.length;
    steps.push(HOLD);
    const p = env.pkt;
    const src = p.src, dst = p.dst, sport = p.sport, dport = p.dport, mark = p.mark;
    const r = evalIptChain(nf, table, t.chain, sub, env, steps, depth + 1);
    if (r.v === "return" && steps.length === at + 1 && !env.verbose)
        steps.pop();
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
    if (r.v !== "return")
        return r;
    if (t.kind === "goto")
        return RETURN;
    return null;
}
/**
 * The view of `p` with the header values it had entering a sub-chain. Nested jumps that see
 * one NAT (PREROUTING → KUBE-SERVICES → KUBE-SVC → KUBE-SEP's DNAT) all show the packet as it
 * was before it: one view for them (the last one made is kept; the walk is synchronous).
 */
let entry;
function entryView(p, src, dst, sport, dport, mark) {
    const e = entry;
    if (e && e.p === p) {
        const c = e.copy;
        if (c.src === src &&
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
            c.l2dst === p.l2dst)
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
const HOLD = {
    action: "NETFILTER",
    detail: "",
    object: undefined,
    packet: undefined,
};
function evalIptChain(nf, table, chain, segs, env, steps, depth) {
    if (depth > 64)
        throw new Error(`iptables: jump depth exceeded in ${table} ${chain} (a loop?)`);
    let declined = false;
    for (const seg of segs) {
        const rules = seg.rules;
        let i = 0;
        let cand = null;
        let ci = 0;
        let runEnd = 0;
        while (true) {
            let idx;
            if (cand) {
                if (ci < cand.length)
                    idx = cand[ci++];
                else {
                    cand = null;
                    i = runEnd;
                    continue;
                }
            }
            else {
                if (i >= rules.length)
                    break;
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
                    if (r)
                        return r;
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
                if (cr.random)
                    declined = true;
                continue;
            }
            if (declined && !cr.random && (cr.target.kind === "jump" || cr.target.kind === "goto")) {
                env.noteChoice(`${chain}: ${cr.target.chain} (the remaining branch)`);
                declined = false;
            }
            // No closures in this loop: a closure over the loop's block-scoped idx/cr made V8
            // allocate a context on every iteration, matched or not (14 KB per path, measured).
            const r = applyTarget(nf, table, chain, seg, idx, cr, env, steps, depth);
            if (r)
                return r;
        }
    }
    return RETURN;
}
const RETURN = { v: "return" };
/** A matched rule's target: a result stops the chain with it, null goes on with the next rule. */
function applyTarget(nf, table, chain, seg, idx, cr, env, steps, depth) {
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
            env.pkt.mark = (((env.pkt.mark & ~t.mask) >>> 0) ^ t.xor) >>> 0;
            steps.push({
                action,
                detail: sayPrefix(table, chain, seg, idx, cr) + `MARK (mark now 0x${env.pkt.mark.toString(16)})`,
                object: objOf(table, chain, seg, idx, cr),
                packet: env.view(),
            });
            return null;
        case "connmark":
            if (t.connmark === "save")
                env.ctMark = env.pkt.mark;
            else if (t.connmark === "restore")
                env.pkt.mark = env.ctMark;
            else
                env.ctMark = (((env.ctMark & ~t.mask) >>> 0) ^ t.xor) >>> 0;
            steps.push({
                action,
                detail: sayPrefix(table, chain, seg, idx, cr) + "CONNMARK",
                object: objOf(table, chain, seg, idx, cr),
                packet: env.view(),
            });
            return null;
        case "log":
            steps.push({
                action,
                detail: sayPrefix(table, chain, seg, idx, cr) + "LOG",
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
export { nsCache as _nsCache };
//# sourceMappingURL=netfilter.js.map