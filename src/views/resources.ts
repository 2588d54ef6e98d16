// Resource quantities, requests and limits as the API server and kubectl compute them:
// quantity parsing and canonical printing (k8s.io/apimachinery pkg/api/resource
// quantity.go), requests defaulted from limits (kubernetes pkg/apis/core/v1/defaults.go
// SetDefaults_Pod), the pod's effective requests/limits (k8s.io/component-helpers
// resource/helpers.go PodRequests/PodLimits: containers summed, init containers as a
// maximum) and the QoS class (kubernetes pkg/apis/core/v1/helper/qos/qos.go).

import type { NodeState, PodState } from "../control/state.js";
import { parseQuantity as quantityValue, quantityFormat } from "../manifest/quantity.js";

/** A parsed quantity: the value in base units and the format String() prints it in. */
export interface Quantity {
  value: number;
  format: "DecimalSI" | "BinarySI" | "DecimalExponent";
}

const BIN: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };

/** resource.ParseQuantity: "250m", "1.5", "128Mi", "1e3", "2G"; undefined when malformed. */
export function parseQuantity(v: unknown): Quantity | undefined {
  const value = quantityValue(v);
  const format = quantityFormat(v);
  return value === undefined || !format ? undefined : { value, format };
}

/** Quantity.String() in canonical form: the largest suffix that keeps an integer
 *  mantissa (BinarySI below 1024 and fractions print decimally, milli-units as "m"). */
export function formatQuantity(q: Quantity): string {
  const v = q.value;
  if (v === 0) return "0";
  const milli = Math.round(v * 1000);
  if (milli % 1000 !== 0) return `${milli}m`;
  const whole = milli / 1000;
  if (q.format === "BinarySI" && Math.abs(whole) >= 1024) {
    for (const s of ["Ei", "Pi", "Ti", "Gi", "Mi", "Ki"]) if (whole % BIN[s] === 0) return `${whole / BIN[s]}${s}`;
    return String(whole);
  }
  const suffixes: [string, number][] =
    q.format === "DecimalExponent"
      ? [
          ["e18", 1e18],
          ["e15", 1e15],
          ["e12", 1e12],
          ["e9", 1e9],
          ["e6", 1e6],
          ["e3", 1e3],
        ]
      : [
          ["E", 1e18],
          ["P", 1e15],
          ["T", 1e12],
          ["G", 1e9],
          ["M", 1e6],
          ["k", 1e3],
        ];
  for (const [s, f] of suffixes) if (whole % f === 0) return `${whole / f}${s}`;
  return String(whole);
}

export type ResourceList = Record<string, Quantity>;
type RawResources = { limits?: Record<string, unknown>; requests?: Record<string, unknown> };
type AnyContainer = { name?: string; resources?: RawResources; restartPolicy?: string };

function parseList(l: Record<string, unknown> | undefined): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(l ?? {})) {
    const q = parseQuantity(v);
    if (q) out[k] = q;
  }
  return out;
}

/** A container's limits and requests after the API server's defaulting: a resource with a
 *  limit but no request gets the limit as its request (SetDefaults_Pod). */
export function containerResources(c: AnyContainer): { limits: ResourceList; requests: ResourceList } {
  const limits = parseList(c.resources?.limits);
  const requests = parseList(c.resources?.requests);
  for (const [k, q] of Object.entries(limits)) if (!(k in requests)) requests[k] = { ...q };
  return { limits, requests };
}

/** The raw resources of a container with the defaulted requests, for -o yaml and describe. */
export function defaultedResources(c: AnyContainer): RawResources | undefined {
  const r = c.resources;
  if (!r?.limits) return r;
  const requests = { ...(r.limits ?? {}), ...(r.requests ?? {}) };
  return { ...r, requests };
}

function add(into: ResourceList, l: ResourceList): void {
  // Quantity.Add keeps the receiver's format: the first one added decides it.
  for (const [k, q] of Object.entries(l))
    into[k] = into[k] ? { value: into[k].value + q.value, format: into[k].format } : { ...q };
}

function maxInto(into: ResourceList, l: ResourceList): void {
  for (const [k, q] of Object.entries(l)) if (!into[k] || q.value > into[k].value) into[k] = { ...q };
}

/** PodRequests / PodLimits: the regular containers summed (restartable init containers,
 *  i.e. sidecars, count with them), then per resource the larger of that and each
 *  init container plus the sidecars started before it. */
