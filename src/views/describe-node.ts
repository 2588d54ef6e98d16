// The parts of `kubectl describe node` that a Node read from a live cluster says itself
// (kubernetes/kubectl pkg/describe/describe.go describeNode): its Lease, Conditions,
// capacity and allocatable as given, the full System Info, ProviderID.

import type { ClusterState, NodeState } from "../control/state.js";
import type { KubeObject } from "../manifest/types.js";
import { inFull } from "../manifest/documents.js";
import { rfc1123zAt } from "./common.js";
import { givenAs } from "./objects.js";

type Raw = Record<string, unknown>;
const L1 = "  ";
const isRaw = (v: unknown): v is Raw => typeof v === "object" && v !== null && !Array.isArray(v);
const text = (v: unknown): string => (v === undefined || v === null || isRaw(v) || Array.isArray(v) ? "" : String(v));

/** Go's time.Time.Format(time.RFC1123Z); a missing time is Go's zero time. */
export function goTime(t: unknown): string {
  const ms = typeof t === "string" ? Date.parse(t) : Number.NaN;
  return Number.isNaN(ms) ? "Mon, 01 Jan 0001 00:00:00 +0000" : rfc1123zAt(ms);
}

/** The Node object as the cluster returned it (read whole), for a node read from one. */
export function givenNode(state: ClusterState, n: NodeState): KubeObject | undefined {
  if (!n.observed) return undefined;
  const o = givenAs(state, "Node", undefined, n.name);
  return o ? inFull(o) : undefined;
}

export const nodeSpec = (o: KubeObject): Raw => (isRaw(o.spec) ? o.spec : {});
export const nodeStatus = (o: KubeObject): Raw => (isRaw(o.status) ? o.status : {});

/** A ResourceList as given: quantities as the API server serialized them (canonical). */
export function givenResources(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRaw(v)) for (const [k, q] of Object.entries(v)) out[k] = text(q);
  return out;
}

/** describe.go: "Lease:" from kube-node-lease/<node> when the input has it. */
export function leaseText(state: ClusterState, name: string): string {
  const lease = givenAs(state, "Lease", "kube-node-lease", name);
  if (!lease) return "";
  const spec = isRaw(lease.spec) ? lease.spec : {};
  const at = (t: unknown) => (typeof t === "string" ? goTime(t) : "<unset>");
  let b = "Lease:\n";
  b += `${L1}HolderIdentity:\t${typeof spec.holderIdentity === "string" ? spec.holderIdentity : "<unset>"}\n`;
  b += `${L1}AcquireTime:\t${at(spec.acquireTime)}\n`;
  b += `${L1}RenewTime:\t${at(spec.renewTime)}\n`;
  return b;
}

/** describe.go: the Conditions table, each cell but the last followed by a space. */
export function conditionsText(status: Raw): string {
  const cs = Array.isArray(status.conditions) ? status.conditions.filter(isRaw) : [];
  if (cs.length === 0) return "";
  let b = "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n";
  b += `${L1}----\t------\t-----------------\t------------------\t------\t-------\n`;
  for (const c of cs)
    b += `${L1}${text(c.type)} \t${text(c.status)} \t${goTime(c.lastHeartbeatTime)} \t${goTime(c.lastTransitionTime)} \t${text(c.reason)} \t${text(c.message)}\n`;
  return b;
}
