// Names of everything podnet creates in the kernel, and the guard that keeps every
// command away from the root network namespace.
//
// Namespace names: `podnet-<cluster>.<kind>[.<name>]`, e.g. `podnet-demo.underlay`,
// `podnet-demo.node.worker-1`, `podnet-demo.pod.default.user-app-7d4b8c6f5-abc12`.
// The cluster name is a DNS label (no dots), so the first "." ends it: the prefix
// `podnet-demo.` can never match a namespace of another cluster (with "-" as the
// separator, cluster "a" would also own "podnet-a-b-node-x" of cluster "a-b").

import { createHash } from "node:crypto";

export const NS_PREFIX = "podnet-";
/** Where each cluster's state lives (what was created, PIDs, the inputs). */
export const STATE_ROOT = "/run/podnet";
/** `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf. */
export const ETC_NETNS = "/etc/netns";

/** netns names are file names under /run/netns: NAME_MAX is 255; stay well below. */
const MAX_NS_NAME = 200;

const CLUSTER_RE = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;

export function validateClusterName(name: string): string {
  if (!CLUSTER_RE.test(name)) {
    throw new Error(
      `invalid cluster name "${name}": must be a DNS label of at most 40 characters (lower-case letters, digits, "-"; no dots)`,
    );
  }
  return name;
}

export function clusterPrefix(cluster: string): string {
  return `${NS_PREFIX}${validateClusterName(cluster)}.`;
}

function sanitize(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, "_");
}

/**
 * The kernel namespace name of an IR namespace id ("underlay", "node/worker-1",
 * "pod/default/web-0"). Long names are cut and suffixed with a hash so that two
 * different ids never collide.
 */
export function nsName(cluster: string, irId: string): string {
  const parts = irId.split("/");
  const kind = sanitize(parts[0]);
  const rest = parts.slice(1).map(sanitize).join(".");
  let name = clusterPrefix(cluster) + kind + (rest ? "." + rest : "");
  if (name.length > MAX_NS_NAME) {
    const h = createHash("sha256").update(irId).digest("hex").slice(0, 12);
    name = name.slice(0, MAX_NS_NAME - 13) + "~" + h;
  }
  return name;
}

/**
 * A part of a file name made from a manifest's name (a node's, a pod's: up to 253
 * characters), at most `max` characters: a longer one is cut and suffixed with a hash, so
 * two names never collide. File names may have 255 bytes (NAME_MAX) and a unix socket's
 * path 107 (sun_path); names that fit are unchanged.
 */
export function shortName(part: string, max: number): string {
  if (part.length <= max) return part;
  const h = createHash("sha256").update(part).digest("hex").slice(0, 12);
  return part.slice(0, max - 13) + "~" + h;
}

/** The cluster a podnet namespace belongs to, or null for a name podnet did not make. */
export function clusterOfNs(ns: string): string | null {
  if (!ns.startsWith(NS_PREFIX)) return null;
  const dot = ns.indexOf(".", NS_PREFIX.length);
  if (dot < 0) return null;
  const c = ns.slice(NS_PREFIX.length, dot);
  return CLUSTER_RE.test(c) ? c : null;
}

export function isPodnetNs(ns: string): boolean {
  return clusterOfNs(ns) !== null && !ns.includes("/") && ns.length <= 255;
}

/** Interface names: IFNAMSIZ is 16 including the NUL. */
export function validIfName(name: string): boolean {
  return name.length > 0 && name.length <= 15 && !/[\s/:]/.test(name) && name !== "." && name !== "..";
}

export function stateDir(cluster: string): string {
  return `${STATE_ROOT}/${validateClusterName(cluster)}`;
}

// ---------------------------------------------------------------------------
// The guard: every command podnet runs goes through here first.

export class SafetyError extends Error {}

/** Tools that address a namespace with `-n NS` / `-netns NS`. */
const NS_FLAG_TOOLS = new Set(["ip", "bridge"]);

