import type { ClusterState, EndpointSliceState, ServiceState } from "../control/state.js";
import type { Labels } from "../manifest/types.js";
import { type ViewOptions } from "./common.js";
import { type EndpointsView } from "./objects.js";
/** One row source: namespace ("" for cluster-scoped), name, labels, and the value. */
export interface Item<T = unknown> {
    namespace: string;
    name: string;
    labels: Labels;
    value: T;
}
/**
 * A resource kind of the registry: its names, and how it lists, tabulates and prints the
 * items it lists. T is what its items hold; the registry (RESOURCES) erases it: a
 * resource's row/object only ever receive the items of its own items(), so the methods
 * (method syntax: their parameters compare bivariantly) accept them without casts.
 */
export interface Resource<T = unknown> {
    kind: string;
    /** Plural resource name (what `kubectl api-resources` lists). */
    plural: string;
    singular: string;
    shortNames: string[];
    /** `-o name` prefix: "pod", "service", "deployment.apps" … */
    nameRef: string;
    namespaced: boolean;
    items(state: ClusterState): Item<T>[];
    header(wide: boolean): string[];
    row(state: ClusterState, item: Item<T>, wide: boolean, opts: ViewOptions): string[];
    object(state: ClusterState, item: Item<T>, opts: ViewOptions): Record<string, unknown>;
}
/** printers.go loadBalancerStatusStringer: sorted, de-duplicated, truncated to 16
 *  characters ("…" as "...") unless wide. */
export declare function loadBalancerString(ips: string[], wide: boolean): string;
export declare function serviceExternalIP(s: ServiceState, wide: boolean): string;
/** printers.go makePortString: "80/TCP", "8080:31344/TCP", joined by ",". */
export declare function servicePorts(s: ServiceState): string;
/** printers.go formatEndpoints: ready addresses as ip:port, at most 3, then " + N more...". */
export declare function formatEndpoints(e: EndpointsView): string;
export declare function formatSlicePorts(s: EndpointSliceState): string;
export declare function formatSliceEndpoints(s: EndpointSliceState): string;
/** printers.go findNodeRoles: node-role.kubernetes.io/<role> and kubernetes.io/role. */
export declare function nodeRoles(labels: Labels): string;
/** printers.go formatHosts: at most 3 hosts, "*" when none. */
export declare function ingressHosts(rules: {
    host?: string;
}[]): string;
export declare const RESOURCES: Resource[];
/** Resolve "pods", "pod", "po", "Pod", "deployments.apps" … to a resource. */
export declare function findResource(name: string): Resource | undefined;
export interface GetOptions extends ViewOptions {
    names?: string[];
    namespace?: string;
    allNamespaces?: boolean;
    output?: "" | "wide" | "yaml" | "json" | "name";
    showLabels?: boolean;
    selector?: string;
    /** Several resource types in one call: NAME becomes "pod/x", "service/y" (kubectl). */
    prefixNames?: boolean;
}
export interface CommandOutput {
    stdout: string;
    stderr: string;
    exitCode: number;
}
/** `kubectl get RESOURCE [NAME…]`: the text kubectl prints and its exit code. */
export declare function getView(state: ClusterState, res: Resource, o?: GetOptions): CommandOutput;
