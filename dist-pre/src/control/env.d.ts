import type { ServiceState } from "./state.js";
/** makeEnvVariableName: upper-case, `-` → `_`. */
export declare function envName(s: string): string;
/** FromServices for one Service. */
export declare function serviceEnvVars(svc: ServiceState): {
    name: string;
    value: string;
}[];
/** `services`: all Services of the cluster; only those visible to the pod (same namespace,
 *  created before the pod, plus default/kubernetes) are used. */
export declare function serviceEnvFor(services: ServiceState[], namespace: string, podCreated: number, enableServiceLinks: boolean): {
    name: string;
    value: string;
}[];
