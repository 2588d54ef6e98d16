// The packet walk: one path through the namespaces of the IR for one combination of
// random choices. traceFlow (flow.ts) enumerates the combinations.
//
// Per namespace, the kernel's order:
//   locally generated: route → OUTPUT (raw, conntrack, mangle, nat, filter) → reroute
//                      → POSTROUTING (mangle, nat) → neighbour → device
//   received:          [bridge: FDB, br_netfilter hooks] → PREROUTING (raw, conntrack,
//                      mangle, nat) → route → INPUT → socket | FORWARD → POSTROUTING → device

import type { Link, NetNs, Route } from "../ir/types.js";
import { addrOf, intToIp, ipToInt, parseCidr, inCidr } from "./ip.js";
import type { NatRequest, NfEnv, NfVerdict, CtState } from "./nfenv.js";
import { runHook, type Hook } from "./netfilter.js";
import { assignPkt, clonePkt, makePkt, viewOf, type Pkt } from "./packet.js";
import {
  EXTERNAL_PORT,
  fibLookup,
  isLocalAddr,
  lkey,
  type CRoute,
  type NsInfo,
  type Owner,
  type PortAnswer,
  type Topology,
  type VethEnd,
} from "./topology.js";
import type { Disposition, DropReason, Hop, StepAction, StepObject, TracePath } from "./trace.js";

export interface Chooser {
  choose(options: { p: number; label: string }[], what: string): number;
}

interface Tuple {
  src: number;
  sport: number;
  dst: number;
  dport: number;
}
interface CtEntry {
  proto: string;
  orig: Tuple;
  reply: Tuple;
  dnat: boolean;
  snat: boolean;
  mark: number;
  confirmed: boolean;
}
type CtRef = { e: CtEntry; dir: "orig" | "reply" };

/**
 * One namespace's conntrack table. A trace's tables hold a few entries each (the undo log
 * removes a branch's), so a scan of a flat array beats hashing a key built per lookup.
 */
class CtTable {
  /**
   * Four numbers per entry (src, sport, dst, dport), its protocol and its value; `count`
   * entries are live. The arrays never shrink: every path of a fork adds and removes the
   * same few entries, and shrinking them made each path allocate them again (measured).
   */
  private nums: number[] = [];
  private protos: (string | undefined)[] = [];
  private vals: (CtRef | undefined)[] = [];
  private count = 0;
  private at(proto: string, src: number, sport: number, dst: number, dport: number): number {
    const n = this.nums;
    for (let i = 0, j = 0; i < this.count; i++, j += 4) {
      if (n[j] === src && n[j + 2] === dst && n[j + 1] === sport && n[j + 3] === dport && this.protos[i] === proto)
        return i;
    }
    return -1;
  }
  get(proto: string, src: number, sport: number, dst: number, dport: number): CtRef | undefined {
    const i = this.at(proto, src, sport, dst, dport);
    return i < 0 ? undefined : this.vals[i];
  }
  set(proto: string, src: number, sport: number, dst: number, dport: number, v: CtRef | undefined): void {
    const i = this.at(proto, src, sport, dst, dport);
    if (v) {
      if (i >= 0) this.vals[i] = v;
      else {
        const c = this.count++;
        const n = this.nums;
        if (n.length === c * 4) {
          // A table is made per namespace per trace: no typed array (an off-heap buffer each).
          n.push(src, sport, dst, dport);
          this.protos.push(proto);
          this.vals.push(v);
        } else {
          n[c * 4] = src;
          n[c * 4 + 1] = sport;
          n[c * 4 + 2] = dst;
          n[c * 4 + 3] = dport;
          this.protos[c] = proto;
          this.vals[c] = v;
        }
      }
    } else if (i >= 0) {
      // Entries are unique by tuple: order does not matter, move the last one into the gap.
      const last = --this.count;
      const n = this.nums;
      n[i * 4] = n[last * 4];
      n[i * 4 + 1] = n[last * 4 + 1];
      n[i * 4 + 2] = n[last * 4 + 2];
      n[i * 4 + 3] = n[last * 4 + 3];
      this.protos[i] = this.protos[last];
      this.vals[i] = this.vals[last];
      this.protos[last] = undefined;
      this.vals[last] = undefined;
    }
  }
}

/**
 * The undo log's records (restoring a fork point): plain records, not closures: a closure,
 * its context and a copied tuple per conntrack mutation were a fifth of a path's allocations.
 */
