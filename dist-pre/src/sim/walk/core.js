// The walk's core: its output (hops, steps, the verdict), its random choices, and forking
// (a fork point replays an evaluation per choice and restores the state between branches
// through an undo log). The walk is one class built in layers, one file per concern, each
// extending the one below: core ← conntrack ← l3 ← l2 ← encap ← ipvs ← deliver, and
// engine.ts's Walk on top. One class at run time: every call site sees one receiver shape
// (monomorphic), and a path allocates what it did as a single class. A layer calls up the
// chain through abstract methods (declared at the bottom of the class that needs them).
import { ipToInt } from "../../net/ipv4.js";
import { assignPkt, clonePkt, makePkt, viewOf } from "../packet.js";
/**
 * The undo log's records (restoring a fork point): plain records, not closures: a closure,
 * its context and a copied tuple per conntrack mutation were a fifth of a path's allocations.
 */
export class CtFieldsUndo {
    e;
    dnat;
    snat;
    mark;
    confirmed;
    rsrc;
    rsport;
    rdst;
    rdport;
    constructor(e, dnat, snat, mark, confirmed, rsrc, rsport, rdst, rdport) {
        this.e = e;
        this.dnat = dnat;
        this.snat = snat;
        this.mark = mark;
        this.confirmed = confirmed;
        this.rsrc = rsrc;
        this.rsport = rsport;
        this.rdst = rdst;
        this.rdport = rdport;
    }
    undo() {
        const e = this.e;
        e.dnat = this.dnat;
        e.snat = this.snat;
        e.mark = this.mark;
        e.confirmed = this.confirmed;
        e.reply.src = this.rsrc;
        e.reply.sport = this.rsport;
        e.reply.dst = this.rdst;
        e.reply.dport = this.rdport;
    }
}
export class CtSlotUndo {
    t;
    proto;
    src;
    sport;
    dst;
    dport;
    old;
    constructor(t, proto, src, sport, dst, dport, old) {
        this.t = t;
        this.proto = proto;
        this.src = src;
        this.sport = sport;
        this.dst = dst;
        this.dport = dport;
        this.old = old;
    }
    undo() {
        this.t.set(this.proto, this.src, this.sport, this.dst, this.dport, this.old);
    }
}
/** A confirmed connection's two table entries and its flag, as they were before (the tuples' values of then: NAT may change them later). */
export class CtConfirmUndo {
    t;
    e;
    osrc;
    osport;
    odst;
    odport;
    rsrc;
    rsport;
    rdst;
    rdport;
    oldOrig;
    oldReply;
    constructor(t, e, osrc, osport, odst, odport, rsrc, rsport, rdst, rdport, oldOrig, oldReply) {
        this.t = t;
        this.e = e;
        this.osrc = osrc;
        this.osport = osport;
        this.odst = odst;
        this.odport = odport;
        this.rsrc = rsrc;
        this.rsport = rsport;
        this.rdst = rdst;
        this.rdport = rdport;
        this.oldOrig = oldOrig;
        this.oldReply = oldReply;
    }
    undo() {
        const p = this.e.proto;
        this.t.set(p, this.rsrc, this.rsport, this.rdst, this.rdport, this.oldReply);
        this.t.set(p, this.osrc, this.osport, this.odst, this.odport, this.oldOrig);
        this.e.confirmed = false;
    }
}
/** A hook to evaluate at a fork point (see Walk.evaluate). */
export class HookCall {
    ns;
    inf;
    hook;
    pkt;
    st;
    io;
    constructor(ns, inf, hook, pkt, st, io) {
        this.ns = ns;
        this.inf = inf;
        this.hook = hook;
        this.pkt = pkt;
        this.st = st;
        this.io = io;
    }
}
export class FnUndo {
    f;
    constructor(f) {
        this.f = f;
    }
    undo() {
        this.f();
    }
}
export const MAX_HOPS = 64;
/** Every Io has every field: one shape (subsets made Env.reset's loads megamorphic, measured with --log-ic). */
export function io(inIf, outIf, physIn, physOut, bridged = false) {
    return { inIf, outIf, physIn, physOut, bridged };
}
/** A random choice where the walk cannot fork (the reply's walk): the caller replays whole walks instead. */
export class ForkFallback extends Error {
}
/** Depth-first enumeration of choice sequences (an odometer over the choice points): used per
 *  evaluation while forking, and by traceFlow for the replay walk. `pos` restarts at 0 per run. */
