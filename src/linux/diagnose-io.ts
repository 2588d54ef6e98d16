// The kernel side of `podnet diagnose --name N`: read-only commands and verify's probe
// client, run inside the cluster's namespaces (questions/diagnose-kernel.ts plans and
// compares; nothing here decides anything).

import { createRunner, type RunResult } from "./exec.js";
import { nsName } from "./names.js";
import { type ProbeRequest, type ProbeResult, runProbes } from "./probe.js";

export interface KernelIO {
  /** A read-only command inside the namespace of IR id `nsId` ("pod/default/web-0", "node/worker-1"). */
  exec(nsId: string, argv: string[]): Promise<RunResult>;
  /** One probe of verify's client from `nsId` (undefined when the client could not run). */
  probe(nsId: string, req: ProbeRequest): Promise<ProbeResult | undefined>;
  /** Many probes (unique ids), one client per source namespace, a few namespaces at once. */
  probeMany(bySrc: Map<string, ProbeRequest[]>): Promise<Map<number, ProbeResult>>;
}

export function kernelIO(cluster: string): KernelIO {
  const runner = createRunner();
  return {
    exec: (nsId, argv) => runner.run(["ip", "netns", "exec", nsName(cluster, nsId), ...argv], "", { allowFail: true }),
    probe: async (nsId, req) => {
      const { results } = await runProbes(new Map([[nsName(cluster, nsId), [req]]]));
      return results.get(req.id);
    },
    probeMany: async (bySrc) => {
      const named = new Map([...bySrc].map(([id, reqs]) => [nsName(cluster, id), reqs]));
      // Each client mostly waits (timeouts): more of them at once than verify's default.
      return (await runProbes(named, { parallel: 12 })).results;
    },
  };
}
