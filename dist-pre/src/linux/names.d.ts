export declare const NS_PREFIX = "podnet-";
/** Where each cluster's state lives (what was created, PIDs, the inputs). */
export declare const STATE_ROOT = "/run/podnet";
/** `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf. */
export declare const ETC_NETNS = "/etc/netns";
export declare function validateClusterName(name: string): string;
export declare function clusterPrefix(cluster: string): string;
/**
 * The kernel namespace name of an IR namespace id ("underlay", "node/worker-1",
 * "pod/default/web-0"). Long names are cut and suffixed with a hash so that two
 * different ids never collide.
 */
export declare function nsName(cluster: string, irId: string): string;
/** The cluster a podnet namespace belongs to, or null for a name podnet did not make. */
export declare function clusterOfNs(ns: string): string | null;
export declare function isPodnetNs(ns: string): boolean;
/** Interface names: IFNAMSIZ is 16 including the NUL. */
export declare function validIfName(name: string): boolean;
export declare function stateDir(cluster: string): string;
export declare class SafetyError extends Error {
}
/**
 * Reject any command that could touch the root network namespace. Allowed shapes:
 *   ip -n <podnet-ns> …            bridge -n <podnet-ns> …
 *   ip netns add|del|delete|pids <podnet-ns>
 *   ip netns exec <podnet-ns> …     (iptables-restore, nft -f, sysctl, sh, curl … run inside)
 *   ip netns list                  (read-only)
 *   ip -batch - (root)             only with lines `netns add|del <podnet-ns>`
 * Also checks that veth peers are only moved into podnet namespaces.
 */
export declare function guardCommand(argv: string[], input?: string): void;
/** A line fed to `ip -n NS -batch -`: it may not redirect to another namespace except a podnet one. */
export declare function guardBatchLine(line: string): void;
