// A node's whole BPF map from its shared and own parts (BpfNodeMap in types.ts): what
// `cilium-dbg bpf … list` prints and what the kernel's map holds. The walk reads the parts
// directly (an index of the cluster part once, then the node's few own entries).

import type { BpfIpcacheEntry, BpfLbService, BpfNodeMap, BpfRevNat, NodeBpf } from "./types.js";

export const ipcacheKey = (e: BpfIpcacheEntry): string => e.prefix;
export const serviceKey = (s: BpfLbService): string => `${s.address}:${s.port}/${s.protocol}`;
export const revNatKey = (r: BpfRevNat): string => String(r.id);

/** The node's entries: `cluster` in order with the node's replacements, less `omit`, then the node's new ones. */
export function nodeEntries<T>(m: BpfNodeMap<T>, key: (e: T) => string): T[] {
  if (m.local.length === 0 && !m.omit?.length) return m.cluster.slice();
  const own = new Map<string, T>();
  for (const e of m.local) own.set(key(e), e);
  const omit = new Set(m.omit ?? []);
  const out: T[] = [];
  const used = new Set<string>();
  for (const e of m.cluster) {
    const k = key(e);
    if (omit.has(k)) continue;
    const o = own.get(k);
    if (o !== undefined) used.add(k);
    out.push(o ?? e);
  }
  for (const [k, e] of own) if (!used.has(k)) out.push(e);
  return out;
}

export const ipcacheList = (b: NodeBpf): BpfIpcacheEntry[] => nodeEntries(b.ipcache, ipcacheKey);
export const serviceList = (b: NodeBpf): BpfLbService[] => nodeEntries(b.services, serviceKey);
export const revNatList = (b: NodeBpf): BpfRevNat[] => nodeEntries(b.revNat, revNatKey);