export class LocalEnum {
    prefix = [];
    counts = [];
    /** The options of each choice point (kept by reference: they are the rule set's own, read-only). */
    probs = [];
    pos = 0;
    reset() {
        // Most fork points make no choice: leave empty arrays alone (setting length is a runtime call).
        if (this.prefix.length)
            this.prefix.length = 0;
        if (this.counts.length)
            this.counts.length = 0;
        if (this.probs.length)
            this.probs.length = 0;
        this.pos = 0;
    }
    choose(options) {
        const i = this.pos++;
        let k;
        if (i < this.prefix.length)
            k = this.prefix[i];
        else {
            k = options.findIndex((o) => o.p > 0);
            if (k < 0)
                k = 0;
            this.prefix.push(k);
        }
        this.counts[i] = options.length;
        this.probs[i] = options;
        return k;
    }
    next() {
        this.prefix.length = this.pos;
        for (let i = this.pos - 1; i >= 0; i--) {
            let k = this.prefix[i] + 1;
            while (k < this.counts[i] && !(this.probs[i][k].p > 0))
                k++;
            if (k < this.counts[i]) {
                this.prefix[i] = k;
                this.prefix.length = i + 1;
                return true;
            }
        }
        return false;
    }
}
export class WalkCore {
    topo;
    chooser;
    opts;
    hops = [];
    cur = null;
    probability = 1;
    choices = [];
    disposition = null;
    ct = new Map();
    recent = new Map();
    client = null;
    nHops = 0;
    // --- forking (see hookThen) -------------------------------------------------
    /** Fork mode: a random choice forks the walk; `sink` receives each finished path. */
    fork = false;
    /** Called once per finished path in fork mode (the forward path is still in hops/…). */
    sink = null;
    /** Set when the paths of the current branch were already emitted by a nested fork. */
    forked = false;
    /** Paths emitted so far, the cap, and whether more were left out. */
    emitted = 0;
    maxPaths = Infinity;
    truncated = false;
    /** Tracing the reply: choices are not forked there (see ForkFallback). */
    inReply = false;
    /** The choice sequence of the evaluation being replayed at a fork point. */
    local = null;
    /** Undo log of state mutations (conntrack, affinity memory), for restoring at a fork point. */
    undo = [];
    /** The IR's caches (the topology's CompiledIR), one load away. */
    c;
    constructor(topo, chooser, opts = {}) {
        this.topo = topo;
        this.chooser = chooser;
        this.opts = opts;
        this.c = topo.compiled;
        for (const [name, ips] of Object.entries(opts.affinity ?? {}))
            this.recent.set(name, new Set(ips.map(ipToInt)));
    }
    // --- output ---------------------------------------------------------------
    hop(ns) {
        if (this.cur && this.cur.ns === ns.id)
            return this.cur;
        this.nHops++;
        this.cur = { ns: ns.id, steps: [] };
        this.hops.push(this.cur);
        return this.cur;
    }
    step(action, detail, pkt, object) {
        // Whole literals (same key order as before): adding `object` afterwards moved it out of the
        // object into a separate property array, one more allocation per step.
        const packet = viewOf(pkt);
        this.cur.steps.push(object ? { action, detail, packet, object } : { action, detail, packet });
    }
    end(d, pkt, action = "DROPPED") {
        if (this.disposition)
            return;
        this.step(action, d.detail, pkt, d.object);
        d.ns = this.cur?.ns;
        this.disposition = d;
    }
    drop(reason, detail, pkt, object) {
        this.end({ verdict: "DROPPED", reason, detail, ...(object ? { object } : {}) }, pkt);
    }
    /** The forward path's result, detached for the next walk (reply). */
    takePath() {
        const p = {
            probability: this.probability,
            choices: this.choices,
            hops: this.hops,
            disposition: this.disposition ?? {
                verdict: "DROPPED",
                reason: "UNSUPPORTED",
                detail: "the walk ended without a verdict",
            },
        };
        this.resetOutput();
        return p;
    }
    /** A fresh path: no hops, no verdict, probability 1, no choices. */
    resetOutput() {
        this.hops = [];
        this.cur = null;
        this.disposition = null;
        this.nHops = 0;
        this.probability = 1;
        this.choices = [];
    }
    choose(options, what) {
        const k = this.fork ? this.forkChoose(options) : this.chooser.choose(options, what);
        this.probability *= options[k].p;
        if (options.length > 1 && !options[k].label.startsWith("not "))
            this.choices.push(`${what}: ${options[k].label}`);
        return k;
    }
    forkChoose(options) {
        if (this.local)
            return this.local.choose(options);
        // A choice outside a fork point (the reply's walk): fine while there is one way only.
        let k = -1;
        for (let i = 0; i < options.length; i++) {
            if (options[i].p > 0) {
                if (k >= 0)
                    throw new ForkFallback();
                k = i;
            }
        }
        return k < 0 ? 0 : k;
    }
    /** Fork loops under way; the probe enumerator reused by fork points that make no choice. */
    depth = 0;
    probe = new LocalEnum();
    /** Mutations are logged only where a fork may restore them: inside an evaluation or a fork loop. */
    get logging() {
        return this.fork && (this.depth > 0 || this.local !== null);
    }
    log(f) {
        if (this.logging)
            this.undo.push(new FnUndo(f));
    }
    /** Before mutating a conntrack entry: remember its fields. */
    saveCt(e) {
        if (!this.logging)
            return;
        const r = e.reply;
        this.undo.push(new CtFieldsUndo(e, e.dnat, e.snat, e.mark, e.confirmed, r.src, r.sport, r.dst, r.dport));
    }
    restore(s, pkt) {
        while (this.undo.length > s.undo)
            this.undo.pop().undo();
        // pop(), not `length =` (a runtime call each): a branch adds a few entries at most.
        while (this.hops.length > s.hops)
            this.hops.pop();
        this.cur = s.cur;
        if (s.cur) {
            const st = s.cur.steps;
            while (st.length > s.steps)
                st.pop();
        }
        this.nHops = s.nHops;
        this.probability = s.probability;
        while (this.choices.length > s.choices)
            this.choices.pop();
        this.disposition = null;
        assignPkt(pkt, s.pkt);
        pkt.inner = s.inner ? clonePkt(s.inner) : undefined;
    }
    /**
     * A fork point: `evaluate` (a netfilter hook, an IPVS pick) may make random choices;
     * `rest` is the walk after it. Without a choice this is `evaluate() && rest()`. With
     * choices, the evaluation is replayed for each sequence of its own choices (cheap), and
     * the walk after it runs once per branch from the shared prefix: the state before the
     * fork point (hops, steps, conntrack, affinity memory, the packet) is restored between
     * branches. Paths come out in the same order as enumerating whole walks depth-first.
     * Every caller calls it in tail position (nothing runs after the walk returns).
     */
    forkAt(pkt, evaluate, rest) {
        if (!this.fork || this.inReply) {
            if (this.evaluate(evaluate))
                rest();
            return;
        }
        // The state before the fork point, kept in locals: most fork points make no choice.
        const hops = this.hops.length;
        const cur = this.cur;
        const steps = cur ? cur.steps.length : 0;
        const nHops = this.nHops;
        const probability = this.probability;
        const choices = this.choices.length;
        const undo = this.undo.length;
        const { src, dst, sport, dport, ttl, mark, size } = pkt;
        const outer = this.local;
        const en = this.probe;
        en.reset();
        this.local = en;
        let ok;
        try {
            ok = this.evaluate(evaluate);
        }
        finally {
            this.local = outer;
        }
        if (en.pos === 0) {
            // No choice: what the evaluation logged needs no undoing unless a fork loop is under way.
            if (this.depth === 0 && this.undo.length !== undo)
                this.undo.length = undo;
            if (ok)
                rest();
            return;
        }
        this.probe = new LocalEnum();
        // A hook never changes the encapsulated packet: copying it after the evaluation is the same.
        const inner = pkt.inner ? clonePkt(pkt.inner) : undefined;
        const snap = {
            hops,
            cur,
            steps,
            nHops,
            probability,
            choices,
            undo,
            pkt: makePkt({
                src,
                dst,
                proto: pkt.proto,
                sport,
                dport,
                ttl,
                size,
                df: pkt.df,
                mark,
                vni: pkt.vni,
                l2dst: pkt.l2dst,
            }),
            inner,
        };
        this.depth++;
        const floor = this.forkFloor;
        this.forkFloor = hops;
        try {
            this.branches(snap, pkt, en, ok, evaluate, rest);
        }
        finally {
            this.depth--;
            this.forkFloor = floor;
        }
        if (this.depth === 0)
            this.undo.length = 0;
        this.forked = true;
    }
    /** A fork point's evaluation: a hook (most of them: an object, not a closure made per hook) or a function. */
    evaluate(ev) {
        return ev instanceof HookCall ? this.hook(ev.ns, ev.inf, ev.hook, ev.pkt, ev.st, ev.io) : ev();
    }
    branches(snap, pkt, en, ok, evaluate, rest) {
        const outer = this.local;
        for (;;) {
            this.forked = false;
            if (ok)
                rest();
            if (!this.forked)
                this.emit();
            if (!en.next())
                break;
            if (this.emitted >= this.maxPaths) {
                this.truncated = true;
                break;
            }
            this.restore(snap, pkt);
            this.local = en;
            en.pos = 0;
            try {
                ok = this.evaluate(evaluate);
            }
            finally {
                this.local = outer;
            }
        }
    }
    /** A finished path (fork mode). */
    emit() {
        this.emitted++;
        this.sink?.take(this);
    }
    /**
     * The hops from here on were all made after the innermost fork point under way: a branch's
     * own, dropped (never changed) when the walk goes back to that point.
     */
    forkFloor = 0;
    /** The current path, copied (the walk may continue from a shared prefix). */
    copyPath() {
        const floor = this.forkFloor;
        return {
            probability: this.probability,
            choices: this.choices.slice(),
            // A branch's own hops are handed over as they are; the shared ones are copied (later branches change them).
            hops: this.hops.map((h, i) => (i >= floor ? h : { ns: h.ns, steps: h.steps.slice() })),
            disposition: this.disposition ?? {
                verdict: "DROPPED",
                reason: "UNSUPPORTED",
                detail: "the walk ended without a verdict",
            },
        };
    }
    /** Trace the reply from a finished forward path, then put the forward state back. */
    replyPath(ns, pkt, detail) {
        const saved = {
            hops: this.hops,
            cur: this.cur,
            disposition: this.disposition,
            nHops: this.nHops,
            probability: this.probability,
            choices: this.choices,
        };
        this.resetOutput();
        this.inReply = true;
        try {
            this.originate(ns, pkt, detail);
            return this.takePath();
        }
        finally {
            this.inReply = false;
            Object.assign(this, saved);
        }
    }
}
//# sourceMappingURL=core.js.map