class CtFieldsUndo {
  constructor(
    readonly e: CtEntry,
    readonly dnat: boolean,
    readonly snat: boolean,
    readonly mark: number,
    readonly confirmed: boolean,
    readonly rsrc: number,
    readonly rsport: number,
    readonly rdst: number,
    readonly rdport: number,
  ) {}
  undo(): void {
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
class CtSlotUndo {
  constructor(
    readonly t: CtTable,
    readonly proto: string,
    readonly src: number,
    readonly sport: number,
    readonly dst: number,
    readonly dport: number,
    readonly old: CtRef | undefined,
  ) {}
  undo(): void {
    this.t.set(this.proto, this.src, this.sport, this.dst, this.dport, this.old);
  }
}
/** A confirmed connection's two table entries and its flag, as they were before (the tuples' values of then: NAT may change them later). */
class CtConfirmUndo {
  constructor(
    readonly t: CtTable,
    readonly e: CtEntry,
    readonly osrc: number,
    readonly osport: number,
    readonly odst: number,
    readonly odport: number,
    readonly rsrc: number,
    readonly rsport: number,
    readonly rdst: number,
    readonly rdport: number,
    readonly oldOrig: CtRef | undefined,
    readonly oldReply: CtRef | undefined,
  ) {}
  undo(): void {
    const p = this.e.proto;
    this.t.set(p, this.rsrc, this.rsport, this.rdst, this.rdport, this.oldReply);
    this.t.set(p, this.osrc, this.osport, this.odst, this.odport, this.oldOrig);
    this.e.confirmed = false;
  }
}

/** A hook to evaluate at a fork point (see Walk.evaluate). */
class HookCall {
  constructor(
    readonly ns: NetNs,
    readonly inf: NsInfo,
    readonly hook: Hook,
    readonly pkt: Pkt,
    readonly st: { state: CtState; e: CtEntry | null; reply: boolean },
    readonly io: Io,
  ) {}
}
type Evaluation = HookCall | (() => boolean);

class FnUndo {
  constructor(readonly f: () => void) {}
  undo(): void {
    this.f();
  }
}
type Undo = CtFieldsUndo | CtSlotUndo | CtConfirmUndo | FnUndo;

export interface WalkOptions {
  verbose?: boolean;
  /**
   * ipset members per namespace id (the IR has no ipsets; ipvs mode's iptables rules match
   * them): "hash:ip,port" entries "10.96.0.10,udp:53", "hash:ip,port,ip" "a,tcp:80,a",
   * bitmap:port numbers, hash:net CIDRs.
   */
  ipsets?: (nsId: string) => Record<string, (string | number)[]> | undefined;
  /** Initial affinity memory ("recent" lists / nft affinity sets): name → source IPs. */
  affinity?: Record<string, string[]>;
}

const MAX_HOPS = 64;

/** The devices a hook sees. */
interface Io {
  inIf: string | undefined;
  outIf: string | undefined;
  physIn: string | undefined;
  physOut: string | undefined;
  bridged: boolean;
}
/** Every Io has every field: one shape (subsets made Env.reset's loads megamorphic, measured with --log-ic). */
function io(inIf?: string, outIf?: string, physIn?: string, physOut?: string, bridged = false): Io {
  return { inIf, outIf, physIn, physOut, bridged };
}

/**
 * Receives each finished path in fork mode. An object, not a closure: a per-trace closure
 * called from here kept every finished trace's paths alive through young-generation GCs
 * (~1.7 MB per 238-path trace promoted to old space, a fifth of such a trace's time in
 * scavenges; measured with gc({type: "minor"}) and --trace-gc-nvp). A full GC freed them, so
 * it was V8 keeping the closure from an old object, not a leak of ours.
 */
export interface PathSink {
  take(w: Walk): void;
}

/** A random choice where the walk cannot fork (the reply's walk): the caller replays whole walks instead. */
export class ForkFallback extends Error {}

interface Snap {
  hops: number;
  cur: Hop | null;
  steps: number;
  nHops: number;
  probability: number;
  choices: number;
  undo: number;
  pkt: Pkt;
  inner: Pkt | undefined;
}

/** Depth-first enumeration of choice sequences (an odometer over the choice points): used per
 *  evaluation while forking, and by traceFlow for the replay walk. `pos` restarts at 0 per run. */
export class LocalEnum implements Chooser {
  prefix: number[] = [];
  counts: number[] = [];
  /** The options of each choice point (kept by reference: they are the rule set's own, read-only). */
  probs: { p: number }[][] = [];
  pos = 0;
  reset(): void {
    // Most fork points make no choice: leave empty arrays alone (setting length is a runtime call).
    if (this.prefix.length) this.prefix.length = 0;
    if (this.counts.length) this.counts.length = 0;
    if (this.probs.length) this.probs.length = 0;
    this.pos = 0;
  }
  choose(options: { p: number }[]): number {
    const i = this.pos++;
    let k: number;
    if (i < this.prefix.length) k = this.prefix[i];
    else {
      k = options.findIndex((o) => o.p > 0);
      if (k < 0) k = 0;
      this.prefix.push(k);
    }
    this.counts[i] = options.length;
    this.probs[i] = options;
    return k;
  }
  next(): boolean {
    this.prefix.length = this.pos;
    for (let i = this.pos - 1; i >= 0; i--) {
      let k = this.prefix[i] + 1;
      while (k < this.counts[i] && !(this.probs[i][k].p > 0)) k++;
      if (k < this.counts[i]) {
        this.prefix[i] = k;
        this.prefix.length = i + 1;
        return true;
      }
    }
    return false;
  }
}

export class Walk {
  hops: Hop[] = [];
  cur: Hop | null = null;
  probability = 1;
  choices: string[] = [];
  disposition: Disposition | null = null;
  ct = new Map<string, CtTable>();
  private envObj: Env | null = null;
  recent = new Map<string, Set<number>>();
  client: { ns: NetNs; ip: number; port: number; proto: string } | null = null;
  private nHops = 0;

  // --- forking (see hookThen) -------------------------------------------------
  /** Fork mode: a random choice forks the walk; `sink` receives each finished path. */
  fork = false;
  /** Called once per finished path in fork mode (the forward path is still in hops/…). */
  sink: PathSink | null = null;
  /** Set when the paths of the current branch were already emitted by a nested fork. */
  forked = false;
  /** Paths emitted so far, the cap, and whether more were left out. */
  emitted = 0;
  maxPaths = Infinity;
  truncated = false;
  /** Tracing the reply: choices are not forked there (see ForkFallback). */
  inReply = false;
  /** The choice sequence of the evaluation being replayed at a fork point. */
  private local: LocalEnum | null = null;
  /** Undo log of state mutations (conntrack, affinity memory), for restoring at a fork point. */
  private undo: Undo[] = [];

  constructor(
    readonly topo: Topology,
    readonly chooser: Chooser,
    readonly opts: WalkOptions = {},
  ) {
    for (const [name, ips] of Object.entries(opts.affinity ?? {})) this.recent.set(name, new Set(ips.map(ipToInt)));
  }

  // --- output ---------------------------------------------------------------

  private hop(ns: NetNs): Hop {
    if (this.cur && this.cur.ns === ns.id) return this.cur;
    this.nHops++;
    this.cur = { ns: ns.id, steps: [] };
    this.hops.push(this.cur);
    return this.cur;
  }

  private step(action: StepAction, detail: string, pkt: Pkt, object?: StepObject): void {
    // Whole literals (same key order as before): adding `object` afterwards moved it out of the
    // object into a separate property array, one more allocation per step.
    const packet = viewOf(pkt);
    this.cur!.steps.push(object ? { action, detail, packet, object } : { action, detail, packet });
  }

  private end(d: Disposition, pkt: Pkt, action: StepAction = "DROPPED"): void {
    if (this.disposition) return;
    this.step(action, d.detail, pkt, d.object);
    d.ns = this.cur?.ns;
    this.disposition = d;
  }

  private drop(reason: DropReason, detail: string, pkt: Pkt, object?: StepObject): void {
    this.end({ verdict: "DROPPED", reason, detail, ...(object ? { object } : {}) }, pkt);
  }

  /** The forward path's result, detached for the next walk (reply). */
  takePath(): TracePath {
    const p: TracePath = {
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
  private resetOutput(): void {
    this.hops = [];
    this.cur = null;
    this.disposition = null;
    this.nHops = 0;
    this.probability = 1;
    this.choices = [];
  }

  private choose(options: { p: number; label: string }[], what: string): number {
    const k = this.fork ? this.forkChoose(options) : this.chooser.choose(options, what);
    this.probability *= options[k].p;
    if (options.length > 1 && !options[k].label.startsWith("not ")) this.choices.push(`${what}: ${options[k].label}`);
    return k;
  }

  private forkChoose(options: { p: number }[]): number {
    if (this.local) return this.local.choose(options);
    // A choice outside a fork point (the reply's walk): fine while there is one way only.
    let k = -1;
    for (let i = 0; i < options.length; i++) {
      if (options[i].p > 0) {
        if (k >= 0) throw new ForkFallback();
        k = i;
      }
    }
    return k < 0 ? 0 : k;
  }

  /** Fork loops under way; the probe enumerator reused by fork points that make no choice. */
  private depth = 0;
  private probe = new LocalEnum();

  /** Mutations are logged only where a fork may restore them: inside an evaluation or a fork loop. */
  private get logging(): boolean {
    return this.fork && (this.depth > 0 || this.local !== null);
  }

  private log(f: () => void): void {
    if (this.logging) this.undo.push(new FnUndo(f));
  }

  /** Before mutating a conntrack entry: remember its fields. */
  private saveCt(e: CtEntry): void {
    if (!this.logging) return;
    const r = e.reply;
    this.undo.push(new CtFieldsUndo(e, e.dnat, e.snat, e.mark, e.confirmed, r.src, r.sport, r.dst, r.dport));
  }

  private restore(s: Snap, pkt: Pkt): void {
    while (this.undo.length > s.undo) this.undo.pop()!.undo();
    // pop(), not `length =` (a runtime call each): a branch adds a few entries at most.
    while (this.hops.length > s.hops) this.hops.pop();
    this.cur = s.cur;
    if (s.cur) {
      const st = s.cur.steps;
      while (st.length > s.steps) st.pop();
    }
    this.nHops = s.nHops;
    this.probability = s.probability;
    while (this.choices.length > s.choices) this.choices.pop();
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
  private forkAt(pkt: Pkt, evaluate: Evaluation, rest: () => void): void {
    if (!this.fork || this.inReply) {
      if (this.evaluate(evaluate)) rest();
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
    let ok: boolean;
    try {
      ok = this.evaluate(evaluate);
    } finally {
      this.local = outer;
    }
    if (en.pos === 0) {
      // No choice: what the evaluation logged needs no undoing unless a fork loop is under way.
      if (this.depth === 0 && this.undo.length !== undo) this.undo.length = undo;
      if (ok) rest();
      return;
    }
    this.probe = new LocalEnum();
    // A hook never changes the encapsulated packet: copying it after the evaluation is the same.
    const inner = pkt.inner ? clonePkt(pkt.inner) : undefined;
    const snap: Snap = {
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
    } finally {
      this.depth--;
      this.forkFloor = floor;
    }
    if (this.depth === 0) this.undo.length = 0;
    this.forked = true;
  }

  /** A fork point's evaluation: a hook (most of them: an object, not a closure made per hook) or a function. */
  private evaluate(ev: Evaluation): boolean {
    return ev instanceof HookCall ? this.hook(ev.ns, ev.inf, ev.hook, ev.pkt, ev.st, ev.io) : ev();
  }

  private branches(snap: Snap, pkt: Pkt, en: LocalEnum, ok: boolean, evaluate: Evaluation, rest: () => void): void {
    const outer = this.local;
    for (;;) {
      this.forked = false;
      if (ok) rest();
      if (!this.forked) this.emit();
      if (!en.next()) break;
      if (this.emitted >= this.maxPaths) {
        this.truncated = true;
        break;
      }
      this.restore(snap, pkt);
      this.local = en;
      en.pos = 0;
      try {
        ok = this.evaluate(evaluate);
      } finally {
        this.local = outer;
      }
    }
  }

  /** A finished path (fork mode). */
  emit(): void {
    this.emitted++;
    this.sink?.take(this);
  }

  /**
   * The hops from here on were all made after the innermost fork point under way: a branch's
   * own, dropped (never changed) when the walk goes back to that point.
   */
  private forkFloor = 0;

  /** The current path, copied (the walk may continue from a shared prefix). */
  copyPath(): TracePath {
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
  replyPath(ns: NetNs, pkt: Pkt, detail: string): TracePath {
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
    } finally {
      this.inReply = false;
      Object.assign(this, saved);
    }
  }

  // --- conntrack and netfilter -----------------------------------------------

  private tracked(ns: NetNs): boolean {
    const nf = ns.netfilter;
    return !!nf && (nf.iptables.length > 0 || nf.nftables.length > 0);
  }

  private ctLookup(ns: NetNs, pkt: Pkt): { e: CtEntry; dir: "orig" | "reply" } | null {
    const t = this.ctTable(ns, false);
    if (!t) return null;
    return t.get(pkt.proto, pkt.src, pkt.sport, pkt.dst, pkt.dport) ?? null;
  }

  private ctConfirm(ns: NetNs, e: CtEntry): void {
    if (e.confirmed) return;
    const t = this.ctTable(ns, true)!;
    const o = e.orig;
    const r = e.reply;
    // One undo record for the whole confirmation (three made a tenth of a path's allocations).
    if (this.logging)
      this.undo.push(
        new CtConfirmUndo(
          t,
          e,
          o.src,
          o.sport,
          o.dst,
          o.dport,
          r.src,
          r.sport,
          r.dst,
          r.dport,
          t.get(e.proto, o.src, o.sport, o.dst, o.dport),
          t.get(e.proto, r.src, r.sport, r.dst, r.dport),
        ),
      );
    e.confirmed = true;
    t.set(e.proto, o.src, o.sport, o.dst, o.dport, { e, dir: "orig" });
    t.set(e.proto, r.src, r.sport, r.dst, r.dport, { e, dir: "reply" });
  }

  /** The namespace's conntrack table; the last one is kept (a packet meets it several times in a row). */
  private ctNs: NetNs | null = null;
  private ctLast: CtTable | undefined;
  private ctTable(ns: NetNs, create: boolean): CtTable | undefined {
    if (ns === this.ctNs) return this.ctLast;
    let t = this.ct.get(ns.id);
    if (!t) {
      if (!create) return undefined;
      this.ct.set(ns.id, (t = new CtTable()));
    }
    this.ctNs = ns;
    this.ctLast = t;
    return t;
  }

  private ctSet(t: CtTable, proto: string, k: Tuple, v: CtRef | undefined): void {
    // The tuple's fields may change later (NAT on the entry): undo with the values of now.
    if (this.logging)
      this.undo.push(
        new CtSlotUndo(t, proto, k.src, k.sport, k.dst, k.dport, t.get(proto, k.src, k.sport, k.dst, k.dport)),
      );
    t.set(proto, k.src, k.sport, k.dst, k.dport, v);
  }

  private env(
    ns: NetNs,
    inf: NsInfo,
    pkt: Pkt,
    st: { state: CtState; e: CtEntry | null; reply: boolean },
    io: Io,
  ): NfEnv {
    // One Env per walk, reset per hook: a hook's evaluation is synchronous and keeps no reference to it.
    const e = this.envObj;
    if (e) return e.reset(ns, inf, pkt, st, io);
    return (this.envObj = new Env(this, ns, inf, pkt, st, io));
  }

  /** For Env. */
  _saveCt(e: CtEntry): void {
    this.saveCt(e);
  }
  _recent(name: string, key: number, add: boolean): void {
    let s = this.recent.get(name);
    if (!s) {
      if (!add) return;
      this.recent.set(name, (s = new Set()));
    }
    const had = s.has(key);
    if (had === add) return;
    const set = s;
    this.log(() => (had ? set.add(key) : set.delete(key)));
    if (add) s.add(key);
    else s.delete(key);
  }
  _choose(o: { p: number; label: string }[], what: string): number {
    return this.choose(o, what);
  }
  _nat(ns: NetNs, inf: NsInfo, pkt: Pkt, e: CtEntry | null, req: NatRequest, outIf?: string): string {
    return this.applyNat(ns, inf, pkt, e, req, outIf);
  }

  private applyNat(_ns: NetNs, inf: NsInfo, pkt: Pkt, e: CtEntry | null, req: NatRequest, outIf?: string): string {
    const before = `${intToIp(req.kind === "dnat" ? pkt.dst : pkt.src)}:${req.kind === "dnat" ? pkt.dport : pkt.sport}`;
    if (e) this.saveCt(e);
    if (req.kind === "dnat") {
      if (req.addr !== undefined) pkt.dst = req.addr;
      if (req.port !== undefined) pkt.dport = req.port;
      if (e) {
        e.dnat = true;
        e.reply.src = pkt.dst;
        e.reply.sport = pkt.dport;
      }
      return `${before} → ${intToIp(pkt.dst)}:${pkt.dport}`;
    }
    let addr = req.addr;
    if (req.kind === "masquerade") addr = this.ifAddr(inf, outIf, pkt.dst);
    if (addr === undefined) return `${before} (no address on ${outIf})`;
    pkt.src = addr;
    if (req.port !== undefined) pkt.sport = req.port;
    if (e) {
      e.snat = true;
      e.reply.dst = pkt.src;
      e.reply.dport = pkt.sport;
    }
    return `${before} → ${intToIp(pkt.src)}:${pkt.sport}${req.kind === "masquerade" ? ` (address of ${outIf})` : ""}`;
  }

  /** The address of `dev` to use towards `dst` (MASQUERADE, source selection). */
  private ifAddr(inf: NsInfo, dev: string | undefined, dst: number): number | undefined {
    const addrs = inf.ns.addresses.filter((a) => a.dev === dev && a.scope !== "host");
    const same = addrs.find((a) => inCidr(dst, parseCidr(a.cidr)));
    const a = same ?? addrs[0];
    return a ? ipToInt(addrOf(a.cidr)) : undefined;
  }

  /**
   * Conntrack at the start of PREROUTING/OUTPUT: find the connection, undo/redo the
   * destination NAT of an established one. Returns the state for the hooks.
   */
  private ctIn(ns: NetNs, pkt: Pkt): { state: CtState; e: CtEntry | null; reply: boolean } {
    if (!this.tracked(ns)) return { state: "UNTRACKED", e: null, reply: false };
    const hit = this.ctLookup(ns, pkt);
    if (!hit) {
      const t: Tuple = { src: pkt.src, sport: pkt.sport, dst: pkt.dst, dport: pkt.dport };
      const e: CtEntry = {
        proto: pkt.proto,
        orig: t,
        reply: { src: t.dst, sport: t.dport, dst: t.src, dport: t.sport },
        dnat: false,
        snat: false,
        mark: 0,
        confirmed: false,
      };
      return { state: "NEW", e, reply: false };
    }
    const { e, dir } = hit;
    const before = `${intToIp(pkt.src)}:${pkt.sport} → ${intToIp(pkt.dst)}:${pkt.dport}`;
    let what = "";
    if (dir === "reply" && e.snat) {
      pkt.dst = e.orig.src;
      pkt.dport = e.orig.sport;
      what = " (reply: undo SNAT on the destination)";
    } else if (dir === "orig" && e.dnat) {
      pkt.dst = e.reply.src;
      pkt.dport = e.reply.sport;
      what = " (DNAT as recorded)";
    }
    this.step(
      "CONNTRACK",
      `ESTABLISHED ${dir === "reply" ? "reply" : "original"} direction of ${ctText(e)}${what}; ${before}`,
      pkt,
      { kind: "conntrack", text: ctText(e) },
    );
    return { state: "ESTABLISHED", e, reply: dir === "reply" };
  }

  /** Conntrack at the end of POSTROUTING/INPUT: source NAT of an established one; confirm a new one. */
  private ctOut(ns: NetNs, pkt: Pkt, st: { state: CtState; e: CtEntry | null; reply: boolean }): void {
    const e = st.e;
    if (!e) return;
    if (st.state === "NEW") {
      this.ctConfirm(ns, e);
      if (e.dnat || e.snat) {
        const text = ctText(e);
        this.step("CONNTRACK", `new connection ${text}`, pkt, { kind: "conntrack", text });
      }
      return;
    }
    const hitDir = st.reply ? "reply" : "orig";
    if (hitDir === "reply" && e.dnat) {
      const b = `${intToIp(pkt.src)}:${pkt.sport}`;
      pkt.src = e.orig.dst;
      pkt.sport = e.orig.dport;
      this.step("NAT", `conntrack: reply, undo DNAT on the source ${b} → ${intToIp(pkt.src)}:${pkt.sport}`, pkt, {
        kind: "conntrack",
        text: ctText(e),
      });
    } else if (hitDir === "orig" && e.snat) {
      pkt.src = e.reply.dst;
      pkt.sport = e.reply.dport;
    }
  }

  /** The hook's steps are already in the current hop (runHook wrote them there). */
  private hookVerdict(r: NfVerdict, pkt: Pkt): boolean {
    if (r.verdict === "accept") return true;
    const o = r.object;
    // What the drop stands for is the IR's tag on the rule (or its policy table): see DropTag.
    const tag = r.drop;
    const what = r.verdict === "reject" ? "rejected" : "dropped";
    if (tag?.reason === "POLICY_DENIED") {
      const detail = `${what} by NetworkPolicy: ${o?.table} ${o?.chain ?? ""}${r.detail ? `: ${r.detail}` : ""}`;
      this.end({ verdict: "DROPPED", reason: "POLICY_DENIED", detail, object: o }, pkt);
      return false;
    }
    const reason: DropReason = tag?.reason === "NO_ENDPOINTS" ? "NO_ENDPOINTS" : "FILTERED";
    const detail =
      tag?.reason === "NO_ENDPOINTS"
        ? `${what} by ${o?.table ?? ""} ${o?.chain ?? ""}: the Service has no ${tag.local ? "local " : ""}endpoints${r.verdict === "reject" ? " (ICMP port unreachable to the client)" : ""}`
        : `${what} by ${o?.table ?? ""} ${o?.chain ?? ""}`;
    this.end({ verdict: "DROPPED", reason, detail, ...(o ? { object: o } : {}) }, pkt);
    return false;
  }

  /** A hook, then the rest of the walk when it accepts (a fork point). */
  private hookThen(
    ns: NetNs,
    inf: NsInfo,
    hook: Hook,
    pkt: Pkt,
    st: { state: CtState; e: CtEntry | null; reply: boolean },
    io: Io,
    rest: () => void,
  ): void {
    if (!this.tracked(ns)) return rest();
    this.forkAt(pkt, new HookCall(ns, inf, hook, pkt, st, io), rest);
  }

  private hook(
    ns: NetNs,
    inf: NsInfo,
    hook: Hook,
    pkt: Pkt,
    st: { state: CtState; e: CtEntry | null; reply: boolean },
    io: Io,
  ): boolean {
    if (!this.tracked(ns)) return true;
    const env = this.env(ns, inf, pkt, st, io);
    const r = runHook(ns, hook, env, st.state === "NEW", undefined, undefined, this.cur!.steps, inf);
    if (st.e) st.e.dnat = st.e.dnat || env.ctDnat;
    return this.hookVerdict(r, pkt);
  }

  // --- routing --------------------------------------------------------------

  private route(inf: NsInfo, dst: number): CRoute | undefined {
    const l = fibLookup(inf.local, dst);
    if (l && l.type !== "broadcast") return l;
    return fibLookup(inf.main, dst);
  }

  private routed(inf: NsInfo, pkt: Pkt, what = "route"): CRoute | null {
    const r = this.route(inf, pkt.dst);
    if (!r) {
      this.drop("NO_ROUTE", `no route to ${intToIp(pkt.dst)} (Network is unreachable)`, pkt);
      return null;
    }
    const rs = routeSay(r);
    const t = r.type;
    if (t === "blackhole" || t === "unreachable" || t === "prohibit") {
      this.step("ROUTED", `${what} ${intToIp(pkt.dst)}: ${t}`, pkt, rs.obj);
      this.drop("NO_ROUTE", `${t} route for ${intToIp(pkt.dst)}`, pkt, rs.obj);
      return null;
    }
    this.step("ROUTED", what + " " + intToIp(pkt.dst) + rs.how, pkt, rs.obj);
    return r;
  }

  // --- the walk -------------------------------------------------------------

  /** A packet created by a socket in `ns`. */
  originate(ns: NetNs, pkt: Pkt, detail: string): void {
    this.hop(ns);
    this.step("ORIGINATED", detail, pkt);
    this.localOut(ns, pkt, false);
  }

  private localOut(ns: NetNs, pkt: Pkt, encap: boolean, known?: NsInfo): void {
    const inf = known ?? this.topo.info(ns);
    const r = this.routed(inf, pkt, encap ? "outer route" : "route");
    if (!r) return;
    const outIf = r.outDev;
    const st = this.ctIn(ns, pkt);
    const dst0 = pkt.dst;
    const r0 = r;
    this.hookThen(ns, inf, "OUTPUT", pkt, st, io(undefined, outIf), () => {
      let r: CRoute | null = r0;
      if (pkt.dst !== dst0) {
        r = this.routed(inf, pkt, "reroute after DNAT:");
        if (!r) return;
      }
      const r2 = r;
      const outIf2 = r.outDev;
      this.hookThen(ns, inf, "POSTROUTING", pkt, st, io(undefined, outIf2), () => {
        this.ctOut(ns, pkt, st);
        this.transmit(ns, inf, r2, pkt);
      });
    });
  }

  private transmit(ns: NetNs, inf: NsInfo, r: CRoute, pkt: Pkt): void {
    if (this.nHops > MAX_HOPS) return this.drop("LOOP", "too many hops (a forwarding loop?)", pkt);
    let link = r.linkIn === inf ? r.link : undefined;
    if (!link) {
      const dev = r.outDev;
      link = dev ? inf.links.get(dev) : undefined;
      if (!link)
        return this.drop("NO_ROUTE", `route names device ${dev ?? "(none)"} which does not exist`, pkt, {
          kind: "route",
          text: routeText(r.route),
        });
      r.linkIn = inf;
      r.link = link;
    }
    if (!link.up) return this.drop("LINK_DOWN", `${link.name} is down`, pkt, linkObj(link));
    if (link.kind === "loopback") return this.ipInput(ns, "lo", pkt, {});
    if (pkt.size > link.mtu && pkt.df) {
      return this.drop(
        "MTU",
        `packet of ${pkt.size} bytes exceeds the MTU ${link.mtu} of ${link.name} and DF is set (ICMP fragmentation needed, mtu ${link.mtu})`,
        pkt,
        linkObj(link),
      );
    }
    const nh = r.via ?? pkt.dst;
    if (link.kind === "ipip") return this.encapIpip(ns, inf, link, nh, pkt);
    const nb = this.neighbour(ns, inf, link, nh, pkt);
    if (!nb) return;
    if (link.kind === "vxlan") return this.encapVxlan(ns, inf, link, nb.mac, pkt);
    this.l2Send(ns, link, nb.mac, pkt, nb.owner);
  }

  private neighbour(ns: NetNs, inf: NsInfo, link: Link, ip: number, pkt: Pkt): { mac: string; owner?: Owner } | null {
    const ips = intToIp(ip);
    const n = inf.neigh(link.name, ips);
    if (n) {
      // The step's text and object depend on the entry alone (entries are shared, read-only).
      let say = neighSays.get(n);
      if (!say)
        neighSays.set(
          n,
          (say = {
            mac: n.lladdr,
            detail: `${ips} is at ${n.lladdr} (${n.state.toLowerCase()} neighbour on ${link.name})`,
            obj: { kind: "neigh", text: `${n.ip} dev ${n.dev} lladdr ${n.lladdr} ${n.state}` },
          }),
        );
      this.step("ARP", say.detail, pkt, say.obj);
      return say;
    }
    if (link.kind === "vxlan") {
      this.drop(
        "NO_NEIGHBOUR",
        `no neighbour entry for ${ips} on ${link.name} (nolearning VXLAN: flannel installs them)`,
        pkt,
        linkObj(link),
      );
      return null;
    }
    const o = this.topo.arpOwner(ns, link.name, ip, inf);
    if (o) {
      // One owner object per (namespace, device, address): its answer is made once.
      let a = o.arp;
      if (!a) {
        const l = this.topo.info(o.ns).links.get(o.dev)!;
        a = o.arp = {
          mac: l.mac,
          owner: o,
          detail: `who-has ${ips} on ${link.name}: ${l.mac} (${o.dev} in ${o.ns.id})`,
          obj: { kind: "neigh", text: `${ips} dev ${link.name} lladdr ${l.mac} REACHABLE` },
        };
      }
      this.step("ARP", a.detail, pkt, a.obj);
      return a;
    }
    // proxy ARP: a link on the segment whose namespace routes to the target elsewhere.
    for (const cand of this.proxyArpCandidates(ns, link)) {
      const ci = this.topo.info(cand.ns);
      const pa =
        cand.ns.sysctls[`net.ipv4.conf.${cand.dev}.proxy_arp`] ?? cand.ns.sysctls["net.ipv4.conf.all.proxy_arp"];
      if (pa !== "1") continue;
      const rr = this.route(ci, ip);
      if (!rr || rr.route.type === "blackhole" || rr.route.type === "unreachable" || rr.route.dev === cand.dev)
        continue;
      const l = ci.links.get(cand.dev)!;
      this.step(
        "ARP",
        `who-has ${ips} on ${link.name}: ${l.mac} (proxy ARP by ${cand.dev} in ${cand.ns.id}, net.ipv4.conf.${cand.dev}.proxy_arp=1)`,
        pkt,
        { kind: "sysctl", text: `net.ipv4.conf.${cand.dev}.proxy_arp = 1` },
      );
      return { mac: l.mac, owner: cand };
    }
    this.drop(
      "NO_NEIGHBOUR",
      `ARP for ${ips} on ${link.name}: no answer (no host owns it on that segment)`,
      pkt,
      linkObj(link),
    );
    return null;
  }

  private proxyArpCandidates(ns: NetNs, link: Link): { ns: NetNs; dev: string }[] {
    const out: { ns: NetNs; dev: string }[] = [];
    if (link.peer) {
      const pns = this.topo.nsOf(link.peer.ns);
      if (pns) out.push({ ns: pns, dev: link.peer.name });
    }
    void ns;
    return out;
  }

  private encapVxlan(ns: NetNs, inf: NsInfo, link: Link, mac: string, pkt: Pkt): void {
    const vx = link.vxlan!;
    const f = inf.fdbSelf(link.name, mac) ?? inf.fdbSelf(link.name, "00:00:00:00:00:00");
    if (!f || !f.dst)
      return this.drop(
        "NO_NEIGHBOUR",
        `no FDB entry for ${mac} on ${link.name}: the VXLAN device does not know the remote VTEP`,
        pkt,
        linkObj(link),
      );
    let fobj = fdbObjs.get(f);
    if (!fobj) fdbObjs.set(f, (fobj = { kind: "fdb", text: `${f.mac} dev ${f.dev} dst ${f.dst} self ${f.state}` }));
    const local = vx.local ? ipToInt(vx.local) : this.ifAddr(inf, vx.dev, ipToInt(f.dst));
    const inner = clonePkt(pkt);
    inner.l2dst = mac;
    const sport = 32768 + ((((pkt.src ^ pkt.dst ^ (pkt.sport << 3) ^ pkt.dport) % 28232) + 28232) % 28232);
    const outer = makePkt({
      src: local ?? 0,
      dst: ipToInt(f.dst),
      proto: "udp",
      sport,
      dport: vx.port || 8472,
      ttl: 64,
      size: pkt.size + 50,
      df: false,
      mark: 0,
      inner,
      vni: vx.vni,
    });
    this.step(
      "ENCAPSULATED",
      `VXLAN VNI ${vx.vni}: ${mac} is at VTEP ${f.dst} (FDB); outer udp ${intToIp(outer.src)}:${sport} → ${f.dst}:${outer.dport}, ${outer.size} bytes`,
      outer,
      fobj,
    );
    this.localOut(ns, outer, true, inf);
  }

  private encapIpip(ns: NetNs, inf: NsInfo, link: Link, nh: number, pkt: Pkt): void {
    const remote = link.ipip?.remote ? ipToInt(link.ipip.remote) : nh;
    let local = link.ipip?.local ? ipToInt(link.ipip.local) : undefined;
    if (local === undefined) {
      const rr = fibLookup(inf.main, remote, (r) => r.route.dev !== link.name);
      if (rr?.route.src) local = ipToInt(rr.route.src);
      else if (rr) local = this.ifAddr(inf, rr.route.dev, remote);
    }
    const outer = makePkt({
      src: local ?? 0,
      dst: remote,
      proto: "ipip",
      sport: 0,
      dport: 0,
      ttl: 64,
      size: pkt.size + 20,
      df: pkt.df,
      mark: 0,
      inner: clonePkt(pkt),
    });
    this.step(
      "ENCAPSULATED",
      `IPIP on ${link.name}: outer ${intToIp(outer.src)} → ${intToIp(remote)} (protocol 4), ${outer.size} bytes`,
      outer,
      linkObj(link),
    );
    this.localOut(ns, outer, true, inf);
  }

  /** A veth's far end and its step (they depend on the link alone: IR links are read-only). */
  private vethEnd(link: Link, peer: NonNullable<Link["peer"]>): VethEnd | null {
    let v = vethSays.get(link);
    if (v === undefined) {
      const pns = this.topo.nsOf(peer.ns);
      const pl = pns ? this.topo.info(pns).links.get(peer.name) : undefined;
      vethSays.set(
        link,
        (v =
          pns && pl
            ? {
                pns,
                pinf: this.topo.info(pns),
                pl,
                detail: `${link.name} → ${pl.name} in ${pns.id}`,
                obj: linkObj(link),
              }
            : null),
      );
    }
    return v;
  }

  /** `end`: the veth's far end when the caller has it (a bridge port's answer keeps it). */
  private l2Send(ns: NetNs, link: Link, mac: string, pkt: Pkt, owner?: Owner, end?: VethEnd | null): void {
    if (link.peer) {
      const v = end !== undefined ? end : this.vethEnd(link, link.peer);
      if (!v)
        return this.drop(
          "LINK_DOWN",
          `${link.name} has no peer ${link.peer.name} in ${link.peer.ns}`,
          pkt,
          linkObj(link),
        );
      this.step("VETH", v.detail, pkt, v.obj);
      if (v.pns !== ns) pkt.mark = 0; // crossing namespaces scrubs the skb mark
      this.hop(v.pns);
      return this.l2Receive(v.pns, v.pl, mac, pkt, owner, v.pinf);
    }
    if (link.kind === "bridge") return this.bridgeForward(ns, link, null, mac, pkt, owner);
    if (ns === this.topo.externalNs && this.topo.ir.underlay?.ns) {
      const u = this.topo.ir.underlay.ns;
      const br = u.links.find((l) => l.kind === "bridge");
      if (br) {
        this.step("TRANSMITTED", `${link.name} → the underlay switch ${br.name}`, pkt, linkObj(link));
        this.hop(u);
        return this.bridgeForward(u, br, null, mac, pkt, owner, true);
      }
    }
    this.drop("UNSUPPORTED", `cannot transmit on ${link.kind} device ${link.name}`, pkt, linkObj(link));
  }

  /** `known`: the namespace's info when the caller has it (one lookup fewer on a cold namespace; so for localOut, bridgeForward, ipInput). */
  private l2Receive(ns: NetNs, link: Link, mac: string, pkt: Pkt, owner?: Owner, known?: NsInfo): void {
    if (!link.up) return this.drop("LINK_DOWN", `${link.name} is down`, pkt, linkObj(link));
    if (link.master) {
      const br = (known ?? this.topo.info(ns)).links.get(link.master);
      if (!br)
        return this.drop("UNSUPPORTED", `${link.name}'s master ${link.master} does not exist`, pkt, linkObj(link));
      if (br.mac === mac) return this.bridgeUp(ns, br, link, pkt);
      return this.bridgeForward(ns, br, link, mac, pkt, owner, false, known);
    }
    if (link.mac === mac || link.kind === "loopback" || mac === "ff:ff:ff:ff:ff:ff")
      return this.ipInput(ns, link.name, pkt, NO_META, known);
    this.drop(
      "NO_NEIGHBOUR",
      `frame for ${mac} arrives on ${link.name} (${link.mac}): not for this host`,
      pkt,
      linkObj(link),
    );
  }

  private fdbPort(ns: NetNs, br: Link, mac: string, owner?: Owner): PortAnswer | null {
    // An owner (arpOwner's: one object per question, its MAC fixed) remembers its port: a
    // bridge is crossed through two lookups (FORWARD's physdev and the output), the same on every path.
    if (owner) {
      const c = owner.fdb;
      if (c && c.ns === ns && c.br === br && c.mac === mac) return c.v;
      const v = this.fdbPortFind(ns, br, mac, owner);
      owner.fdb = { ns, br, mac, v };
      return v;
    }
    return this.fdbPortFind(ns, br, mac, owner);
  }

  private fdbPortFind(ns: NetNs, br: Link, mac: string, owner?: Owner): PortAnswer | null {
    const inf = this.topo.info(ns);
    const f = inf.fdbBridge(br.name, mac);
    if (f)
      return {
        port: f.dev,
        obj: { kind: "fdb", text: `${f.mac} dev ${f.dev} master ${br.name} ${f.state}` },
        learned: false,
        link: undefined,
        veth: undefined,
      };
    const ports = inf.ports.get(br.name);
    let port: string | undefined;
    if (owner) {
      if (owner.ns === ns && inf.links.get(owner.dev)?.master === br.name) port = owner.dev;
      else port = ports?.get(lkey(owner.ns.id, owner.dev));
      if (!port && ports)
        for (const [peer, p] of ports) {
          // The owner sits further behind a port (another bridge, a tunnel…).
          const z = peer.indexOf("\0");
          const pns = this.topo.nsOf(peer.slice(0, z));
          if (pns && this.topo.connected({ ns: pns, dev: peer.slice(z + 1) }, owner)) {
            port = p;
            break;
          }
        }
    } else if (ports) {
      // Learned from a frame the MAC's owner sent: find the port whose far side has it.
      for (const [peer, p] of ports) {
        const z = peer.indexOf("\0");
        const pns = this.topo.nsOf(peer.slice(0, z));
        if (pns && this.topo.info(pns).links.get(peer.slice(z + 1))?.mac === mac) {
          port = p;
          break;
        }
      }
    }
    if (!port) return null;
    return {
      port,
      obj: { kind: "fdb", text: `${mac} dev ${port} master ${br.name}` },
      learned: true,
      link: undefined,
      veth: undefined,
    };
  }

  /** A frame for the bridge's own MAC: up to the IP layer (br_netfilter: PREROUTING here, bridged DNAT). */
  private bridgeUp(ns: NetNs, br: Link, inPort: Link, pkt: Pkt): void {
    this.step(
      "BRIDGED",
      `${inPort.name} → ${br.name}: frame for the bridge's own address, up to the IP layer`,
      pkt,
      linkObj(br),
    );
    const inf = this.topo.info(ns);
    if (!inf.brNf) return this.ipInput(ns, br.name, pkt, { physIn: inPort.name }, inf);
    const st = this.ctIn(ns, pkt);
    const dst0 = pkt.dst;
    this.hookThen(ns, inf, "PREROUTING", pkt, st, io(br.name, undefined, inPort.name), () => {
      if (pkt.dst !== dst0) {
        // br_netfilter's bridged DNAT: the new destination is on this bridge → the frame is bridged, not routed.
        const r = this.route(inf, pkt.dst);
        if (r && r.route.type === "unicast" && r.route.dev === br.name && !r.via) {
          this.step(
            "ROUTED",
            `after DNAT ${intToIp(pkt.dst)} is on ${br.name}: bridged DNAT (br_netfilter), the frame stays on the bridge`,
            pkt,
            { kind: "route", text: routeText(r.route) },
          );
          const nb = this.neighbour(ns, inf, br, pkt.dst, pkt);
          if (!nb) return;
          return this.bridgeForwardHooks(ns, inf, br, inPort, nb.mac, pkt, st, nb.owner);
        }
      }
      this.ipRoute(ns, inf, br.name, pkt, st);
    });
  }

  private bridgeForward(
    ns: NetNs,
    br: Link,
    inPort: Link | null,
    mac: string,
    pkt: Pkt,
    owner?: Owner,
    fromOutside = false,
    known?: NsInfo,
  ): void {
    const inf = known ?? this.topo.info(ns);
    if (fromOutside && br.mac === mac) return this.ipInput(ns, br.name, pkt, {});
    if (inPort && inf.brNf) {
      const st = this.ctIn(ns, pkt);
      return this.hookThen(ns, inf, "PREROUTING", pkt, st, io(br.name, undefined, inPort.name, undefined, true), () =>
        this.bridgeForwardHooks(ns, inf, br, inPort, mac, pkt, st, owner),
      );
    }
    this.bridgeOut(ns, br, inPort, mac, pkt, owner);
  }

  private bridgeForwardHooks(
    ns: NetNs,
    inf: NsInfo,
    br: Link,
    inPort: Link,
    mac: string,
    pkt: Pkt,
    st: ReturnType<Walk["ctIn"]>,
    owner?: Owner,
  ): void {
    const port = this.fdbPort(ns, br, mac, owner);
    const bio = io(br.name, br.name, inPort.name, port?.port, true);
    this.hookThen(ns, inf, "FORWARD", pkt, st, bio, () =>
      this.hookThen(ns, inf, "POSTROUTING", pkt, st, bio, () => {
        this.ctOut(ns, pkt, st);
        this.bridgeOut(ns, br, inPort, mac, pkt, owner);
      }),
    );
  }

  private bridgeOut(ns: NetNs, br: Link, inPort: Link | null, mac: string, pkt: Pkt, owner?: Owner): void {
    const port = this.fdbPort(ns, br, mac, owner);
    if (!port)
      return this.drop(
        "NO_NEIGHBOUR",
        `${br.name}: no port leads to ${mac} (flooded, nobody answered)`,
        pkt,
        linkObj(br),
      );
    if (port.port === EXTERNAL_PORT) {
      const ext = this.topo.externalNs;
      this.step("BRIDGED", `${br.name}: ${mac} → the outside client's port`, pkt, port.obj);
      this.hop(ext);
      return this.l2Receive(ext, this.topo.info(ext).links.get("eth0")!, mac, pkt);
    }
    // The port's link, remembered on the (owner-cached) answer.
    const pl = (port.link ??= this.topo.info(ns).links.get(port.port)!);
    if (inPort && inPort.name === pl.name && !pl.hairpin && !br.bridge?.hairpin) {
      return this.drop(
        "HAIRPIN",
        `${br.name}: the frame would leave by the port it came in (${pl.name}) and hairpin mode is off`,
        pkt,
        linkObj(pl),
      );
    }
    this.step(
      "BRIDGED",
      `${br.name}: ${mac} → port ${pl.name}${port.learned ? " (learned)" : ""}${inPort && inPort.name === pl.name ? " (hairpin)" : ""}`,
      pkt,
      port.obj,
    );
    this.l2Send(ns, pl, mac, pkt, owner, pl.peer ? (port.veth ??= this.vethEnd(pl, pl.peer)) : undefined);
  }

  private ipInput(ns: NetNs, dev: string, pkt: Pkt, meta: { physIn?: string }, known?: NsInfo): void {
    this.hop(ns);
    const inf = known ?? this.topo.info(ns);
    const st = this.ctIn(ns, pkt);
    this.hookThen(ns, inf, "PREROUTING", pkt, st, io(dev, undefined, meta.physIn), () =>
      this.ipRoute(ns, inf, dev, pkt, st),
    );
  }

  /** After PREROUTING: the input route decision. */
  private ipRoute(ns: NetNs, inf: NsInfo, dev: string, pkt: Pkt, st: ReturnType<Walk["ctIn"]>): void {
    if (dev === "lo") {
      // Locally generated, looped back: already routed.
      return this.hookThen(ns, inf, "INPUT", pkt, st, io("lo"), () => {
        this.ctOut(ns, pkt, st);
        this.localDeliver(ns, inf, dev, pkt);
      });
    }
    const u = this.topo.ir.underlay;
    if (u?.ns === ns && !isLocalAddr(inf, pkt.dst) && !inCidr(pkt.dst, parseCidr(u.subnet))) {
      // The underlay namespace is the LAN's gateway: beyond it is outside the cluster.
      return this.end(
        {
          verdict: "EXITS_CLUSTER",
          detail: `${intToIp(pkt.dst)} is outside the cluster: the packet leaves through the LAN gateway (${u.externalClient}) with source ${intToIp(pkt.src)}`,
        },
        pkt,
        "TRANSMITTED",
      );
    }
    const r = this.routed(inf, pkt);
    if (!r) return;
    if (r.type === "local") {
      return this.hookThen(ns, inf, "INPUT", pkt, st, io(dev), () => {
        this.ctOut(ns, pkt, st);
        this.localDeliver(ns, inf, dev, pkt);
      });
    }
    const fwd = inf.forwarding;
    if (fwd !== "1")
      return this.drop(
        "FORWARDING_DISABLED",
        `net.ipv4.ip_forward is not 1 in ${ns.id}: the packet is not forwarded`,
        pkt,
        { kind: "sysctl", text: `net.ipv4.ip_forward = ${fwd ?? "0"}` },
      );
    if (pkt.ttl <= 1) return this.drop("TTL", `TTL expired in transit (ICMP time exceeded)`, pkt);
    const outIf = r.outDev;
    const fio = io(dev, outIf);
    this.hookThen(ns, inf, "FORWARD", pkt, st, fio, () => {
      pkt.ttl--;
      this.hookThen(ns, inf, "POSTROUTING", pkt, st, fio, () => {
        this.ctOut(ns, pkt, st);
        this.transmit(ns, inf, r, pkt);
      });
    });
  }

  private localDeliver(ns: NetNs, inf: NsInfo, _dev: string, pkt: Pkt): void {
    // Tunnel endpoints: VXLAN (UDP to the device's port) and IPIP (protocol 4).
    if (pkt.inner) {
      if (pkt.proto === "udp") {
        let at = inf.vxlanAt;
        if (!at || at.port !== pkt.dport || at.vni !== pkt.vni) {
          let vx: Link | undefined;
          for (const l of inf.tunnels)
            if (!vx && l.kind === "vxlan" && l.vxlan && (l.vxlan.port || 8472) === pkt.dport && l.vxlan.vni === pkt.vni)
              vx = l;
          at = vx
            ? (inf.vxlanAt = {
                port: pkt.dport,
                vni: pkt.vni,
                link: vx,
                detail: `VXLAN VNI ${pkt.vni} (udp ${pkt.dport}) → ${vx.name}`,
                obj: linkObj(vx),
              })
            : undefined;
        }
        if (at) {
          const vx = at.link;
          const inner = pkt.inner;
          const mac = inner.l2dst;
          this.step("DECAPSULATED", at.detail, inner, at.obj);
          return this.l2Receive(ns, vx, mac ?? vx.mac, inner, undefined, inf);
        }
      } else if (pkt.proto === "ipip") {
        const tl = inf.tunnels.find((l) => l.kind === "ipip");
        if (tl) {
          this.step("DECAPSULATED", `IPIP → ${tl.name}`, pkt.inner, linkObj(tl));
          return this.ipInput(ns, tl.name, pkt.inner, {});
        }
      }
      return this.end(
        {
          verdict: "REFUSED",
          detail: `encapsulated packet to ${intToIp(pkt.dst)}: no tunnel device for it (ICMP port unreachable)`,
        },
        pkt,
        "REFUSED",
      );
    }
    // IPVS (model): a virtual server on this node takes the connection.
    const vs = inf.node?.ipvs ? ipvsIndex(inf.node.ipvs).get(`${pkt.proto}/${pkt.dst}/${pkt.dport}`) : undefined;
    if (vs) return this.ipvs(ns, inf, vs, pkt);
    if (
      this.client &&
      ns === this.client.ns &&
      pkt.dst === this.client.ip &&
      pkt.dport === this.client.port &&
      pkt.proto === this.client.proto
    ) {
      return this.end(
        {
          verdict: "DELIVERED",
          detail: `the reply reaches the client socket ${intToIp(pkt.dst)}:${pkt.dport}`,
          port: pkt.dport,
        },
        pkt,
        "DELIVERED",
      );
    }
    if (pkt.proto === "icmp")
      return this.end(
        { verdict: "DELIVERED", detail: `ICMP echo request answered by the kernel of ${ns.id}` },
        pkt,
        "DELIVERED",
      );
    const d = this.listener(inf, pkt);
    if (d)
      return this.end(
        { verdict: "DELIVERED", detail: d.detail, container: d.container, port: d.lport, object: d.obj },
        pkt,
        "DELIVERED",
      );
    const how =
      pkt.proto === "tcp" ? "TCP RST" : pkt.proto === "udp" ? "ICMP port unreachable" : "ICMP protocol unreachable";
    this.end(
      {
        verdict: "REFUSED",
        detail: `nothing listens on ${pkt.proto} ${intToIp(pkt.dst)}:${pkt.dport} in ${ns.id} (${how})`,
        port: pkt.dport,
      },
      pkt,
      "REFUSED",
    );
  }

  /** The socket that takes the packet here, with its step texts; a pod's last answer is kept (its listeners are read-only; a host's are made per call). */
  private listener(inf: NsInfo, pkt: Pkt): NsInfo["delivered"] {
    const last = inf.pod ? inf.delivered : undefined;
    if (last && last.port === pkt.dport && last.dst === pkt.dst && last.proto === pkt.proto) return last;
    const listeners = inf.pod
      ? inf.pod.listeners
      : inf.node
        ? (this.topo.hostPods.get(inf.node.name) ?? []).flatMap((p) =>
            p.listeners.map((l) => ({ ...l, container: `${p.namespace}/${p.name}/${l.container}` })),
          )
        : [];
    const proto = pkt.proto.toUpperCase();
    const dstS = intToIp(pkt.dst);
    const loop = pkt.dst >>> 24 === 127;
    const l = listeners.find(
      (x) =>
        x.protocol === proto &&
        x.port === pkt.dport &&
        (x.address === "0.0.0.0" || x.address === "::" || x.address === dstS || (loop && x.address.startsWith("127."))),
    );
    if (!l) return undefined;
    const obj: StepObject = {
      kind: "listener",
      text: `${proto} ${l.address}:${l.port} (container ${l.container}${l.portName ? `, port ${l.portName}` : ""})`,
    };
    const d = {
      proto: pkt.proto,
      port: pkt.dport,
      dst: pkt.dst,
      container: l.container,
      lport: l.port,
      detail: `container ${l.container} listens on ${pkt.proto} ${l.address}:${l.port}`,
      obj,
    };
    if (inf.pod) inf.delivered = d;
    return d;
  }

  private ipvs(
    ns: NetNs,
    inf: NsInfo,
    vs: NonNullable<NsInfo["node"]>["ipvs"] extends (infer T)[] | undefined ? T : never,
    pkt: Pkt,
  ): void {
    const text = `${vs.protocol}  ${vs.address}:${vs.port} ${vs.scheduler}${vs.reals.map((r) => `\n  -> ${r.address}:${r.port} Masq ${r.weight}`).join("")}`;
    if (!vs.reals.length)
      return this.drop("NO_ENDPOINTS", `IPVS ${vs.address}:${vs.port} (${vs.service}) has no real servers`, pkt, {
        kind: "ipvs",
        text,
      });
    const total = vs.reals.reduce((a, r) => a + (r.weight || 0), 0) || vs.reals.length;
    const options = vs.reals.map((r) => ({
      p: (total === vs.reals.length && vs.reals.every((x) => !x.weight) ? 1 : r.weight) / total,
      label: `${r.address}:${r.port} (p=${((r.weight || 1) / total).toFixed(4)})`,
    }));
    let t: Tuple = { src: 0, sport: 0, dst: 0, dport: 0 };
    let e: CtEntry | null = null;
    // The pick is a fork point: each real server continues from here.
    this.forkAt(
      pkt,
      () => {
        const k = this.choose(options, `IPVS ${vs.scheduler} ${vs.address}:${vs.port}`);
        const real = vs.reals[k];
        const before = `${intToIp(pkt.dst)}:${pkt.dport}`;
        t = { src: pkt.src, sport: pkt.sport, dst: pkt.dst, dport: pkt.dport };
        pkt.dst = ipToInt(real.address);
        pkt.dport = real.port;
        e = {
          proto: pkt.proto,
          orig: t,
          reply: { src: pkt.dst, sport: pkt.dport, dst: t.src, dport: t.sport },
          dnat: true,
          snat: false,
          mark: 0,
          confirmed: false,
        };
        this.step(
          "IPVS",
          `IPVS ${vs.service}: ${before} → ${real.address}:${real.port} (masquerading forwarder)`,
          pkt,
          { kind: "ipvs", text },
        );
        return true;
      },
      () => {
        const r = this.routed(inf, pkt);
        if (!r) return;
        const st = { state: "NEW" as CtState, e, reply: false };
        // Replace the connection's entry: IPVS owns its NAT.
        const tbl = this.ctTable(ns, false);
        if (tbl) this.ctSet(tbl, pkt.proto, t, undefined);
        this.hookThen(ns, inf, "POSTROUTING", pkt, st, io(undefined, r.route.dev), () => {
          this.ctOut(ns, pkt, st);
          this.transmit(ns, inf, r, pkt);
        });
      },
    );
  }

  /** Mark who the client is (for the reply's delivery). */
  setClient(ns: NetNs, pkt: Pkt): void {
    this.client = { ns, ip: pkt.src, port: pkt.sport, proto: pkt.proto };
  }
}

/** The netfilter view of one hook traversal (a class: cheaper than a closure bag). */
class Env implements NfEnv {
  inIf?: string;
  outIf?: string;
  physIn?: string;
  physOut?: string;
  bridged: boolean;
  ctState: CtState;
  isReplyPacket: boolean;
  notrack = false;
  verbose: boolean;
  constructor(
    private w: Walk,
    private ns: NetNs,
    private inf: NsInfo,
    public pkt: Pkt,
    private st: { state: CtState; e: CtEntry | null; reply: boolean },
    io: Io,
  ) {
    this.bridged = false;
    this.ctState = st.state;
    this.isReplyPacket = false;
    this.verbose = false;
    this.reset(ns, inf, pkt, st, io);
  }
  reset(ns: NetNs, inf: NsInfo, pkt: Pkt, st: { state: CtState; e: CtEntry | null; reply: boolean }, io: Io): this {
    this.ns = ns;
    this.inf = inf;
    this.pkt = pkt;
    this.st = st;
    this.notrack = false;
    this.inIf = io.inIf;
    this.outIf = io.outIf;
    this.physIn = io.physIn;
    this.physOut = io.physOut;
    this.bridged = !!io.bridged;
    this.ctState = st.state;
    this.isReplyPacket = st.reply;
    this.verbose = !!this.w.opts.verbose;
    return this;
  }
  get ctDnat() {
    return !!this.st.e?.dnat;
  }
  get ctSnat() {
    return !!this.st.e?.snat;
  }
  get ctMark() {
    return this.st.e?.mark ?? 0;
  }
  set ctMark(v: number) {
    if (this.st.e) {
      this.w._saveCt(this.st.e);
      this.st.e.mark = v;
    }
  }
  isLocal(ip: number) {
    return isLocalAddr(this.inf, ip);
  }
  isBroadcast(ip: number) {
    return this.inf.broadcast.has(ip);
  }
  podOf(ip: number) {
    const p = this.w.topo.podByIp.get(ip);
    if (!p) return undefined;
    return { name: `${p.namespace}/${p.name}`, local: !!this.inf.node && p.node === this.inf.node.name };
  }
  choose(o: { p: number; label: string }[], what: string) {
    return this.w._choose(o, what);
  }
  noteChoice(label: string) {
    this.w.choices.push(label);
  }
  ipsetHas(name: string, dirs: string[]) {
    const sets = this.w.opts.ipsets?.(this.ns.id);
    const members = sets?.[name];
    if (!members)
      throw new Error(
        `ipset ${name} is not known in ${this.ns.id} (its members are not in the IR: pass them with the trace options)`,
      );
    return ipsetMatch(members, dirs, this.pkt);
  }
  recentHas(name: string, key: number) {
    return this.w.recent.get(name)?.has(key) ?? false;
  }
  recentSet(name: string, key: number) {
    this.w._recent(name, key, true);
  }
  recentRemove(name: string, key: number) {
    this.w._recent(name, key, false);
  }
  recentList(name: string) {
    const s = this.w.recent.get(name);
    return s ? [...s] : [];
  }
  nat(req: NatRequest) {
    return this.w._nat(this.ns, this.inf, this.pkt, this.st.e, req, this.outIf);
  }
  view() {
    return viewOf(this.pkt);
  }
  snapshot() {
    const p = this.pkt;
    const c = makePkt(p);
    return () => viewOf(c);
  }
}

const ipsetIndex = new WeakMap<
  (string | number)[],
  { exact: Set<string>; nets: [number, number][]; shape: string[] }
>();
/** ipset membership: the entry's components by shape (ip, proto:port, port, net) and the match's src/dst directions. */
export function ipsetMatch(members: (string | number)[], dirs: string[], p: Pkt): boolean {
  let ix = ipsetIndex.get(members);
  if (!ix) {
    const first = members.length ? String(members[0]).split(",") : [];
    const shape = first.map((c) =>
      /^\d+$/.test(c) ? "port" : /^[a-z]+:\d+$/.test(c) ? "pport" : c.includes("/") ? "net" : "ip",
    );
    const exact = new Set<string>();
    const nets: [number, number][] = [];
    for (const m of members) {
      const s = String(m);
      if (shape.length === 1 && shape[0] === "net") {
        const c = parseCidr(s);
        nets.push([c.net, c.mask]);
      } else exact.add(s.replace(/\/32(?=,|$)/g, ""));
    }
    ipsetIndex.set(members, (ix = { exact, nets, shape }));
  }
  const comp = ix.shape.map((sh, i) => {
    const d = dirs[i] ?? dirs[dirs.length - 1];
    if (sh === "ip" || sh === "net") return intToIp(d === "src" ? p.src : p.dst);
    const port = d === "src" ? p.sport : p.dport;
    return sh === "port" ? String(port) : `${p.proto}:${port}`;
  });
  if (ix.nets.length) {
    const ip = d0(dirs) === "src" ? p.src : p.dst;
    return ix.nets.some(([n, m]) => (ip & m) >>> 0 === n);
  }
  return ix.exact.has(comp.join(","));
}
const d0 = (dirs: string[]) => dirs[0];

type Vs = NonNullable<NsInfo["node"]>["ipvs"] extends (infer T)[] | undefined ? T : never;
const ipvsIdx = new WeakMap<Vs[], Map<string, Vs>>();
function ipvsIndex(list: Vs[]): Map<string, Vs> {
  let m = ipvsIdx.get(list);
  if (!m) {
    m = new Map();
    for (const v of list) {
      const k = `${v.protocol.toLowerCase()}/${ipToInt(v.address)}/${v.port}`;
      if (!m.has(k)) m.set(k, v);
    }
    ipvsIdx.set(list, m);
  }
  return m;
}

const linkObjCache = new WeakMap<Link, StepObject>();
/** A veth's far end and its step (null: the peer is missing), per link. */
const vethSays = new WeakMap<Link, VethEnd | null>();
const NO_META: { physIn?: string } = {};
function linkObj(l: Link): StepObject {
  let o = linkObjCache.get(l);
  if (!o) linkObjCache.set(l, (o = linkObjMake(l)));
  return o;
}
function linkObjMake(l: Link): StepObject {
  let t = `${l.name}: <${l.up ? "UP" : "DOWN"}> mtu ${l.mtu} ${l.kind} ${l.mac}`;
  if (l.master) t += ` master ${l.master}`;
  if (l.vxlan)
    t += ` vxlan id ${l.vxlan.vni} local ${l.vxlan.local} dev ${l.vxlan.dev} dstport ${l.vxlan.port}${l.vxlan.learning ? "" : " nolearning"}`;
  if (l.peer) t += ` peer ${l.peer.name}@${l.peer.ns}`;
  return { kind: "link", text: t };
}

/** A route's step object and the end of its ROUTED text, made once per route (routes are shared, read-only) and kept on its compiled form. */
function routeSay(cr: CRoute): { obj: StepObject; how: string } {
  let v = cr.say;
  if (!v) {
    const r = cr.route;
    const how =
      r.type === "local"
        ? `: local (delivered in this namespace)`
        : r.via
          ? `: via ${r.via} dev ${r.dev}`
          : `: dev ${r.dev} (directly connected)`;
    cr.say = v = { obj: { kind: "route", text: routeText(r) }, how };
  }
  return v;
}

const neighSays = new WeakMap<object, { mac: string; detail: string; obj: StepObject }>();
const fdbObjs = new WeakMap<object, StepObject>();

const routeTextCache = new WeakMap<Route, string>();
export function routeText(r: Route): string {
  let t = routeTextCache.get(r);
  if (t === undefined) routeTextCache.set(r, (t = routeTextMake(r)));
  return t;
}
function routeTextMake(r: Route): string {
  const parts: string[] = [];
  if (r.type !== "unicast") parts.push(r.type);
  parts.push(r.dst.endsWith("/32") ? r.dst.slice(0, -3) : r.dst);
  if (r.via) parts.push("via", r.via);
  if (r.dev) parts.push("dev", r.dev);
  if (r.table !== "main") parts.push("table", String(r.table));
  if (r.proto !== undefined) parts.push("proto", String(r.proto));
  if (r.scope && r.scope !== "global") parts.push("scope", r.scope);
  if (r.src) parts.push("src", r.src);
  if (r.metric) parts.push("metric", String(r.metric));
  if (r.onlink) parts.push("onlink");
  return parts.join(" ");
}

function ctText(e: CtEntry): string {
  const t = (x: Tuple) => `src=${intToIp(x.src)} dst=${intToIp(x.dst)} sport=${x.sport} dport=${x.dport}`;
  return `${e.proto} ${t(e.orig)} ${t(e.reply)}${e.dnat ? " [DNAT]" : ""}${e.snat ? " [SNAT]" : ""}`;
}
