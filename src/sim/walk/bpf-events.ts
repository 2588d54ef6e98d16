// Cilium's walk, its first layer (bpf.ts holds the programs on top): the conntrack map
// (cilium_ct4_global), the program's steps and drops, Hubble's events on them (trace, drop
// and policy-verdict notifications, bpf/lib/trace.h, drop.h, policy_log.h), and the policy
// map's decision. Modelled on cilium/cilium bpf/.

import type { BpfEndpoint, NetNs, NodeBpf } from "../../ir/types.js";
import type { BpfCtEntry } from "../../ir/render-bpf.js";
import { viewOf, type Pkt } from "../packet.js";
import type { NsInfo } from "../topology.js";
import { dropReasonCode } from "../drop-reasons.js";
import type {
  DropReason,
  HubbleEndpoint,
  StepAction,
  StepHubble,
  StepObject,
  TraceObservationPoint,
} from "../trace.js";
import { WalkDeliver } from "./deliver.js";
import { ID_WORLD, lookupIpcache, policyMatch, policyText, type BpfIndex } from "./bpf-maps.js";

// Hubble's events (pkg/monitor/api/types.go): MessageType and the trace sub_type per
// observation point (TraceToLxc 0 … TraceToNetwork 11).
const MSG_DROP = 1;
const MSG_TRACE = 4;
const MSG_POLICY_VERDICT = 5;
const TRACE_SUB: Record<TraceObservationPoint, number> = {
  TO_ENDPOINT: 0,
  TO_HOST: 2,
  TO_STACK: 3,
  TO_OVERLAY: 4,
  FROM_ENDPOINT: 5,
  FROM_HOST: 7,
  FROM_STACK: 8,
  FROM_OVERLAY: 9,
  FROM_NETWORK: 10,
  TO_NETWORK: 11,
};

const ctKey = (dir: string, proto: string, src: number, sport: number, dst: number, dport: number) =>
  `${dir} ${proto} ${src}:${sport} ${dst}:${dport}`;

export abstract class WalkBpfEvents extends WalkDeliver {
  /** cilium_ct4_global per node namespace id (made on first use: flavors without BPF never pay). */
  protected bpfCt: Map<string, Map<string, BpfCtEntry>> | null = null;

  protected ctMap(ns: NetNs): Map<string, BpfCtEntry> {
    if (!this.bpfCt) this.bpfCt = new Map();
    let m = this.bpfCt.get(ns.id);
    if (!m) this.bpfCt.set(ns.id, (m = new Map()));
    return m;
  }

  /** `src`/`dst`: the entry's addresses as numbers (the packet's: no parse of e's strings). */
  protected ctPut(ns: NetNs, e: BpfCtEntry, src: number, dst: number): void {
    const m = this.ctMap(ns);
    const k = ctKey(e.dir, e.proto, src, e.sport, dst, e.dport);
    if (m.has(k)) return;
    m.set(k, e);
    this.log(() => m.delete(k));
  }

  /** The entry this packet is the reply of (its tuple reversed), OUT entries first. */
  protected ctReply(ns: NetNs, pkt: Pkt): BpfCtEntry | undefined {
    const m = this.bpfCt?.get(ns.id);
    if (!m) return undefined;
    for (const dir of ["OUT", "IN"]) {
      const e = m.get(ctKey(dir, pkt.proto, pkt.dst, pkt.dport, pkt.src, pkt.sport));
      if (e) return e;
    }
    return undefined;
  }

  protected bpfStep(prog: string, detail: string, pkt: Pkt, text?: string): void {
    this.step("BPF", `${prog}: ${detail}`, pkt, text ? { kind: "bpf", text } : undefined);
  }

  /** A drop by a program; `h` (a drop event, see dropEv) goes on the step, as Hubble's drop notification. */
  protected bpfDrop(reason: DropReason, prog: string, detail: string, pkt: Pkt, text?: string, h?: StepHubble): void {
    const o: StepObject | undefined = text ? { kind: "bpf", text } : undefined;
    const before = this.cur ? this.cur.steps.length : 0;
    this.drop(reason, `${prog}: ${detail}`, pkt, o);
    if (h) this.hubbleDrop(before, h, reason);
  }

  // --- Hubble's view of the steps ------------------------------------------------------

  /** A flow end as Hubble names it: the identity, its labels, the pod when the address is one. */
  protected hEnd(x: BpfIndex, ip: number, identity: number): HubbleEndpoint {
    // One object per address and identity (read-only in the output), cluster-wide.
    const ends = x.ends;
    const hit = ends.get(ip);
    if (hit !== undefined && hit.identity === identity) return hit;
    const p = identity >= 256 ? this.topo.podByIp.get(ip) : undefined;
    const labels = x.labels.get(identity);
    let e: HubbleEndpoint;
    if (p) e = labels ? { identity, namespace: p.namespace, pod_name: p.name, labels } : { identity };
    else e = labels ? { identity, labels } : { identity };
    ends.set(ip, e);
    return e;
  }

  /** The identity the ipcache gives an address (world when none: the 0.0.0.0/0 entry). */
  protected idOf(x: BpfIndex, ip: number): number {
    const e = lookupIpcache(x, ip);
    return e ? e.identity : ID_WORLD;
  }