/**
 * Reject any command that could touch the root network namespace. Allowed shapes:
 *   ip -n <podnet-ns> …            bridge -n <podnet-ns> …
 *   ip netns add|del|delete|pids <podnet-ns>
 *   ip netns exec <podnet-ns> …     (iptables-restore, nft -f, sysctl, sh, curl … run inside)
 *   ip netns list                  (read-only)
 *   ip -batch - (root)             only with lines `netns add|del <podnet-ns>`
 *   mount --bind /run/netns/<podnet-ns> /run/netns/<podnet-ns>
 *                                  a second name for a podnet namespace (a hostNetwork
 *                                  pod's alias of its node's namespace, hostnet.ts)
 * Also checks that veth peers are only moved into podnet namespaces.
 */
export function guardCommand(argv: string[], input = ""): void {
  const bad = (why: string) => new SafetyError(`refusing to run "${argv.join(" ")}": ${why}`);
  if (argv.length === 0) throw bad("empty command");
  const tool = argv[0].split("/").pop()!;
  // `ip -batch -` without -n runs in the root namespace: only namespace creation/removal.
  if (tool === "ip" && argv.length === 3 && argv[1] === "-batch" && argv[2] === "-") {
    for (const line of input.split("\n")) {
      const w = line.trim().split(/\s+/);
      if (!line.trim()) continue;
      if (w.length !== 3 || w[0] !== "netns" || !["add", "del", "delete"].includes(w[1]) || !isPodnetNs(w[2]))
        throw bad(`batch line "${line}": a root batch may only add or delete podnet namespaces`);
    }
    return;
  }
  if (tool === "mount" && argv[1] === "-t") {
    if (argv.length === 5 && argv[2] === "bpf" && argv[3] === "bpf" && isBpfRoot(argv[4])) return;
    throw bad("mount -t may only mount a bpffs at a cluster's /run/podnet/<cluster>/bpf");
  }
  if (tool === "umount") {
    if (argv.length === 2 && isBpfRoot(argv[1])) return;
    throw bad("umount may only unmount a cluster's bpffs (/run/podnet/<cluster>/bpf)");
  }
  if (tool === "bpftool") return guardBpftool(argv, input, bad);
  if (tool === "mount") {
    const ns = (p: string | undefined) => (p?.startsWith("/run/netns/") ? p.slice("/run/netns/".length) : "");
    if (argv.length === 4 && argv[1] === "--bind" && isPodnetNs(ns(argv[2])) && isPodnetNs(ns(argv[3]))) return;
    throw bad("mount may only bind one podnet namespace's /run/netns file onto another's");
  }
  if (tool === "ip" && argv[1] === "netns") {
    const sub = argv[2];
    if (sub === "list" || sub === "ls") return;
    if (sub === "add" || sub === "del" || sub === "delete" || sub === "pids" || sub === "exec") {
      const ns = argv[3];
      if (!ns || !isPodnetNs(ns)) throw bad(`"${ns ?? ""}" is not a podnet namespace`);
      if (sub === "exec" && argv.length < 5) throw bad("nothing to execute");
      return;
    }
    throw bad(`"ip netns ${sub ?? ""}" is not allowed`);
  }
  if (NS_FLAG_TOOLS.has(tool)) {
    const i = argv.findIndex((a) => a === "-n" || a === "-netns" || a === "--netns");
    if (i !== 1 || !argv[2] || !isPodnetNs(argv[2])) throw bad("it lacks a podnet namespace target (-n podnet-…)");
    // `ip -n X link … netns Y`: Y must be podnet's too (never move a link into the root ns).
    for (let j = 3; j < argv.length - 1; j++) {
      if (argv[j] === "netns" && !isPodnetNs(argv[j + 1]))
        throw bad(`target "${argv[j + 1]}" is not a podnet namespace`);
    }
    if (argv.includes("-batch") || argv.includes("-b"))
      for (const l of input.split("\n")) if (l.trim()) guardBatchLine(l);
    return;
  }
  throw bad("only ip/bridge with -n <podnet namespace> or ip netns exec <podnet namespace> may run");
}

