import type { Link, NetNs } from "../../ir/types.js";
import type { Pkt } from "../packet.js";
import { type NsInfo, type Owner, type PortAnswer, type VethEnd } from "../topology.js";
import { WalkL3 } from "./l3.js";
import type { WalkConntrack } from "./conntrack.js";
export declare abstract class WalkL2 extends WalkL3 {
    protected neighbour(ns: NetNs, inf: NsInfo, link: Link, ip: number, pkt: Pkt): {
        mac: string;
        owner?: Owner;
    } | null;
    protected proxyArpCandidates(ns: NetNs, link: Link): {
        ns: NetNs;
        dev: string;
    }[];
    /** A veth's far end and its step (they depend on the link alone: IR links are read-only). */
    protected vethEnd(link: Link, peer: NonNullable<Link["peer"]>): VethEnd | null;
    /** `end`: the veth's far end when the caller has it (a bridge port's answer keeps it). */
    protected l2Send(ns: NetNs, link: Link, mac: string, pkt: Pkt, owner?: Owner, end?: VethEnd | null): void;
    /** `known`: the namespace's info when the caller has it (one lookup fewer on a cold namespace; so for localOut, bridgeForward, ipInput). */
    protected l2Receive(ns: NetNs, link: Link, mac: string, pkt: Pkt, owner?: Owner, known?: NsInfo): void;
    protected fdbPort(ns: NetNs, br: Link, mac: string, owner?: Owner): PortAnswer | null;
    protected fdbPortFind(ns: NetNs, br: Link, mac: string, owner?: Owner): PortAnswer | null;
    /** A frame for the bridge's own MAC: up to the IP layer (br_netfilter: PREROUTING here, bridged DNAT). */
    protected bridgeUp(ns: NetNs, br: Link, inPort: Link, pkt: Pkt): void;
    protected bridgeForward(ns: NetNs, br: Link, inPort: Link | null, mac: string, pkt: Pkt, owner?: Owner, fromOutside?: boolean, known?: NsInfo): void;
    protected bridgeForwardHooks(ns: NetNs, inf: NsInfo, br: Link, inPort: Link, mac: string, pkt: Pkt, st: ReturnType<WalkConntrack["ctIn"]>, owner?: Owner): void;
    protected bridgeOut(ns: NetNs, br: Link, inPort: Link | null, mac: string, pkt: Pkt, owner?: Owner): void;
}
