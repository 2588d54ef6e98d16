// The flow observer's source on a Cilium node: the datapath's own trace and drop
// notifications (bpf/lib/events.h) instead of conntrack and NFLOG, as Hubble reads Cilium's
// monitor rather than netfilter. The reader (py/bpf_events_reader.c, libbpf's ring_buffer
// API) is compiled once when the observer starts; it needs a C compiler and libbpf-dev,
// which the programs' build needs too (scripts/build-bpf.mjs).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { nodeMapsDir } from "./bpf.js";
import { cCompiler, type Compiled } from "./observe-cc.js";

export function bpfEventsSource(): string {
  return fileURLToPath(new URL("../../../src/linux/py/bpf_events_reader.c", import.meta.url));
}

/** The node's pinned ring buffer, when its programs are loaded (a Cilium node); else null. */
export function bpfEventsMaps(cluster: string, node: string): string | null {
  const dir = nodeMapsDir(cluster, node);
  return existsSync(join(dir, "cilium_events")) ? dir : null;
}

/** Builds the reader as <dir>/bpf_events_reader (`dir`: podnet's own, the cluster's state dir). */
export function compileBpfEvents(dir: string): Compiled {
  const cc = cCompiler();
  if (!cc) return { path: null, error: "no C compiler (cc, gcc or clang) on PATH" };
  const out = join(dir, "bpf_events_reader");
  const r = spawnSync(cc, ["-O2", "-o", out, bpfEventsSource(), "-lbpf"], { encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0)
    return {
      path: null,
      error: `${cc} bpf_events_reader.c -lbpf (libbpf-dev): ${(r.stderr || r.error?.message || "").slice(0, 400)}`,
    };
  return { path: out };
}

let built: Compiled | undefined;

/**
 * The reader's command for a Cilium node (null for the others: they keep the conntrack and
 * NFLOG reader). Throws when the reader cannot be built: a Cilium node has no other source.
 */
export function bpfEventsReader(stateDir: string, cluster: string, node: string): string[] | null {
  const maps = bpfEventsMaps(cluster, node);
  if (!maps) return null;
  built ??= compileBpfEvents(stateDir);
  if (!built.path) throw new Error(`the BPF event reader: ${built.error}`);
  return [built.path, maps];
}
