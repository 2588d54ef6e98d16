// The faults of a running cluster (`podnet fault add|clear --name`), stored beside its
// state as <state dir>/faults.json: what the model of the running cluster adds to its
// config's `faults:` (live-state.ts), and the journal of what each fault changed in the
// kernel so that `fault clear` puts back exactly that (faults.ts). Kept free of the kernel
// code: the DNS server process reads it through live-state.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { replaceFile } from "./safe-fs.js";
import { stateDir } from "./names.js";

/** One kernel step of a fault, or of its undo. */
export type FaultStep =
  /** `expect`: a regexp its output must match (birdc exits 0 on a refused command). */
  | { t: "run"; argv: string[]; input?: string; expect?: string }
  /** Stop the DNS server of a CoreDNS pod ("ns/name"), by its recorded PID. */
  | { t: "dns-stop"; pod: string }
  /** Start it again in the pod's namespace (a new PID, recorded). */
  | { t: "dns-start"; pod: string; netns: string; node: string }
  /** Reload a node's netfilter from the cluster's current IR (kube-proxy back: a full sync). */
  | { t: "rules"; node: string }
  /** Wait until BIRD's mesh sessions are Established again and each namespace's BIRD routes are `routes` again. */
  | { t: "bgp-wait"; routes: { ns: string; text: string }[] };

/** What one step did and how to undo it (undone in reverse order of the actions). */
export interface FaultAction {
  does: FaultStep[];
  undo: FaultStep[];
}

export interface ActiveFault {
  /** A short number, unique in the cluster (`fault clear 2`). */
  id: number;
  /** The fault as the CLI writes it (formatFault): also accepted by `fault clear`. */
  fault: string;
  since: string;
  /**
   * How many entries the change log held when it was added: kube-proxy-down's node keeps the
   * rules of the state after those (the model replays the log up to there, then freezes).
   * Absent in journals written before it was recorded: then the state `up` built.
   */
  afterChanges?: number;
  /** Being added: a crash leaves it so; the next fault command undoes what it did. */
  pending?: boolean;
  /** Being cleared (out of the model already): a crash leaves it so; the next fault command finishes the undo. */
  clearing?: boolean;
  /** Actions done so far (the journal: a failed or interrupted add undoes these). */
  done: number;
  actions: FaultAction[];
}

export function faultsPath(cluster: string): string {
  return join(stateDir(cluster), "faults.json");
}

export function readFaults(cluster: string): ActiveFault[] {
  try {
    return JSON.parse(readFileSync(faultsPath(cluster), "utf8")) as ActiveFault[];
  } catch {
    return [];
  }
}

export function writeFaults(cluster: string, faults: ActiveFault[]): void {
  replaceFile(faultsPath(cluster), JSON.stringify(faults, null, 1) + "\n", 0o600);
}

/**
 * The nodes whose kube-proxy is down or flushed. A fault's own add and clear leave their
 * rules to the fault's steps (the real flush, the full resync); live changes reload them
 * from the model, whose kube-proxy rules there are the stale or flushed ones.
 */
export function kubeProxyFrozen(cluster: string): string[] {
  return readFaults(cluster)
    .filter((f) => !f.clearing)
    .map((f) => /^kube-proxy-(?:down|flushed) (\S+)$/.exec(f.fault)?.[1])
    .filter((n): n is string => !!n);
}
