// The running cluster a `--name` command means: Linux, root, a valid name, or the one
// cluster that is up when no name is given.

import { knownClusters } from "../linux/cluster.js";
import { validateClusterName } from "../linux/names.js";
import { UsageError } from "./errors.js";

/** `what` names the command in the errors ("podnet verify runs flows …"). */
export function runningCluster(name: string | undefined, what: string): string {
  if (process.platform !== "linux") throw new UsageError(`${what} in Linux network namespaces: Linux only`);
  if (typeof process.getuid === "function" && process.getuid() !== 0)
    throw new UsageError(`${what} in the cluster's network namespaces: it needs root (run it with sudo)`);
  if (name !== undefined) {
    try {
      return validateClusterName(name);
    } catch (e) {
      throw new UsageError(`--name: ${(e as Error).message}`);
    }
  }
  const all = knownClusters();
  if (all.length === 0) throw new UsageError("no podnet cluster is up (podnet up)");
  if (all.length > 1) throw new UsageError(`several clusters are up (${all.join(", ")}): say which with --name`);
  return all[0];
}
