// /etc/hosts and the hostname as kubelet gives them to a pod (pure).
//
// kubernetes/kubernetes pkg/kubelet/kubelet_pods.go:
//   - GeneratePodHostNameAndDomain: hostname = spec.hostname, else the pod's name, cut by
//     truncatePodHostnameIfNeeded to 63 characters with trailing "-" and "." trimmed; the
//     domain is "<subdomain>.<namespace>.svc.<cluster domain>" when spec.subdomain is set.
//   - managedHostsFileContent: the header, the localhost and IPv6 lines, then per pod IP
//     "<ip>\t<hostname>" or "<ip>\t<hostname>.<domain>\t<hostname>", then the HostAliases block.
//   - nodeHostsFileContent (hostNetwork): kubelet does not write the pod's own entries; it
//     copies the node's /etc/hosts under a "(host network)" header, then the HostAliases block.
//   - hostsEntriesFromHostAliases: a blank line, "# Entries added by HostAliases.", then per
//     alias "<ip>\t<name1>\t<name2>…".
// Documented with this output at
// https://kubernetes.io/docs/tasks/network/customize-hosts-file-for-pods/
import type { ClusterConfig } from "../manifest/config.js";
import type { PodSpec } from "../manifest/types.js";
import type { ClusterState, NodeState } from "./state.js";

const MANAGED_HEADER = "# Kubernetes-managed hosts file.\n";
const MANAGED_HEADER_HOST_NETWORK = "# Kubernetes-managed hosts file (host network).\n";
/** kubelet's truncatePodHostnameIfNeeded: the kernel's 64-byte hostname incl. the NUL. */
export const HOSTNAME_MAX = 63;

export interface HostAlias {
  ip: string;
  hostnames?: string[];
}

/** The part of a pod that its hosts file and hostname depend on. */
export interface HostsPod {
  namespace: string;
  name: string;
  spec: PodSpec;
  podIP: string | null;
}

/** kubelet's truncatePodHostnameIfNeeded: at most 63 characters, no trailing "-" or ".". */
export function truncateHostname(hostname: string): string {
  if (hostname.length <= HOSTNAME_MAX) return hostname;
  return hostname.slice(0, HOSTNAME_MAX).replace(/[-.]+$/, "");
}

/** kubelet's GeneratePodHostNameAndDomain: the pod's hostname and its domain ("" without a subdomain). */
export function podHostnameAndDomain(
  config: ClusterConfig,
  pod: { namespace: string; name: string; spec: PodSpec },
): { hostname: string; domain: string } {
  const hostname = truncateHostname(pod.spec.hostname || pod.name);
  const zone = config.networking.dnsDomain.replace(/\.$/, "");
  const domain = pod.spec.subdomain ? `${pod.spec.subdomain}.${pod.namespace}.svc.${zone}` : "";
  return { hostname, domain };
}

/**
 * The name `hostname` prints in the pod: its hostname, or with setHostnameAsFQDN (and a
 * subdomain) the FQDN (kubernetes/kubernetes pkg/kubelet/kuberuntime
 * kuberuntime_sandbox.go generatePodSandboxConfig; longer than 64 characters the sandbox
 * fails to start). hostNetwork pods share the node's UTS namespace: the node's name (a
 * kind node's hostname is its name).
 */
export function podUtsHostname(config: ClusterConfig, pod: HostsPod & { nodeName: string | null }): string {
  if (pod.spec.hostNetwork) return pod.nodeName ?? "";
  const { hostname, domain } = podHostnameAndDomain(config, pod);
  return pod.spec.setHostnameAsFQDN && domain ? `${hostname}.${domain}` : hostname;
}

/** hostsEntriesFromHostAliases. */
export function hostAliasesBlock(aliases: HostAlias[] | undefined): string {
  if (!aliases?.length) return "";
  let out = "\n# Entries added by HostAliases.\n";
  for (const a of aliases) out += `${a.ip}\t${(a.hostnames ?? []).join("\t")}\n`;
  return out;
}

