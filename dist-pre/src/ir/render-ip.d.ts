import type { FdbEntry, NetNs, Route } from "./types.js";
export interface RenderOptions {
    /** ifindex of a link in another namespace (veth peers print `eth0@if5`). */
    peerIndex?: (ns: string, name: string) => number | undefined;
}
export type TableSel = "main" | "local" | "all" | number;
export declare function sortRoutes(routes: Route[]): Route[];
export declare function formatDst(dst: string): string;
/** One line of `ip route show` (with `table X` when `showTable` and X is not main). */
export declare function formatRoute(r: Route, showTable?: boolean): string;
/** `ip route show` (main), `ip route show table local`, `ip route show table all`. */
export declare function renderRoutes(ns: NetNs, table?: TableSel): string;
export declare function ifindexOf(ns: NetNs, name: string): number | undefined;
/** `ip -d link show` (or `ip link show` with details=false). */
export declare function renderLinks(ns: NetNs, o?: RenderOptions, detailsOn?: boolean): string;
/** `ip addr` (IPv4 addresses only). */
export declare function renderAddrs(ns: NetNs, o?: RenderOptions): string;
/** `ip neigh show` (NOARP entries are hidden, as iproute2 does without `nud all`). The
 *  kernel dumps its neighbour hash table in an order that changes per boot; the model
 *  prints entries in the order they were added. */
export declare function renderNeigh(ns: NetNs): string;
export declare function formatFdb(e: FdbEntry): string;
/** `bridge fdb show` (unicast entries). */
export declare function renderFdb(ns: NetNs): string;
