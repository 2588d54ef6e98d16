// The EndpointSlice controller's zone hints for `service.kubernetes.io/topology-mode: Auto`
// (kubernetes staging/src/k8s.io/endpointslice/topologycache, v1.31: topologycache.go SetNodes,
// getAllocations, AddHints; utils.go getGivingAndReceivingZones, getMost, redistributeHints):
//  - each zone's share of the cluster's allocatable CPU, over the Ready nodes that are not
//    control-plane (or master) nodes; a node without a zone or CPU stops it all;
//  - a zone is allotted ratio × ready endpoints, at least ceil(desired / 1.2) (the overload
//    threshold, 20 %); fewer endpoints than zones, or minimums over the total, stop it;
//  - every ready endpoint first serves its own zone (one without a zone stops it all); then
//    zones with more than their share give endpoints, one at a time, to the zones with the
//    largest shortfall, while both differ by 0.5 or more.
// Go walks maps in random order where two zones tie or several receive; podnet takes zones in
// name order, so one input always gives the same hints.
import type { Endpoint } from "../manifest/types.js";
import type { NodeState } from "./state.js";

const ZONE = "topology.kubernetes.io/zone";
/** overloadThreshold: the most an endpoint should be overloaded, 20 %. */
const OVERLOAD = 0.2;
/** A node's allocatable CPU when the state has none (kubelet.ts: a kind node reports 8 CPUs). */
const FALLBACK_MILLICPU = 8000;

/** Why no hints were allotted (podnet's words for the controller's reasons). */
export type NoHints = "node-info" | "one-zone" | "too-few-endpoints" | "minimums-over-total" | "endpoint-without-zone";

export const NO_HINTS_TEXT: Record<NoHints, string> = {
  "node-info": "a Ready node that is not a control-plane node has no zone label or no allocatable CPU",
  "one-zone": "the Ready nodes are all in one zone",
  "too-few-endpoints": "there are fewer ready endpoints than zones",
  "minimums-over-total": "each zone's minimum share of endpoints adds up to more than there are",
  "endpoint-without-zone": "a ready endpoint has no zone",
};

const ready = (n: NodeState): boolean => {
  const c = n.observed?.conditions?.find((x) => x?.type === "Ready");
  return !c || String(c.status) === "True";
};

/** SetNodes: each zone's share of the allocatable CPU, or why there is none. */
export function cpuRatiosByZone(nodes: readonly NodeState[]): Map<string, number> | NoHints {
  const byZone = new Map<string, number>();
  let total = 0;
  for (const n of nodes) {
    // hasExcludedLabels
    if ("node-role.kubernetes.io/control-plane" in n.labels || "node-role.kubernetes.io/master" in n.labels) continue;
    if (!ready(n)) continue;
    const zone = n.labels[ZONE];
    const cpu = n.allocatable?.cpu ?? FALLBACK_MILLICPU;
    if (!zone || !(cpu > 0)) return "node-info";
    byZone.set(zone, (byZone.get(zone) ?? 0) + cpu);
    total += cpu;
  }
  if (total === 0) return "node-info";
  const out = new Map<string, number>();
  for (const z of [...byZone.keys()].sort()) out.set(z, byZone.get(z)! / total);
  return out;
}

interface Allocation {
  minimum: number;
  desired: number;
}

/** getAllocations: each zone's share of `n` ready endpoints, or why there is none. */
function allocations(ratios: Map<string, number>, n: number): Map<string, Allocation> | NoHints {
  if (ratios.size < 2) return "one-zone";
  if (ratios.size > n) return "too-few-endpoints";
  let remaining = n;
  const out = new Map<string, Allocation>();
  for (const [zone, ratio] of ratios) {
    const desired = ratio * n;
    const minimum = Math.ceil(desired * (1 / (1 + OVERLOAD)));
    out.set(zone, { minimum, desired: Math.max(desired, minimum) });
    remaining -= minimum;
    if (remaining < 0) return "minimums-over-total";
  }
  return out;
}

/** The zone with the largest value (the first in name order of equals), and the value. */
function most(m: Map<string, number>): [string, number] {
  let zone = "";
  let num = 0;
  for (const [z, v] of m)
    if (v > num) {
      zone = z;
      num = v;
    }
  return [zone, num];
}

/** getGivingAndReceivingZones: whole endpoints each zone gives or receives. */
function givingAndReceiving(
  alloc: Map<string, Allocation>,
  allotted: Map<string, number>,
): [Map<string, number>, Map<string, number>] {
  const giveWant = new Map<string, number>();
  const takeWant = new Map<string, number>();
  for (const [zone, a] of alloc) {
    const have = allotted.get(zone) ?? 0;
    if (have > a.desired) giveWant.set(zone, have - a.desired);
    else if (have < a.desired) takeWant.set(zone, a.desired - have);
  }
  const giving = new Map<string, number>();
  const receiving = new Map<string, number>();
  for (;;) {
    const [gz, give] = most(giveWant);
    const [rz, take] = most(takeWant);
    if (gz === "" || rz === "" || (give < 1 && take < 1) || give < 0.5 || take < 0.5) break;
    giving.set(gz, (giving.get(gz) ?? 0) + 1);
    giveWant.set(gz, give - 1);
    receiving.set(rz, (receiving.get(rz) ?? 0) + 1);
    takeWant.set(rz, take - 1);
  }
  return [giving, receiving];
}

/**
 * AddHints over a Service's endpoints (its slices' order): the zone each ready endpoint is
 * hinted for, or why there are no hints.
 */
export function autoZoneHints(
  ratios: Map<string, number> | NoHints,
  endpoints: readonly Endpoint[],
): Map<Endpoint, string> | NoHints {
  if (typeof ratios === "string") return ratios;
  const readyEps = endpoints.filter((e) => e.conditions.ready !== false);
  const alloc = allocations(ratios, readyEps.length);
  if (typeof alloc === "string") return alloc;
  const out = new Map<Endpoint, string>();
  const allotted = new Map<string, number>();
  for (const e of readyEps) {
    if (!e.zone) return "endpoint-without-zone";
    out.set(e, e.zone);
    allotted.set(e.zone, (allotted.get(e.zone) ?? 0) + 1);
  }
  const [giving, receiving] = givingAndReceiving(alloc, allotted);
  // redistributeHints: the endpoints in order, each of a giving zone to a receiving one.
  for (const e of readyEps) {
    if (giving.size === 0 || receiving.size === 0) break;
    const g = giving.get(e.zone!);
    if (!g) continue;
    for (const rz of [...receiving.keys()].sort()) {
      const r = receiving.get(rz)!;
      if (r <= 0) continue;
      out.set(e, rz);
      if (g === 1) giving.delete(e.zone!);
      else giving.set(e.zone!, g - 1);
      if (r === 1) receiving.delete(rz);
      else receiving.set(rz, r - 1);
      break;
    }
  }
  return out;
}
