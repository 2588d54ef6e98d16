import { type ReconcileContext } from "./reconcile-context.js";
import type { EndpointSliceState, PodState, ServiceState } from "./state.js";
export interface SlicesResult {
    endpointSlices: EndpointSliceState[];
    /** Warnings by "ns/service", in Service order. */
    svcWarnings: Map<string, string[]>;
}
/** Namespaces whose given slices or Endpoints changed (added, edited or removed) are recomputed. */
export declare function markChangedEndpoints(ctx: ReconcileContext): void;
export declare function buildSlices(ctx: ReconcileContext, pods: PodState[], services: ServiceState[]): SlicesResult;
