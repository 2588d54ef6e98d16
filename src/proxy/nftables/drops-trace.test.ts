// kube-proxy's drops on the model, nftables mode against iptables mode: the same reasons
// (Hubble's SERVICE_BACKEND_NOT_FOUND) for a Service without endpoints (kube-proxy's
// reject: pkg/proxy/nftables/proxier.go reject-chain, pkg/proxy/iptables/proxier.go
// "has no endpoints" REJECT) and for a Local traffic policy without an endpoint on the
// node (nftables: the maps' `drop` elements; iptables: "has no local endpoints" DROP).
// The cluster is the one `podnet observe`'s kernel test runs (src/linux/observe.kernel.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadSpecFromArgs } from "../../load/input.js";
import { buildState } from "../../control/build.js";
import type { ClusterState } from "../../control/state.js";
import { modelSession } from "../../questions/trace.js";

const DIR = "src/linux/testdata/observe/";

async function cluster(mode: "iptables" | "nftables"): Promise<ClusterState> {
  const spec = await loadSpecFromArgs({
    files: [`${DIR}manifests.yaml`],
    config: `${DIR}cluster.yaml`,
    mode: "tolerant",
  });
  return buildState({
    ...spec,
    config: { ...spec.config, networking: { ...spec.config.networking, kubeProxyMode: mode } },
  });
}

for (const mode of ["iptables", "nftables"] as const)
  test(`${mode}: kube-proxy's no-endpoint reject and no-local-endpoint drops are SERVICE_BACKEND_NOT_FOUND`, async () => {
    const s = await cluster(mode);
    const ip = (n: string) => s.services.find((x) => x.name === n)!.clusterIP!;
    const session = modelSession(s);
    const end = (from: string, to: string) => {
      const r = session.trace({ from, to, protocol: "tcp" }, { noDnsPath: true });
      assert.equal(r.paths.length, 1, to);
      const d = r.paths[0].disposition;
      return `${d.verdict} ${d.reason} ${d.detail?.replace(/^.*: /, "")}`;
    };
    assert.equal(
      end("default/client", `${ip("nowhere")}:80`),
      "DROPPED SERVICE_BACKEND_NOT_FOUND the Service has no endpoints (ICMP port unreachable to the client)",
    );
    // web's only pod is on worker-2; client is on worker-1.
    assert.equal(
      end("default/client", `${ip("web-local")}:80`),
      "DROPPED SERVICE_BACKEND_NOT_FOUND the Service has no local endpoints",
    );
    const w1 = s.nodes.find((n) => n.name === "worker-1")!;
    assert.equal(
      end("node/worker-2", `${w1.address}:30080`),
      "DROPPED SERVICE_BACKEND_NOT_FOUND the Service has no local endpoints",
    );
  });
