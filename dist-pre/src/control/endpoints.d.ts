import type { Endpoint, KubeObject, Protocol } from "../manifest/types.js";
import type { EndpointSliceState, NodeState, PodState, ServiceState } from "./state.js";
export declare const MAX_ENDPOINTS_PER_SLICE = 100;
export declare const CONTROLLER = "endpointslice-controller.k8s.io";
/** Pods indexed by namespace and by label "key=value", in pod order. */
export declare class PodIndex {
    private byNs;
    constructor(pods: PodState[]);
    select(namespace: string, selector: Record<string, string>): PodState[];
}
/** podutil.FindPort: the container port named `name` with the Service port's protocol. */
export declare function findPort(pod: PodState, name: string, protocol: Protocol): number | undefined;
export interface SliceCtx {
    seed: string;
    clock: number;
    nodes: Map<string, NodeState>;
    /** Per-pod parts shared by every slice the pod is in (addresses, targetRef). */
    shared?: WeakMap<PodState, {
        addresses: string[];
        targetRef: NonNullable<Endpoint["targetRef"]>;
    }>;
}
/** Names slices `<service>-<5 chars>`, reusing the Service's previous slice names first. */
export declare class SliceNamer {
    private ctx;
    private taken;
    constructor(ctx: SliceCtx, all: Iterable<EndpointSliceState>);
    reserve(ns: string, name: string): void;
    fresh(ns: string, base: string): string;
}
/** The controller's slices for one Service with a selector, plus warnings. */
export declare function slicesForService(ctx: SliceCtx, svc: ServiceState, selected: PodState[], prevNames: string[], namer: SliceNamer, warn: (field: string, msg: string) => void): EndpointSliceState[];
/** A user's EndpointSlice, used as given. */
export declare function givenSlice(o: KubeObject): EndpointSliceState;
/** v1 Endpoints mirrored to slices (one per subset), for a Service without a selector. */
export declare function mirrorEndpoints(o: KubeObject, namer: SliceNamer, prevNames: string[]): EndpointSliceState[];
