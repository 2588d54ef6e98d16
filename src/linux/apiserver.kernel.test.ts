// The `kubernetes` Service on a real cluster (root): 10.96.0.1:443 → the control-plane
// node's :6443, where podnet's API server answers over TLS like kube-apiserver to a client
// without credentials (apiserver.ts). `curl -k https://kubernetes.default/version` from a
// pod works in the model (the trace ends DELIVERED at kube-apiserver's listener) and for
// real through `podnet exec`; other paths are 403 for system:anonymous, 401 with a token.
// Without root/tools the test skips with a message; with PODNET_REQUIRE_KERNEL=1 it fails.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { kernelSkip } from "./testing.js";
import { clusterNamespaces, down, up } from "./cluster.js";
import { netfilterRenderers } from "./netfilter.js";
import { loadCluster } from "../load/cluster.js";
import { buildIR } from "../dataplane/build.js";
import { modelSession } from "../questions/trace.js";

const DEMO = fileURLToPath(new URL("../../../examples/demo", import.meta.url));
const PODNET = fileURLToPath(new URL("../../../bin/podnet.js", import.meta.url));

const CLIENT = `apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  containers: [{name: c, image: curlimages/curl}]
`;

test("apiserver in the kernel: curl -k https://kubernetes.default/version from a pod, as the model says", {
  skip: kernelSkip(["ip", "python3", "curl", "openssl"]),
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-api-"));
  const cluster = `dapi-${randomBytes(3).toString("hex")}`;
  try {
    writeFileSync(join(dir, "client.yaml"), CLIENT);
    const files = [DEMO, dir];
    const { state } = await loadCluster({ files });
    const tr = modelSession(state).trace({ from: "default/client", to: "https://kubernetes.default/version" });
    assert.ok(tr.paths.length > 0);
    for (const p of tr.paths) {
      assert.equal(p.disposition.verdict, "DELIVERED");
      assert.equal(p.disposition.container, "kube-apiserver");
      assert.equal(p.disposition.port, 6443);
    }
    await up({ cluster, ir: buildIR(state), inputs: { files }, render: { netfilter: netfilterRenderers } });
    const curl = (...args: string[]) => {
      const r = spawnSync(
        process.execPath,
        [PODNET, "exec", "--name", cluster, "client", "--", "curl", "-sk", "-m", "5", "-w", "\\n%{http_code}", ...args],
        { encoding: "utf8" },
      );
      t.diagnostic(`curl ${args.join(" ")}: ${r.stdout}${r.stderr}`);
      const i = r.stdout.lastIndexOf("\n");
      return { code: r.stdout.slice(i + 1), body: r.stdout.slice(0, i) };
    };
    const v = curl("https://kubernetes.default/version");
    assert.equal(v.code, "200");
    assert.equal(JSON.parse(v.body).gitVersion, "v1.31.0");
    const pods = curl("https://kubernetes.default.svc.cluster.local/api/v1/namespaces/default/pods");
    assert.equal(pods.code, "403");
    assert.equal(JSON.parse(pods.body).reason, "Forbidden");
    const token = curl("-H", "Authorization: Bearer not-a-token", "https://10.96.0.1/api");
    assert.equal(token.code, "401");
    // TLS for real: the certificate is kubeadm-like, for the Service's names and address.
    const cert = spawnSync(
      process.execPath,
      [
        PODNET,
        "exec",
        "--name",
        cluster,
        "client",
        "--",
        "sh",
        "-c",
        "openssl s_client -connect 10.96.0.1:443 </dev/null 2>/dev/null | openssl x509 -noout -ext subjectAltName",
      ],
      { encoding: "utf8" },
    );
    assert.match(cert.stdout, /DNS:kubernetes\.default\.svc\.cluster\.local/);
    assert.match(cert.stdout, /IP Address:10\.96\.0\.1/);
  } finally {
    await down(cluster);
    assert.deepEqual(clusterNamespaces(cluster), []);
    rmSync(dir, { recursive: true, force: true });
  }
});
