import type { Link, NetNs } from "../../ir/types.js";
import { type Pkt } from "../packet.js";
import { type NsInfo } from "../topology.js";
import { WalkL2 } from "./l2.js";
export declare abstract class WalkEncap extends WalkL2 {
    protected encapVxlan(ns: NetNs, inf: NsInfo, link: Link, mac: string, pkt: Pkt): void;
    protected encapIpip(ns: NetNs, inf: NsInfo, link: Link, nh: number, pkt: Pkt): void;
}
