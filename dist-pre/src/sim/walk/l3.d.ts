import type { Link, NetNs } from "../../ir/types.js";
import type { Pkt } from "../packet.js";
import { type CRoute, type NsInfo, type Owner, type VethEnd } from "../topology.js";
import { WalkConntrack } from "./conntrack.js";
export declare abstract class WalkL3 extends WalkConntrack {
    protected route(inf: NsInfo, dst: number): CRoute | undefined;
    protected routed(inf: NsInfo, pkt: Pkt, what?: string): CRoute | null;
    /** A packet created by a socket in `ns`. */
    originate(ns: NetNs, pkt: Pkt, detail: string): void;
    protected localOut(ns: NetNs, pkt: Pkt, encap: boolean, known?: NsInfo): void;
    protected transmit(ns: NetNs, inf: NsInfo, r: CRoute, pkt: Pkt): void;
    protected ipInput(ns: NetNs, dev: string, pkt: Pkt, meta: {
        physIn?: string;
    }, known?: NsInfo): void;
    /** After PREROUTING: the input route decision. */
    protected ipRoute(ns: NetNs, inf: NsInfo, dev: string, pkt: Pkt, st: ReturnType<WalkConntrack["ctIn"]>): void;
    protected abstract encapIpip(ns: NetNs, inf: NsInfo, link: Link, nh: number, pkt: Pkt): void;
    protected abstract encapVxlan(ns: NetNs, inf: NsInfo, link: Link, mac: string, pkt: Pkt): void;
    protected abstract l2Send(ns: NetNs, link: Link, mac: string, pkt: Pkt, owner?: Owner, end?: VethEnd | null): void;
    protected abstract localDeliver(ns: NetNs, inf: NsInfo, _dev: string, pkt: Pkt): void;
    protected abstract neighbour(ns: NetNs, inf: NsInfo, link: Link, ip: number, pkt: Pkt): {
        mac: string;
        owner?: Owner;
    } | null;
}
