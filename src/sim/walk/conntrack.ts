// The walk's conntrack and netfilter hooks: lookup and confirmation of entries, NAT as
// recorded, a hook's evaluation and what its verdict means (DropTag: see the IR), and the
// netfilter view of one hook traversal (Env).

import type { CompiledIR } from "../topology.js";
import type { Address, NetNs } from "../../ir/types.js";
import { addrOf, intToIp, ipToInt, parsePrefix, inPrefix } from "../../net/ipv4.js";
import type { NatRequest, NfEnv, NfVerdict, CtState } from "../nfenv.js";
import { runHook, type Hook } from "../netfilter.js";
import { makePkt, viewOf, type Pkt } from "../packet.js";
import { isLocalAddr, type NsInfo } from "../topology.js";
import type { DropReason } from "../trace.js";
import { CtConfirmUndo, CtSlotUndo, HookCall, WalkCore, type Io } from "./core.js";
import { CtTable, type CtEntry, type CtRef, type Tuple } from "./ct-table.js";
import { ctText } from "./say.js";

export abstract class WalkConntrack extends WalkCore {
  protected envObj: Env | null = null;
  // --- conntrack and netfilter -----------------------------------------------

  protected tracked(ns: NetNs): boolean {
    const nf = ns.netfilter;
    return !!nf && (nf.iptables.length > 0 || nf.nftables.length > 0);
  }

  protected ctLookup(ns: NetNs, pkt: Pkt): { e: CtEntry; dir: "orig" | "reply" } | null {
    const t = this.ctTable(ns, false);
    if (!t) return null;
    return t.get(pkt.proto, pkt.src, pkt.sport, pkt.dst, pkt.dport) ?? null;
  }

