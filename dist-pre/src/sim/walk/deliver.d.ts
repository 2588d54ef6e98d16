import type { NetNs } from "../../ir/types.js";
import type { Pkt } from "../packet.js";
import type { NsInfo } from "../topology.js";
import { WalkIpvs } from "./ipvs.js";
export declare abstract class WalkDeliver extends WalkIpvs {
    protected localDeliver(ns: NetNs, inf: NsInfo, _dev: string, pkt: Pkt): void;
    /** The socket that takes the packet here, with its step texts; a pod's last answer is kept (its listeners are read-only; a host's are made per call). */
    protected listener(inf: NsInfo, pkt: Pkt): NsInfo["delivered"];
    /** Mark who the client is (for the reply's delivery). */
    setClient(ns: NetNs, pkt: Pkt): void;
}
