import type { NodeNet } from "../ir/types.js";
import { type ProcessRecord } from "./state.js";
/** Calico's protocol names: "Mesh_192_168_1_2" for the peer 192.168.1.2. */
export declare function meshName(addr: string): string;
/** bird.conf for one node (pure). */
export declare function birdConfig(node: NodeNet): string;
export declare function birdPaths(cluster: string, node: string): {
    conf: string;
    ctl: string;
    log: string;
};
/** Starts BIRD (foreground, so the recorded PID is BIRD's) in the node's namespace. */
export declare function startBird(cluster: string, node: NodeNet, onSpawn?: (r: ProcessRecord) => void, timeoutMs?: number): Promise<ProcessRecord>;
/** `birdc -r show protocols` (read-only), run in the node's namespace like everything else. */
export declare function birdProtocols(cluster: string, node: NodeNet): Promise<{
    name: string;
    state: string;
    info: string;
}[]>;
/** Waits until every node's mesh sessions are Established and the kernel holds the learned routes. */
export declare function waitBgp(cluster: string, nodes: NodeNet[], timeoutMs?: number): Promise<void>;
/** A node's blocks or peers changed on a running cluster: new config, `birdc configure` (BIRD keeps its sessions). */
export declare function reconfigureBird(cluster: string, node: NodeNet): Promise<void>;
