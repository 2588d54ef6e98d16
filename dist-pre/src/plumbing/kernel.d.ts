import type { Address, Link, NetNs, Route } from "../ir/types.js";
export declare function emptyNs(id: string): NetNs;
/** A deterministic, locally administered unicast MAC derived from a name. */
export declare function macFor(name: string): string;
export declare function hexOf(algo: "sha1" | "sha256" | "sha512", s: string): string;
/** `lo` as every new namespace has it once brought up (127.0.0.1/8, scope host). */
export declare function addLoopback(ns: NetNs): void;
export interface AddrOpts {
    scope?: Address["scope"];
    /** `ip addr add` without `brd` (netlink users like the CNI plugins compute it). */
    noBroadcastAttr?: boolean;
}
/**
 * Adds an IPv4 address and the routes the kernel derives from it (fib_add_ifaddr):
 * `local <addr>` in table local; for prefixes shorter than /31 `broadcast <last>`;
 * the connected route in main (loopback: `local <prefix>` in table local instead);
 * nothing but the local route for a /32 or on a link that is down. Linux ≥ 5.x no longer adds the network
 * address as broadcast (checked against the kernel: no `broadcast 10.244.1.0`).
 */
export declare function addAddress(ns: NetNs, dev: string, cidr: string, opts?: AddrOpts): void;
/** A veth pair across two namespaces. Returns the two links (already pushed). */
export declare function addVethPair(a: {
    ns: NetNs;
    name: string;
    mac: string;
    mtu: number;
    master?: string;
    hairpin?: boolean;
}, b: {
    ns: NetNs;
    name: string;
    mac: string;
    mtu: number;
}): [Link, Link];
/**
 * A port enslaved to a bridge: the kernel adds `<port MAC> dev <port> master <br> permanent`
 * (and the bridge's own MAC once, see addBridge). Multicast `self permanent` entries
 * (01:00:5e:…, 33:33:…) are left out of the model.
 */
export declare function addBridgePortFdb(ns: NetNs, bridge: string, port: Link): void;
export declare function addBridge(ns: NetNs, name: string, mac: string, mtu: number): Link;
export declare function route(r: Partial<Route> & Pick<Route, "dst">): Route;
/** "10.244.1.0/24" → "10.244.1.1" (the CNI gateway: first address). */
export declare function firstHost(cidr: string, offset?: number): string;
/** A pod gets its own network namespace (and a CNI ADD) unless it uses the host's. */
export declare function podHasOwnNs(pod: {
    spec: {
        hostNetwork?: boolean;
    };
    podIP: string | null;
    nodeName: string | null;
}): boolean;
export declare function podNsId(pod: {
    namespace: string;
    name: string;
}): string;
export declare function nodeNsId(name: string): string;
/**
 * Objects that are identical on every node (the route to node X's subnet is the same on
 * all other nodes) are made once per state and shared by reference, so a 5,000-node IR
 * holds 5,000 route objects, not 25 million. IR objects are therefore read-only.
 */
export declare function shared<T>(state: object, key: string, make: () => T): T;
