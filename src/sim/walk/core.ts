// The walk's core: its output (hops, steps, the verdict), its random choices, and forking
// (a fork point replays an evaluation per choice and restores the state between branches
// through an undo log). The walk is one class built in layers, one file per concern, each
// extending the one below: core ← conntrack ← l3 ← l2 ← encap ← ipvs ← deliver, and
// engine.ts's Walk on top. One class at run time: every call site sees one receiver shape
// (monomorphic), and a path allocates what it did as a single class. A layer calls up the
// chain through abstract methods (declared at the bottom of the class that needs them).

import type { NetNs } from "../../ir/types.js";
import { ipToInt } from "../../net/ipv4.js";
import type { CtState } from "../nfenv.js";
import type { Hook } from "../netfilter.js";
import { assignPkt, clonePkt, makePkt, viewOf, type Pkt } from "../packet.js";
import type { NsInfo, Topology } from "../topology.js";
import type { CompiledIR } from "../topology.js";
import type { Disposition, DropReason, Hop, Step, StepAction, StepObject, TracePath } from "../trace.js";
import type { CtTable, CtEntry, CtRef } from "./ct-table.js";

export interface Chooser {
  choose(options: { p: number; label: string }[], what: string): number;
}

/**
 * The undo log's records (restoring a fork point): plain records, not closures: a closure,
 * its context and a copied tuple per conntrack mutation were a fifth of a path's allocations.
 */
export class CtFieldsUndo {
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
export class CtSlotUndo {
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
export class CtConfirmUndo {
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
export class HookCall {
  constructor(
    readonly ns: NetNs,
    readonly inf: NsInfo,
    readonly hook: Hook,
    readonly pkt: Pkt,
    readonly st: { state: CtState; e: CtEntry | null; reply: boolean },
    readonly io: Io,
  ) {}
}
export type Evaluation = HookCall | (() => boolean);

export class FnUndo {
  constructor(readonly f: () => void) {}
  undo(): void {
    this.f();
  }
}
export type Undo = CtFieldsUndo | CtSlotUndo | CtConfirmUndo | FnUndo;

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

export const MAX_HOPS = 64;

/** The devices a hook sees. */
export interface Io {
  inIf: string | undefined;
  outIf: string | undefined;
  physIn: string | undefined;
  physOut: string | undefined;
  bridged: boolean;
}
/** Every Io has every field: one shape (subsets made Env.reset's loads megamorphic, measured with --log-ic). */
export function io(inIf?: string, outIf?: string, physIn?: string, physOut?: string, bridged = false): Io {
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
  take(w: WalkCore): void;
}

/** A random choice where the walk cannot fork (the reply's walk): the caller replays whole walks instead. */
export class ForkFallback extends Error {}

export interface Snap {
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

export abstract class WalkCore {
  hops: Hop[] = [];
  cur: Hop | null = null;
  probability = 1;
  choices: string[] = [];
  disposition: Disposition | null = null;
  ct = new Map<string, CtTable>();
  recent = new Map<string, Set<number>>();
  client: { ns: NetNs; ip: number; port: number; proto: string } | null = null;
  protected nHops = 0;

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
  protected local: LocalEnum | null = null;
  /** Undo log of state mutations (conntrack, affinity memory), for restoring at a fork point. */
  protected undo: Undo[] = [];

  /** The IR's caches (the topology's CompiledIR), one load away. */
  readonly c: CompiledIR;

  constructor(
    readonly topo: Topology,
    readonly chooser: Chooser,
    readonly opts: WalkOptions = {},
  ) {
    this.c = topo.compiled;
    for (const [name, ips] of Object.entries(opts.affinity ?? {})) this.recent.set(name, new Set(ips.map(ipToInt)));
  }

  // --- output ---------------------------------------------------------------

  protected hop(ns: NetNs): Hop {
    if (this.cur && this.cur.ns === ns.id) return this.cur;
    this.nHops++;
    this.cur = { ns: ns.id, steps: [] };
    this.hops.push(this.cur);
    return this.cur;
  }

