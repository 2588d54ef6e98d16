import type { IpvsVirtualServer } from "../../ir/types.js";
import type { CompiledIR } from "../topology.js";
import type { NetNs } from "../../ir/types.js";
import type { Pkt } from "../packet.js";
import type { NsInfo } from "../topology.js";
import { WalkEncap } from "./encap.js";
export declare abstract class WalkIpvs extends WalkEncap {
    protected ipvs(ns: NetNs, inf: NsInfo, vs: NonNullable<NsInfo["node"]>["ipvs"] extends (infer T)[] | undefined ? T : never, pkt: Pkt): void;
}
/** A node's virtual servers by "proto/address/port" (kept in the IR's CompiledIR). */
export declare function ipvsIndex(c: CompiledIR, list: IpvsVirtualServer[]): Map<string, IpvsVirtualServer>;
