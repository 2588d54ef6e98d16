import type { ClusterConfig } from "../manifest/config.js";
import type { KubeObject } from "../manifest/types.js";
import type { IpamState, ServiceState } from "./state.js";
export interface ServiceCtx {
    config: ClusterConfig;
    seed: string;
    created: number;
}
/** The band split used by Kubernetes' bitmap allocators (calculateRangeOffset). */
export declare function staticBandSize(size: number, min: number, max: number, step: number): number;
export interface ServicesResult {
    services: ServiceState[];
    serviceIPs: IpamState["serviceIPs"];
    nodePorts: IpamState["nodePorts"];
    loadBalancerIPs: IpamState["loadBalancerIPs"];
}
/**
 * Reconciles the Service objects against the previous Service states. `unchanged(o)`
 * says whether the object is the same as in the previous state (then its state is kept).
 */
export declare function reconcileServices(ctx: ServiceCtx, objects: KubeObject[], prev: ServiceState[], prevIpam: IpamState, unchanged: (o: KubeObject) => boolean): ServicesResult;