/** /run/podnet/<cluster>/bpf: where a Cilium cluster's bpffs is mounted. */
function isBpfRoot(p: string): boolean {
  const m = /^\/run\/podnet\/([^/]+)\/bpf$/.exec(p);
  return !!m && CLUSTER_RE.test(m[1]);
}

/** A path under a cluster's bpffs (pinned programs and maps). */
function isBpfPath(p: string): boolean {
  const m = /^(\/run\/podnet\/[^/]+\/bpf)(\/[A-Za-z0-9_.-]+)+$/.exec(p);
  return !!m && isBpfRoot(m[1]) && !p.split("/").includes("..") && !p.split("/").includes(".");
}

/**
 * bpftool: loading podnet's objects with their programs and maps pinned in a cluster's
 * bpffs, and reading or writing those pinned maps. Loading attaches nothing: programs are
 * attached with tc inside podnet namespaces (`ip netns exec … tc`).
 *   bpftool prog loadall …/bpf_{lxc,overlay,host}.o <bpffs path> type classifier
 *           [pinmaps <bpffs path>] [map name NAME pinned <bpffs path>]…
 *   bpftool -j map dump pinned <bpffs path>
 *   bpftool batch file -   with lines `map update|delete pinned <bpffs path> key hex … [value hex …]`
 */
function guardBpftool(argv: string[], input: string, bad: (why: string) => SafetyError): void {
  const a = argv.slice(1);
  if (a[0] === "prog" && a[1] === "loadall") {
    if (
      !/\/bpf_(lxc|overlay|host)\.o$/.test(a[2] ?? "") ||
      !isBpfPath(a[3] ?? "") ||
      a[4] !== "type" ||
      a[5] !== "classifier"
    )
      throw bad("bpftool prog loadall: only podnet's objects, pinned in a cluster's bpffs, as classifiers");
    for (let i = 6; i < a.length; ) {
      if (a[i] === "pinmaps" && isBpfPath(a[i + 1] ?? "")) i += 2;
      else if (
        a[i] === "map" &&
        a[i + 1] === "name" &&
        /^\w+$/.test(a[i + 2] ?? "") &&
        a[i + 3] === "pinned" &&
        isBpfPath(a[i + 4] ?? "")
      )
        i += 5;
      else throw bad(`bpftool argument "${a[i]}" not allowed`);
    }
    return;
  }
  if (a.length === 5 && a[0] === "-j" && a[1] === "map" && a[2] === "dump" && a[3] === "pinned" && isBpfPath(a[4]))
    return;
  if (a.length === 3 && a[0] === "batch" && a[1] === "file" && a[2] === "-") {
    for (const line of input.split("\n")) {
      if (!line.trim()) continue;
      const w = line.trim().split(/\s+/);
      const bytes = (from: number, to: number) => w.slice(from, to).every((x) => /^[0-9a-f]{2}$/.test(x));
      const vi = w.indexOf("value");
      const ok =
        w[0] === "map" &&
        w[2] === "pinned" &&
        isBpfPath(w[3] ?? "") &&
        w[4] === "key" &&
        w[5] === "hex" &&
        ((w[1] === "update" && vi > 6 && w[vi + 1] === "hex" && bytes(6, vi) && bytes(vi + 2, w.length)) ||
          (w[1] === "delete" && vi === -1 && bytes(6, w.length)));
      if (!ok) throw bad(`batch line "${line.slice(0, 120)}": only map update/delete of a cluster's pinned maps`);
    }
    return;
  }
  throw bad("bpftool may only load podnet's objects and read or write a cluster's pinned maps");
}

/** A line fed to `ip -n NS -batch -`: it may not redirect to another namespace except a podnet one. */
export function guardBatchLine(line: string): void {
  const w = line.trim().split(/\s+/);
  if (w[0] === "netns" || w.includes("-n") || w.includes("-netns"))
    throw new SafetyError(`refusing batch line "${line}": no namespace switching inside a batch`);
  for (let j = 0; j < w.length - 1; j++) {
    if (w[j] === "netns" && !isPodnetNs(w[j + 1]))
      throw new SafetyError(`refusing batch line "${line}": "${w[j + 1]}" is not a podnet namespace`);
  }
}