export function podRequestsAndLimits(spec: { containers?: AnyContainer[]; initContainers?: AnyContainer[] }): {
  requests: ResourceList;
  limits: ResourceList;
} {
  const result = { requests: {} as ResourceList, limits: {} as ResourceList };
  for (const which of ["requests", "limits"] as const) {
    const sum: ResourceList = {};
    for (const c of spec.containers ?? []) add(sum, containerResources(c)[which]);
    const sidecars: ResourceList = {};
    const initMax: ResourceList = {};
    for (const c of spec.initContainers ?? []) {
      const r = containerResources(c)[which];
      if (c.restartPolicy === "Always") {
        add(sum, r);
        add(sidecars, r);
        maxInto(initMax, { ...sidecars });
      } else {
        const t: ResourceList = {};
        add(t, sidecars);
        add(t, r);
        maxInto(initMax, t);
      }
    }
    maxInto(sum, initMax);
    result[which] = sum;
  }
  return result;
}

/** qos.go ComputePodQOS over the defaulted pod: only cpu and memory count, init
 *  containers too; BestEffort without any non-zero request or limit; Guaranteed when
 *  every container has cpu and memory limits and the summed requests equal the limits. */
export function podQosClass(spec: { containers?: AnyContainer[]; initContainers?: AnyContainer[] }): string {
  const requests: ResourceList = {};
  const limits: ResourceList = {};
  let guaranteed = true;
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    const r = containerResources(c);
    const found = new Set<string>();
    for (const [k, q] of Object.entries(r.requests))
      if ((k === "cpu" || k === "memory") && q.value > 0) add(requests, { [k]: q });
    for (const [k, q] of Object.entries(r.limits))
      if ((k === "cpu" || k === "memory") && q.value > 0) {
        found.add(k);
        add(limits, { [k]: q });
      }
    if (!found.has("cpu") || !found.has("memory")) guaranteed = false;
  }
  const rk = Object.keys(requests);
  if (rk.length === 0 && Object.keys(limits).length === 0) return "BestEffort";
  if (guaranteed)
    for (const k of rk)
      if (!limits[k] || Math.abs(limits[k].value - requests[k].value) > 1e-9 * Math.max(1, requests[k].value)) {
        guaranteed = false;
        break;
      }
  return guaranteed && rk.length === Object.keys(limits).length ? "Guaranteed" : "Burstable";
}

/** The pod's QoS class: status.qosClass when the pod was read with one, else computed. */
export function qosOf(p: PodState): string {
  const given = (p.status as { qosClass?: unknown } | undefined)?.qosClass;
  return typeof given === "string" && given ? given : podQosClass(p.spec as never);
}

// What a kind node reports when the host says nothing else: kind reserves nothing, so
// allocatable = capacity (kubernetes-sigs/kind pkg/cluster/internal/kubeadm/config.go).
export const DEFAULT_NODE_CAPACITY: Record<string, string> = {
  cpu: "8",
  "ephemeral-storage": "100Gi",
  "hugepages-1Gi": "0",
  "hugepages-2Mi": "0",
  memory: "16Gi",
};

/** A CPU amount in millicores as a Node's status prints it ("8", "1500m"). */
const cpuText = (m: number) => (m % 1000 === 0 ? String(m / 1000) : `${m}m`);
/** Memory in bytes as kubelet reports it (Ki), or in bytes when it is not whole Ki. */
const memText = (b: number) => (b % 1024 === 0 ? `${b / 1024}Ki` : String(b));

/** The node's capacity and allocatable (strings as the Node object holds them): what the
 *  scheduler works with (NodeState, from the cluster config or a dump's Node status; a
 *  kind-like default without either), pods from maxPods. */
export function nodeResources(n: NodeState): { capacity: Record<string, string>; allocatable: Record<string, string> } {
  const pods = String(n.maxPods);
  const fmt = (r: { cpu: number; memory: number } | undefined): Record<string, string> =>
    r
      ? { ...DEFAULT_NODE_CAPACITY, cpu: cpuText(r.cpu), memory: memText(r.memory), pods }
      : { ...DEFAULT_NODE_CAPACITY, pods };
  const capacity = fmt(n.capacity ?? n.allocatable);
  return { capacity, allocatable: n.allocatable ? fmt(n.allocatable) : { ...capacity } };
}