/** managedHostsFileContent for a pod of its own network namespace. */
export function managedHostsFile(
  podIPs: string[],
  hostname: string,
  domain: string,
  aliases: HostAlias[] | undefined,
): string {
  let out = MANAGED_HEADER;
  out += "127.0.0.1\tlocalhost\n";
  out += "::1\tlocalhost ip6-localhost ip6-loopback\n";
  out += "fe00::0\tip6-localnet\n";
  out += "fe00::0\tip6-mcastprefix\n";
  out += "fe00::1\tip6-allnodes\n";
  out += "fe00::2\tip6-allrouters\n";
  for (const ip of podIPs) out += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  return out + hostAliasesBlock(aliases);
}

/**
 * A node's own /etc/hosts. podnet's nodes stand for kind's node containers, whose hosts
 * file the container runtime writes: Docker's defaults (moby libnetwork/etchosts
 * etchosts.go defaultContentIPv4/IPv6) and the container's address with its hostname (the
 * node's name).
 */
export function nodeHostsFile(node: Pick<NodeState, "name" | "address">): string {
  return (
    "127.0.0.1\tlocalhost\n" +
    "::1\tlocalhost ip6-localhost ip6-loopback\n" +
    "fe00::0\tip6-localnet\n" +
    "ff00::0\tip6-mcastprefix\n" +
    "ff02::1\tip6-allnodes\n" +
    "ff02::2\tip6-allrouters\n" +
    `${node.address}\t${node.name}\n`
  );
}

/**
 * The /etc/hosts kubelet mounts into the pod's containers, or undefined when it mounts none
 * (a pod without an IP has not started: makeMounts mounts the file only when the pod has IPs).
 * `node` is the pod's node (hostNetwork pods get its file).
 */
export function podHostsFile(
  config: ClusterConfig,
  pod: HostsPod,
  node: Pick<NodeState, "name" | "address"> | undefined,
): string | undefined {
  if (!pod.podIP) return undefined;
  const aliases = pod.spec.hostAliases;
  if (pod.spec.hostNetwork) {
    if (!node) return undefined;
    return MANAGED_HEADER_HOST_NETWORK + nodeHostsFile(node) + hostAliasesBlock(aliases);
  }
  const { hostname, domain } = podHostnameAndDomain(config, pod);
  return managedHostsFile([pod.podIP], hostname, domain, aliases);
}

/** podHostsFile for a pod of the state (its node looked up). */
export function hostsFileOf(state: ClusterState, pod: HostsPod & { nodeName: string | null }): string | undefined {
  const node = pod.nodeName ? state.nodes.find((n) => n.name === pod.nodeName) : undefined;
  return podHostsFile(state.config, pod, node);
}

/** One line of a hosts file that names the asked name. */
export interface HostsEntry {
  /** 1-based line number in the file. */
  line: number;
  text: string;
  address: string;
}

const isV4 = (a: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(a);

/**
 * The hosts-file lines that answer `name` for address type A (IPv4) or AAAA (IPv6), in
 * file order: what getaddrinfo's `files` source returns before DNS is asked (nsswitch
 * `hosts: files dns`). glibc (nss/nss_files/files-hosts.c) compares names case-
 * insensitively and, for getaddrinfo, collects every matching line; musl
 * (src/network/lookup_name.c name_from_hosts) compares them as given. Neither applies the
 * search list nor strips a trailing dot. Other record types never read the file.
 */
export function hostsLookup(text: string, name: string, type: string, libc: "glibc" | "musl"): HostsEntry[] {
  const t = type.toUpperCase();
  if ((t !== "A" && t !== "AAAA") || !name) return [];
  const want = libc === "glibc" ? name.toLowerCase() : name;
  const out: HostsEntry[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const body = lines[i].replace(/#.*$/, "").trim();
    if (!body) continue;
    const [address, ...names] = body.split(/\s+/);
    if (!names.length || isV4(address) !== (t === "A")) continue;
    if (t === "AAAA" && !address.includes(":")) continue;
    if (names.some((n) => (libc === "glibc" ? n.toLowerCase() : n) === want))
      out.push({ line: i + 1, text: lines[i], address });
  }
  return out;
}