  protected hubble(
    inf: NsInfo,
    x: BpfIndex,
    pkt: Pkt,
    srcId: number,
    dstId: number,
    type: number,
    sub: number,
    verdict: "FORWARDED" | "DROPPED",
    point?: TraceObservationPoint,
    dir?: "INGRESS" | "EGRESS",
  ): StepHubble {
    // One literal per shape (spreads of optional fields cost a copy and a slow object per event).
    const source = this.hEnd(x, pkt.src, srcId);
    const destination = this.hEnd(x, pkt.dst, dstId);
    const node_name = inf.node!.name;
    const event_type = { type, sub_type: sub };
    if (point)
      return dir
        ? {
            verdict,
            Type: "L3_L4",
            event_type,
            trace_observation_point: point,
            traffic_direction: dir,
            source,
            destination,
            node_name,
          }
        : { verdict, Type: "L3_L4", event_type, trace_observation_point: point, source, destination, node_name };
    return dir
      ? { verdict, Type: "L3_L4", event_type, traffic_direction: dir, source, destination, node_name }
      : { verdict, Type: "L3_L4", event_type, source, destination, node_name };
  }

  /** A drop notification (its reason filled in by bpfDrop). */
  protected dropEv(inf: NsInfo, x: BpfIndex, pkt: Pkt, srcId: number, dstId: number, dir?: "INGRESS" | "EGRESS") {
    return this.hubble(inf, x, pkt, srcId, dstId, MSG_DROP, 0, "DROPPED", undefined, dir);
  }

  /** A trace event at an observation point (send_trace_notify in bpf/lib/trace.h). */
  protected traceEv(
    inf: NsInfo,
    x: BpfIndex,
    pkt: Pkt,
    point: TraceObservationPoint,
    srcId: number,
    dstId: number,
  ): StepHubble {
    return this.hubble(inf, x, pkt, srcId, dstId, MSG_TRACE, TRACE_SUB[point], "FORWARDED", point);
  }

  /** A step carrying its Hubble event (Cilium's steps only: other flavors' steps keep their shape). */
  protected hstep(
    action: StepAction,
    detail: string,
    pkt: Pkt,
    object: StepObject | undefined,
    hubble: StepHubble,
  ): void {
    this.cur!.steps.push({ action, detail, packet: viewOf(pkt), object, hubble });
  }

  /** The step `drop` just added gets the drop notification (bpf/lib/drop.h send_drop_notify). */
  protected hubbleDrop(before: number, h: StepHubble, reason: DropReason): void {
    const steps = this.cur?.steps;
    if (!steps || steps.length <= before) return;
    const code = dropReasonCode(reason);
    h.event_type.sub_type = code;
    h.drop_reason = code;
    h.drop_reason_desc = reason;
    steps[steps.length - 1].hubble = h;
  }

  /** A policy decision: true when allowed (a POLICY step), else the drop. */
  protected policy(
    inf: NsInfo,
    x: BpfIndex,
    prog: string,
    b: NodeBpf,
    ep: BpfEndpoint,
    dir: "ingress" | "egress",
    peerId: number,
    pkt: Pkt,
  ): boolean {
    const e = policyMatch(b, ep, dir, peerId, pkt);
    const who = `${dir} of ${ep.pod} (endpoint ${ep.id}, identity ${ep.identity})`;
    const l4 = pkt.proto === "icmp" ? "icmp" : `${pkt.proto}/${pkt.dport}`;
    const eg = dir === "egress";
    const src = eg ? ep.identity : peerId;
    const dst = eg ? peerId : ep.identity;
    const hdir = eg ? "EGRESS" : "INGRESS";
    const enforced = eg ? ep.egressEnforced : ep.ingressEnforced;
    if (e?.deny) {
      // A deny entry drops, enforced direction or not (bpf/lib/policy.h: DROP_POLICY_DENY,
      // "Policy denied by denylist" in pkg/monitor/api/drop.go).
      this.bpfDrop(
        "POLICY_DENY",
        prog,
        `Policy denied by denylist: ${who}: identity ${peerId} ${l4} denied by ${e.by}`,
        pkt,
        policyText(ep, e),
        this.dropEv(inf, x, pkt, src, dst, hdir),
      );
      return false;
    }
    if (e && !enforced) {
      this.step("POLICY", `${prog}: ${who}: identity ${peerId} ${l4} allowed (${e.by})`, pkt, {
        kind: "bpf",
        text: policyText(ep, e),
      });
      return true;
    }
    if (!enforced) {
      // No entry at all on a direction without enforcement: the datapath passes it.
      this.step("POLICY", `${prog}: ${who}: identity ${peerId} ${l4} allowed (no policy enforcement)`, pkt);
      return true;
    }
    if (e) {
      // A policy-verdict event, sent where the endpoint enforces policy for the direction
      // (bpf/lib/policy_log.h): Hubble's "policy-verdict:L3-L4 EGRESS ALLOWED".
      this.hstep(
        "POLICY",
        `${prog}: ${who}: identity ${peerId} ${l4} allowed (${e.by})`,
        pkt,
        { kind: "bpf", text: policyText(ep, e) },
        this.hubble(inf, x, pkt, src, dst, MSG_POLICY_VERDICT, 0, "FORWARDED", undefined, hdir),
      );
      return true;
    }
    this.bpfDrop(
      "POLICY_DENIED",
      prog,
      `Policy denied: ${who} has no entry for identity ${peerId} ${l4} (a policy isolates it)`,
      pkt,
      `cilium_policy_v2_${String(ep.id).padStart(5, "0")}: no entry for identity ${peerId} ${l4}`,
      this.dropEv(inf, x, pkt, src, dst, hdir),
    );
    return false;
  }
}
