import type { ClusterState, EndpointSliceState, NodeState, PodState, ServiceState } from "../control/state.js";
import type { KubeObject, Labels } from "../manifest/types.js";
import { type ViewOptions } from "./common.js";
type Obj = Record<string, unknown>;
export declare function podObject(_state: ClusterState, p: PodState, opts?: ViewOptions): Obj;
export declare function serviceObject(_state: ClusterState, s: ServiceState, opts?: ViewOptions): Obj;
/** The v1 Endpoints object the endpoints controller keeps beside the slices: ready
 *  addresses in `addresses`, not-ready in `notReadyAddresses`, terminating ones left
 *  out; one subset per distinct port list, addresses sorted by IP (RepackSubsets). */
export interface EndpointsView {
    namespace: string;
    name: string;
    labels: Labels;
    created: number;
    subsets: {
        addresses: {
            ip: string;
            hostname?: string;
            nodeName?: string;
            targetRef?: unknown;
        }[];
        notReadyAddresses: {
            ip: string;
            hostname?: string;
            nodeName?: string;
            targetRef?: unknown;
        }[];
        ports: {
            name?: string;
            port: number;
            protocol: string;
        }[];
    }[];
}
export declare function endpointsFor(state: ClusterState, svc: ServiceState): EndpointsView;
/** Services that have an Endpoints object: those with a selector (the controller's)
 *  and those whose endpoints were given. */
export declare function endpointsList(state: ClusterState): EndpointsView[];
export declare function endpointsObject(_state: ClusterState, e: EndpointsView, opts?: ViewOptions): Obj;
export declare function endpointSliceObject(state: ClusterState, s: EndpointSliceState, opts?: ViewOptions): Obj;
export declare function nodeObject(_state: ClusterState, n: NodeState, opts?: ViewOptions): Obj;
export declare function namespaceObject(_state: ClusterState, n: {
    name: string;
    labels: Labels;
}, opts?: ViewOptions): Obj;
/** Objects kept as given (NetworkPolicy, Ingress, workloads): strip podnet's `source`. */
export declare function givenObject(o: KubeObject, namespace: string | undefined, opts?: ViewOptions): Obj;
/** kubectl's List wrapper for more than one object (and for `get` without a NAME). */
export declare function listObject(items: Obj[]): Obj;
/** kubectl -o yaml: keys sorted (it goes through JSON maps), sequences not indented,
 *  YAML 1.1 quoting (go-yaml v2 quotes timestamps, "y", "on" …),
 *  no line folding (sigs.k8s.io/yaml). */
export declare function toYaml(o: unknown): string;
/** kubectl -o json: json.MarshalIndent with four spaces; kubectl holds the objects as
 *  unstructured maps, so keys come out sorted. */
export declare function toJson(o: unknown): string;
export {};
