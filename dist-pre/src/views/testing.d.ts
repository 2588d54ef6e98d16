import type { ClusterConfig } from "../manifest/config.js";
import type { ClusterState, EndpointSliceState, NodeState, PodState, ServiceState } from "../control/state.js";
export declare function fixtureConfig(): ClusterConfig;
export declare function node(name: string, index: number, role?: "control-plane" | "worker"): NodeState;
export declare function pod(ns: string, name: string, ip: string | null, nodeName: string | null, opts?: Partial<PodState>): PodState;
export declare function service(ns: string, name: string, opts?: Partial<ServiceState>): ServiceState;
export declare function slice(ns: string, svc: string, name: string, port: number, ips: string[], portName?: string): EndpointSliceState;
/** Seed 004's `kubectl get service`: kubernetes 40h old, users-service 17h, auth-service 2m4s. */
export declare function seed004State(): ClusterState;