  protected step(action: StepAction, detail: string, pkt: Pkt, object?: StepObject): void {
    // Whole literals (same key order as before): adding `object` afterwards moved it out of the
    // object into a separate property array, one more allocation per step.
    const packet = viewOf(pkt);
    this.cur!.steps.push(object ? { action, detail, packet, object } : { action, detail, packet });
  }

  /**
   * The path's last step and verdict. A path that does not deliver marks the step that
   * decided (`decided: true`): `decider`, the step of the rule that dropped it when the
   * caller has one in the current hop, else this last step.
   */
  protected end(d: Disposition, pkt: Pkt, action: StepAction = "DROPPED", decider?: Step): void {
    if (this.disposition) return;
    const v = d.verdict;
    if (v === "DROPPED" || v === "REFUSED") {
      const steps = this.cur!.steps;
      const i = decider ? steps.lastIndexOf(decider) : -1;
      // A new object in the slot: the step may be shared with paths already emitted.
      if (i >= 0) steps[i] = { ...steps[i], decided: true };
      const packet = viewOf(pkt);
      const o = d.object;
      if (i >= 0)
        steps.push(o ? { action, detail: d.detail, packet, object: o } : { action, detail: d.detail, packet });
      else
        steps.push(
          o
            ? { action, detail: d.detail, packet, object: o, decided: true }
            : { action, detail: d.detail, packet, decided: true },
        );
    } else this.step(action, d.detail, pkt, d.object);
    d.ns = this.cur?.ns;
    this.disposition = d;
  }

  protected drop(reason: DropReason, detail: string, pkt: Pkt, object?: StepObject): void {
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
  protected resetOutput(): void {
    this.hops = [];
    this.cur = null;
    this.disposition = null;
    this.nHops = 0;
    this.probability = 1;
    this.choices = [];
  }

  protected choose(options: { p: number; label: string }[], what: string): number {
    const k = this.fork ? this.forkChoose(options) : this.chooser.choose(options, what);
    this.probability *= options[k].p;
    if (options.length > 1 && !options[k].label.startsWith("not ")) this.choices.push(`${what}: ${options[k].label}`);
    return k;
  }

  protected forkChoose(options: { p: number }[]): number {
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
  protected depth = 0;
  protected probe = new LocalEnum();

  /** Mutations are logged only where a fork may restore them: inside an evaluation or a fork loop. */
  protected get logging(): boolean {
    return this.fork && (this.depth > 0 || this.local !== null);
  }

  protected log(f: () => void): void {
    if (this.logging) this.undo.push(new FnUndo(f));
  }

  /** Before mutating a conntrack entry: remember its fields. */
  protected saveCt(e: CtEntry): void {
    if (!this.logging) return;
    const r = e.reply;
    this.undo.push(new CtFieldsUndo(e, e.dnat, e.snat, e.mark, e.confirmed, r.src, r.sport, r.dst, r.dport));
  }

  protected restore(s: Snap, pkt: Pkt): void {
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
  protected forkAt(pkt: Pkt, evaluate: Evaluation, rest: () => void): void {
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
  protected evaluate(ev: Evaluation): boolean {
    return ev instanceof HookCall ? this.hook(ev.ns, ev.inf, ev.hook, ev.pkt, ev.st, ev.io) : ev();
  }

  protected branches(snap: Snap, pkt: Pkt, en: LocalEnum, ok: boolean, evaluate: Evaluation, rest: () => void): void {
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
  protected forkFloor = 0;

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

  // Up the chain (see core.ts).
  protected abstract hook(
    ns: NetNs,
    inf: NsInfo,
    hook: Hook,
    pkt: Pkt,
    st: { state: CtState; e: CtEntry | null; reply: boolean },
    io: Io,
  ): boolean;
  protected abstract originate(ns: NetNs, pkt: Pkt, detail: string): void;
}
