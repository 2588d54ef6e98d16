// Small helpers shared by the views: ages, label rendering, the clock → timestamps.

import type { ClusterState } from "../control/state.js";
import type { Labels } from "../manifest/types.js";
import { humanDuration } from "./duration.js";

/** Options every view accepts. Views are pure: anything from the host comes in here. */
export interface ViewOptions {
  /** Wall-clock time of state.clock = 0 (ms since epoch); used for creationTimestamp. */
  startTime?: number;
  /** Node system info shown by `get nodes -o wide` / `describe node`. */
  nodeInfo?: Partial<NodeInfo>;
  /** Node capacity (cpu, memory …) when the state does not carry it: the host's, as kind's. */
}

/** The earliest creation among pods (0 with none); a loop, as a spread of one argument per
 *  pod overflows the stack past ~120,000 (a Deployment of a threshold-size cluster). */
export function earliest(pods: readonly { created: number }[]): number {
  if (!pods.length) return 0;
  let t = pods[0].created;
  for (const p of pods) if (p.created < t) t = p.created;
  return t;
}

export interface NodeInfo {
  kubeletVersion: string;
  osImage: string;
  kernelVersion: string;
  containerRuntimeVersion: string;
  architecture: string;
  operatingSystem: string;
}

// What a kind v0.24 node (kindest/node:v1.31.0) reports.
export const DEFAULT_NODE_INFO: NodeInfo = {
  kubeletVersion: "v1.31.0",
  osImage: "Debian GNU/Linux 12 (bookworm)",
  kernelVersion: "6.1.0-podnet",
  containerRuntimeVersion: "containerd://1.7.18",
  architecture: "amd64",
  operatingSystem: "linux",
};

/** A fixed start so that the same state prints the same timestamps. */
export const DEFAULT_START_TIME = Date.UTC(2026, 0, 1, 0, 0, 0);

export function nodeInfo(opts: ViewOptions = {}): NodeInfo {
  return { ...DEFAULT_NODE_INFO, ...(opts.nodeInfo ?? {}) };
}

/** The state's clock counts seconds since the cluster started. Objects without a
 *  creation time (nodes, namespaces, policies) are as old as the cluster. */
export function age(state: ClusterState, created: number | undefined): string {
  return humanDuration(state.clock - (created ?? 0));
}

/** RFC 3339 creationTimestamp for an object created at clock tick `created`. */
export function timestamp(opts: ViewOptions, created: number | undefined): string {
  const ms = (opts.startTime ?? DEFAULT_START_TIME) + (created ?? 0) * 1000;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** kubectl describe's time format (RFC 1123Z): "Mon, 02 Jan 2006 15:04:05 +0000". */
export function rfc1123z(opts: ViewOptions, created: number | undefined): string {
  return rfc1123zAt((opts.startTime ?? DEFAULT_START_TIME) + (created ?? 0) * 1000);
}

/** rfc1123z of a time in ms since the epoch (a timestamp a dump gives). */
export function rfc1123zAt(ms: number): string {
  const d = new Date(ms);
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const p = (n: number) => String(n).padStart(2, "0");
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** labels.FormatLabels: keys sorted, "k=v,k2=v2", `<none>` when empty. */
export function formatLabels(labels: Labels | null | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return "<none>";
  return keys.map((k) => `${k}=${labels![k]}`).join(",");
}

/** A comparator by a string key in Go's order (bytes; code units here), as kubectl's sorts compare. */
export function byKey<T>(key: (x: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
}

export function byNsName<T extends { namespace: string; name: string }>(a: T, b: T): number {
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Split a KEvent's object reference "kind/ns/name" (or "kind/name" for cluster-scoped). */
export function parseEventObject(ref: string): { kind: string; namespace: string; name: string } {
  const parts = ref.split("/");
  if (parts.length >= 3) return { kind: parts[0], namespace: parts[1], name: parts.slice(2).join("/") };
  if (parts.length === 2) return { kind: parts[0], namespace: "default", name: parts[1] };
  return { kind: "", namespace: "default", name: ref };
}