  protected ctConfirm(ns: NetNs, e: CtEntry): void {
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
  protected ctNs: NetNs | null = null;
  protected ctLast: CtTable | undefined;
  protected ctTable(ns: NetNs, create: boolean): CtTable | undefined {
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

  protected ctSet(t: CtTable, proto: string, k: Tuple, v: CtRef | undefined): void {
    // The tuple's fields may change later (NAT on the entry): undo with the values of now.
    if (this.logging)
      this.undo.push(
        new CtSlotUndo(t, proto, k.src, k.sport, k.dst, k.dport, t.get(proto, k.src, k.sport, k.dst, k.dport)),
      );
    t.set(proto, k.src, k.sport, k.dst, k.dport, v);
  }

  protected env(
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

  protected applyNat(_ns: NetNs, inf: NsInfo, pkt: Pkt, e: CtEntry | null, req: NatRequest, outIf?: string): string {
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
    let via = outIf;
    if (req.kind === "masquerade") {
      const m = this.masqAddr(inf, outIf, pkt.dst);
      addr = m ? ipToInt(addrOf(m.cidr)) : undefined;
      if (m && m.dev !== outIf) via = `${m.dev}: ${outIf} has none`;
    }
    if (addr === undefined) return `${before} (no address on ${outIf})`;
    pkt.src = addr;
    if (req.port !== undefined) pkt.sport = req.port;
    if (e) {
      e.snat = true;
      e.reply.dst = pkt.src;
      e.reply.dport = pkt.sport;
    }
    return `${before} → ${intToIp(pkt.src)}:${pkt.sport}${req.kind === "masquerade" ? ` (address of ${via})` : ""}`;
  }

  /** The address of `dev` to use towards `dst` (source selection). */
  protected ifAddr(inf: NsInfo, dev: string | undefined, dst: number): number | undefined {
    const a = this.devAddr(inf, dev, dst);
    return a ? ipToInt(addrOf(a.cidr)) : undefined;
  }

  private devAddr(inf: NsInfo, dev: string | undefined, dst: number): Address | undefined {
    const addrs = inf.ns.addresses.filter((a) => a.dev === dev && a.scope !== "host");
    return addrs.find((a) => inPrefix(dst, parsePrefix(a.cidr))) ?? addrs[0];
  }

  /**
   * MASQUERADE's address: nf_nat_masquerade_ipv4 asks inet_select_addr(out, nexthop,
   * RT_SCOPE_UNIVERSE) (torvalds/linux net/netfilter/nf_nat_masquerade.c, net/ipv4/devinet.c).
   * An interface without an address (Calico's cali* veths) does not leave the source alone:
   * the kernel takes the first global address of the namespace's interfaces in device order
   * (in_dev_select_addr over for_each_netdev), the node's own IP.
   */
  private masqAddr(inf: NsInfo, dev: string | undefined, dst: number): Address | undefined {
    const a = this.devAddr(inf, dev, dst);
    if (a) return a;
    for (const l of inf.ns.links) {
      const g = inf.ns.addresses.find((x) => x.dev === l.name && (x.scope ?? "global") === "global");
      if (g) return g;
    }
    return undefined;
  }

  /**
   * Conntrack at the start of PREROUTING/OUTPUT: find the connection, undo/redo the
   * destination NAT of an established one. Returns the state for the hooks.
   */
  protected ctIn(ns: NetNs, pkt: Pkt): { state: CtState; e: CtEntry | null; reply: boolean } {
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
  protected ctOut(ns: NetNs, pkt: Pkt, st: { state: CtState; e: CtEntry | null; reply: boolean }): void {
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
  protected hookVerdict(r: NfVerdict, pkt: Pkt): boolean {
    if (r.verdict === "accept") return true;
    const o = r.object;
    // What the drop stands for is the IR's tag on the rule (or its policy table): see DropTag.
    const tag = r.drop;
    const what = r.verdict === "reject" ? "rejected" : "dropped";
    // The rule's own step (the hook's last) decided, when the hook wrote one for it.
    const last = this.cur!.steps.at(-1);
    const decider = o && last?.object === o ? last : undefined;
    if (tag?.reason === "POLICY_DENIED") {
      const detail = `${what} by NetworkPolicy: ${o?.table} ${o?.chain ?? ""}${r.detail ? `: ${r.detail}` : ""}`;
      this.end({ verdict: "DROPPED", reason: "POLICY_DENIED", detail, object: o }, pkt, "DROPPED", decider);
      return false;
    }
    const reason: DropReason =
      tag?.reason === "SERVICE_BACKEND_NOT_FOUND" ? "SERVICE_BACKEND_NOT_FOUND" : "NETFILTER_DROP";
    const detail =
      tag?.reason === "SERVICE_BACKEND_NOT_FOUND"
        ? `${what} by ${o?.table ?? ""} ${o?.chain ?? ""}: the Service has no ${tag.local ? "local " : ""}endpoints${r.verdict === "reject" ? " (ICMP port unreachable to the client)" : ""}`
        : `${what} by ${o?.table ?? ""} ${o?.chain ?? ""}`;
    this.end({ verdict: "DROPPED", reason, detail, ...(o ? { object: o } : {}) }, pkt, "DROPPED", decider);
    return false;
  }

  /** A hook, then the rest of the walk when it accepts (a fork point). */
  protected hookThen(
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

  /**
   * One hook's chains. `nat` false: the nat chains do not run, the connection's destination
   * NAT being set up already (nf_nat_inet_fn runs the nat table only while a manip type is
   * uninitialized), as for a packet IPVS sends on through LOCAL_OUT.
   */
  protected hook(
    ns: NetNs,
    inf: NsInfo,
    hook: Hook,
    pkt: Pkt,
    st: { state: CtState; e: CtEntry | null; reply: boolean },
    io: Io,
    nat = true,
  ): boolean {
    if (!this.tracked(ns)) return true;
    const env = this.env(ns, inf, pkt, st, io);
    const r = runHook(ns, hook, env, nat && st.state === "NEW", undefined, undefined, this.cur!.steps, inf, this.c);
    if (nat && st.e) st.e.dnat = st.e.dnat || env.ctDnat;
    return this.hookVerdict(r, pkt);
  }
}

/** The netfilter view of one hook traversal (a class: cheaper than a closure bag). */
export class Env implements NfEnv {
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
    private w: WalkConntrack,
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
    return ipsetMatch(this.w.c, members, dirs, this.pkt);
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

/** ipset membership: the entry's components by shape (ip, proto:port, port, net) and the match's src/dst directions. */
export function ipsetMatch(c: CompiledIR, members: (string | number)[], dirs: string[], p: Pkt): boolean {
  const ipsetIndex = c.ipsets;
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
        const c = parsePrefix(s);
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
export const d0 = (dirs: string[]) => dirs[0];
