import type { PodState } from "../control/state.js";
export interface EnvLine {
    name: string;
    value: string;
    source: "container" | "service";
}
/** k8s.io/kubernetes/third_party/forked/golang/expansion: `$(VAR)` → value when known,
 *  `$$` → `$`, unknown references left as written. */
export declare function expandEnv(value: string, lookup: (name: string) => string | undefined): string;
export declare function containerEnv(pod: PodState, containerName?: string): EnvLine[];
export declare function formatEnv(lines: EnvLine[]): string;
