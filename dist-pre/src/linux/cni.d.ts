import type { DataplaneIR, PodNet } from "../ir/types.js";
import { type RenderOptions } from "./render.js";
import type { Runner } from "./exec.js";
export declare const CNI_VERSION = "1.0.0";
/** Versions whose result format this implementation emits (1.0.0's). */
export declare const SUPPORTED_VERSIONS: string[];
/** The network configuration a plugin reads on stdin. */
export interface NetConf {
    cniVersion: string;
    name: string;
    type: string;
    [k: string]: unknown;
}
export interface CniArgs {
    containerID: string;
    /** "/run/netns/<name>" (optional for DEL). */
    netns?: string;
    ifName: string;
    /** CNI_ARGS, parsed ("K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0" → object) or raw. */
    args?: Record<string, string> | string;
}
export interface CniInterface {
    name: string;
    mac?: string;
    mtu?: number;
    sandbox?: string;
}
export interface CniResult {
    cniVersion: string;
    interfaces: CniInterface[];
    ips: {
        address: string;
        gateway?: string;
        interface?: number;
    }[];
    routes: {
        dst: string;
        gw?: string;
    }[];
    dns: {
        nameservers?: string[];
        domain?: string;
        search?: string[];
        options?: string[];
    };
}
export interface CniError {
    cniVersion: string;
    code: number;
    msg: string;
    details?: string;
}
/** Spec error codes (1–99 reserved) and the reference plugins' generic internal error. */
export declare const CNI_ERR: {
    readonly INCOMPATIBLE_VERSION: 1;
    readonly UNSUPPORTED_FIELD: 2;
    readonly UNKNOWN_CONTAINER: 3;
    readonly INVALID_ENV: 4;
    readonly IO_FAILURE: 5;
    readonly DECODE: 6;
    readonly INVALID_CONFIG: 7;
    readonly TRY_AGAIN: 11;
    /** containernetworking/cni types.ErrInternal: what the reference plugins return for plain errors. */
    readonly INTERNAL: 999;
};
export declare function isCniError(x: unknown): x is CniError;
/** The flavor's conflist equivalent (a single plugin config as the plugin sees it). */
export declare function netConfFor(ir: DataplaneIR): NetConf;
export declare function parseCniArgs(a: CniArgs["args"]): Record<string, string>;
export interface CniContext {
    cluster: string;
    ir: DataplaneIR;
    runner: Runner;
    render?: RenderOptions;
    /** The caller just created the namespace (podnet up): skip the "interface exists" probe. */
    fresh?: boolean;
}
/** The result ADD returns, from the IR (interfaces: bridge, host veth, container if). */
export declare function cniResultFor(ctx: {
    cluster: string;
    ir: DataplaneIR;
}, pod: PodNet, ifName: string, cniVersion?: string): CniResult;
/** CNI ADD: wire the pod's interface; fails if it exists already. */
export declare function cniAdd(conf: NetConf, a: CniArgs, ctx: CniContext): Promise<CniResult | CniError>;
/** CNI DEL: best effort, idempotent; removing the container end removes the veth pair. */
export declare function cniDel(conf: NetConf, a: CniArgs, ctx: CniContext): Promise<null | CniError>;
/** CNI CHECK: the interface exists with the IR's addresses and routes. */
export declare function cniCheck(conf: NetConf, a: CniArgs, ctx: CniContext): Promise<null | CniError>;
