import type { DataplaneIR, FdbEntry, IpvsVirtualServer, Link, Neighbour, NetNs, NodeNet, PodNet, Route } from "../ir/types.js";
import { SharedIndex } from "./shared-index.js";
import type { NsNetfilter } from "./netfilter.js";
import type { StepObject } from "./trace.js";
export interface Owner {
    ns: NetNs;
    dev: string;
    /** The ARP answer as a trace shows it, filled by the walk on first use (arpOwner's owners are one object per question). */
    arp?: {
        mac: string;
        owner: Owner;
        detail: string;
        obj: {
            kind: "neigh";
            text: string;
        };
    };
    /** The bridge port that leads to it, as the walk last found it (by namespace and bridge). */
    fdb?: {
        ns: NetNs;
        br: Link;
        mac: string;
        v: PortAnswer | null;
    };
}
/** A veth's far end and the step that crosses it (see Walk.l2Send); null: the peer is missing. */
export interface VethEnd {
    pns: NetNs;
    pinf: NsInfo;
    pl: Link;
    detail: string;
    obj: StepObject;
}
/** The bridge port that leads to a MAC, with its link and (a veth) far end, filled on first use. */
export interface PortAnswer {
    port: string;
    obj: {
        kind: "fdb";
        text: string;
    };
    learned: boolean;
    link: Link | undefined;
    veth: VethEnd | null | undefined;
}
export interface CRoute {
    route: Route;
    /** route.type, and the device a packet leaves by ("lo" for a local route): read on every packet, kept here (the IR route object is one more cold load at 5,000 nodes). */
    type: Route["type"];
    outDev: string | undefined;
    net: number;
    len: number;
    /** The prefix mask (precomputed: big tables are scanned). */
    mask: number;
    metric: number;
    via?: number;
    seq: number;
    /** The walk's step object and ROUTED text for this route, made on first use (see routeSay). */
    say: {
        obj: {
            kind: "route";
            text: string;
        };
        how: string;
    } | undefined;
    /**
     * The link of `outDev` in the namespace `linkIn` (the last one that sent by this route): a
     * node's own routes meet the same namespace again, and the route is already in the CPU cache
     * where a lookup by name in a cold namespace's links is not (5,000 nodes). Shared routes just miss.
     */
    linkIn: NsInfo | undefined;
    link: Link | undefined;
}
export interface Fib {
    lens: number[];
    byLen: Map<number, Map<number, CRoute[]>>;
    /**
     * Small tables (a pod's: ~5 routes; 150,000 pods at the thresholds) are one array in lookup
     * order (longest prefix, lowest metric, table order), scanned: no Maps per namespace.
     */
    flat?: CRoute[];
    /**
     * The flat routes' (network, mask) pairs as int32, in `flat`'s order: a scan reads one small
     * array instead of every route object (a node's local table is ~10 routes, most lookups miss
     * them all; at 5,000 nodes each route object was a cache miss).
     */
    flatNm?: Int32Array;
    /**
     * Large tables (a flannel full mesh has one route per node: O(nodes) per node, O(nodes²)
     * in all): the topology's shared index of big-table routes and this table's members.
     */
    big?: {
        index: SharedIndex<CRoute, number>;
        bits: Uint32Array;
        lens: {
            len: number;
            mask: number;
        }[];
        routes: Route[];
        table: "local" | "main";
        /** Answers for crowded keys (see CROWDED), by prefix length and network. */
        crowded?: Map<number, Map<number, CRoute | null>>;
        /** The IR's caches (its routes' compiled forms). */
        c: CompiledIR;
    };
}
export interface NsInfo {
    ns: NetNs;
    links: Map<string, Link>;
    local: Fib;
    main: Fib;
    localAddrs: Set<number>;
    broadcast: Set<number>;
    /** Address → device holding it. */
    addrDev: Map<number, string>;
    pod?: PodNet;
    node?: NodeNet;
    /** VXLAN and IPIP devices, in link order (a tunnel endpoint is looked up per decapsulated packet). */
    tunnels: Link[];
    /** ARP answers on this namespace's segments: device → address → owner (see arpOwner). */
    arp: Map<string, Map<number, Owner | null>> | undefined;
    /** The topology's ARP generation the answers belong to (a new outside address invalidates them all). */
    arpGen: number;
    /** The namespace's netfilter view (netfilterOf), kept here: one pointer instead of a lookup in a table of every namespace. */
    nf: NsNetfilter | undefined;
    /**
     * The sysctls a packet asks on every pass, read once (an IR namespace's sysctls are a
     * record of many keys: a dictionary lookup in a cold object per packet at 5,000 nodes).
     * `forwarding`: net.ipv4.ip_forward, else net.ipv4.conf.all.forwarding; `brNf`: net.bridge.bridge-nf-call-iptables is 1.
     */
    forwarding: string | undefined;
    brNf: boolean;
    /**
     * The last answers of local delivery here (a pod's listener for a protocol, port and
     * address; the VXLAN device for a port and VNI), with their step texts: the walk reads one
     * field instead of the pod's listeners and their link objects, cold at 5,000 nodes.
     */
    delivered: {
        proto: string;
        port: number;
        dst: number;
        container: string;
        lport: number;
        detail: string;
        obj: StepObject;
    } | undefined;
    vxlanAt: {
        port: number;
        vni: number | undefined;
        link: Link;
        detail: string;
        obj: StepObject;
    } | undefined;
    /** Bridge name → (peer key "nsid\0dev" → port name). */
    ports: Map<string, Map<string, string>>;
    /** Lookups (cached per key; the tables can hold one entry per node). */
    neigh(dev: string, ip: string): Neighbour | undefined;
    fdbSelf(dev: string, mac: string): FdbEntry | undefined;
    fdbBridge(master: string, mac: string): FdbEntry | undefined;
}
export declare const EXTERNAL = "external";
/** The external client's virtual port on the underlay bridge. */
export declare const EXTERNAL_PORT = "(external)";
export interface Topology {
    ir: DataplaneIR;
    /** The interpreter's caches over this IR (one object: see CompiledIR). */
    compiled: CompiledIR;
    nsOf(id: string): NetNs | undefined;
    podsByKey: Map<string, PodNet>;
    podsByName: Map<string, PodNet[]>;
    nodesByName: Map<string, NodeNet>;
    hostPods: Map<string, PodNet[]>;
    /** Pod IP → pod (not hostNetwork). */
    podByIp: Map<number, PodNet>;
    externalNs: NetNs;
    info(ns: NetNs): NsInfo;
    /** Who answers ARP for `ip` on the segment of (ns, dev), if anyone owns it there. */
    arpOwner(ns: NetNs, dev: string, ip: number, known?: NsInfo): Owner | undefined;
    /** Are two links on one layer-2 segment? */
    connected(a: Owner, b: Owner): boolean;
    /** The namespace owning an outside address: the underlay's own, or the synthetic client given that address. */
    externalAt(ip: string): NetNs;
}
/** An ipset's members indexed by shape (see ipsetMatch). */
export interface IpsetIndex {
    exact: Set<string>;
    nets: [number, number][];
    shape: string[];
}
export declare class CompiledIR {
    /** A route's compiled form (routes are shared across nodes by the builder: one each). */
    readonly croutes: WeakMap<Route, CRoute>;
    /** Prefix-length lists of big route tables, by the list as text: every node's table has the same few. */
    readonly lensByKey: Map<string, {
        len: number;
        mask: number;
    }[]>;
    /** A link's step object (its `ip link` line). */
    readonly linkObjs: WeakMap<Link, StepObject>;
    /** A veth's far end and its step (null: the peer is missing), per link. */
    readonly vethEnds: WeakMap<Link, VethEnd | null>;
    /** A neighbour entry's answer and step, per entry. */
    readonly neighSays: WeakMap<object, {
        mac: string;
        detail: string;
        obj: StepObject;
    }>;
    /** A VXLAN FDB entry's step object, per entry. */
    readonly fdbObjs: WeakMap<object, StepObject>;
    /** A route's `ip route` line. */
    readonly routeTexts: WeakMap<Route, string>;
    /** ipset members (WalkOptions.ipsets' arrays) indexed for matching. */
    readonly ipsets: WeakMap<(string | number)[], IpsetIndex>;
    /** A node's IPVS virtual servers by "proto/address/port". */
    readonly ipvs: WeakMap<IpvsVirtualServer[], Map<string, IpvsVirtualServer>>;
}
export declare const lkey: (nsId: string, dev: string) => string;
export declare function topologyOf(ir: DataplaneIR): Topology;
export declare function fibLookup(fib: Fib, ip: number, filter?: (r: CRoute) => boolean): CRoute | undefined;
export declare function isLocalAddr(inf: NsInfo, ip: number): boolean;
