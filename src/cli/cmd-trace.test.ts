// `podnet trace -o json`: Hubble's verdict fields on every path (cilium/cilium
// api/v1/flow/flow.proto: drop_reason is the number, drop_reason_desc the DropReason's
// name), the TraceResult's own fields kept, the deciding step marked.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const run = (...args: string[]) => spawnSync(process.execPath, ["bin/podnet.js", ...args], { encoding: "utf8" });
type Path = {
  verdict: string;
  drop_reason?: number;
  drop_reason_desc?: string;
  disposition: { verdict: string; reason?: string };
  hops: { steps: { action: string; decided?: boolean }[] }[];
};

test("trace -o json: a port nobody listens on is REFUSED, NO_LISTENER (0: Hubble has none), its step marked", () => {
  const r = run("trace", "order-app", "user-app", "-p", "9999", "-o", "json");
  assert.equal(r.status, 0, r.stderr);
  const p: Path = JSON.parse(r.stdout).paths[0];
  assert.deepEqual([p.verdict, p.drop_reason, p.drop_reason_desc], ["REFUSED", 0, "NO_LISTENER"]);
  // The existing fields stay.
  assert.deepEqual([p.disposition.verdict, p.disposition.reason], ["REFUSED", "NO_LISTENER"]);
  const decided = p.hops.flatMap((h) => h.steps).filter((s) => s.decided);
  assert.deepEqual(
    decided.map((s) => s.action),
    ["REFUSED"],
  );
});

test("trace -o json: a delivered path has its verdict and no drop fields; the DNS query's paths too", () => {
  const r = run("trace", "order-app", "http://user-service", "-o", "json");
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  for (const p of [...j.paths, ...j.dns.path] as Path[]) {
    assert.equal(p.verdict, "DELIVERED");
    assert.equal(p.drop_reason, undefined);
    assert.equal(p.drop_reason_desc, undefined);
    assert.ok(p.hops.every((h) => h.steps.every((s) => !s.decided)));
  }
});

test("trace: the text view marks the deciding step with ✗ in the margin", () => {
  const r = run("trace", "client", "http://web", "-f", "examples/broken/ingress-deny");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ +✗ POLICY +ingress of default\/web-/m);
  assert.match(r.stdout, /=> DROPPED \(POLICY_DENIED\)/);
});

test('trace client web:80: NAME:PORT is the name the pod looks up, not a pod called "web:80"', () => {
  // The Service lives in namespace shop: from default, web.default.svc.cluster.local and the
  // rest of the search list get NXDOMAIN
  // (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#namespaces-of-services).
  const r = run("trace", "client", "web:80", "-f", "examples/broken/wrong-namespace", "-o", "json");
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.dns.walk[0].name, "web.default.svc.cluster.local");
  for (const p of j.paths as Path[]) assert.deepEqual([p.verdict, p.disposition.reason], ["DROPPED", "DNS_NXDOMAIN"]);
  const ok = run("trace", "client", "web.shop:80", "-f", "examples/broken/wrong-namespace", "-o", "json");
  assert.equal(ok.status, 0, ok.stderr);
  for (const p of JSON.parse(ok.stdout).paths as Path[]) assert.equal(p.verdict, "DELIVERED");
});

/** Where a trace from `client` to `to` ends, one entry per path, sorted; every path delivered. */
function traceEnds(client: string, to: string, files: string[]): string[] {
  const r = spawnSync(process.execPath, ["bin/podnet.js", "trace", client, to, ...files, "-o", "json"], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { paths: { verdict: string; disposition: { ns: string } }[] };
  assert.ok(j.paths.every((p) => p.verdict === "DELIVERED"));
  return j.paths.map((p) => p.disposition.ns).sort();
}
const TOPOLOGY = ["-f", "examples/topology/app.yaml", "--config", "examples/topology/cluster.yaml"];
/** A pod's namespace without its ReplicaSet hash and suffix: "pod/default/web-a". */
const workload = (ns: string) => ns.replace(/-[a-z0-9]+-[a-z0-9]{5}$/, "");

test("trace: zone hints send each zone's pods to its own endpoints (examples/topology)", () => {
  const dests = (client: string) => traceEnds(client, "svc/web", TOPOLOGY).map(workload);
  // zone-a's two endpoints, zone-b's one; zone-c has none hinted for it: all three.
  assert.deepEqual(dests("client-a"), ["pod/default/web-a", "pod/default/web-a"]);
  assert.deepEqual(dests("client-b"), ["pod/default/web-b"]);
  assert.deepEqual(dests("client-c"), ["pod/default/web-a", "pod/default/web-a", "pod/default/web-b"]);
});

test("trace: PreferSameNode sends a pod to the endpoints on its own node, else its zone's (examples/topology web-node)", () => {
  const dests = (client: string) => traceEnds(client, "svc/web-node", TOPOLOGY);
  // client-a's node (worker-a) runs one of zone-a's two web-a pods (the other is on the
  // control plane): that one alone, where svc/web (PreferClose) takes both.
  const a = dests("client-a");
  assert.equal(a.length, 1);
  assert.ok(traceEnds("client-a", "svc/web", TOPOLOGY).includes(a[0]));
  assert.deepEqual(dests("client-b").map(workload), ["pod/default/web-b"]);
  // client-c: no endpoint on its node nor in its zone: all three.
  assert.equal(dests("client-c").length, 3);
});

test("trace: topology-mode Auto shares endpoints by zone CPU (examples/topology web-auto)", () => {
  const dests = (client: string) => traceEnds(client, "svc/web-auto", TOPOLOGY);
  // Three workers of equal CPU, one zone each (the control plane is left out): one endpoint
  // per zone, so one of zone-a's two web-a pods is zone-c's, the other zone-a's.
  const a = dests("client-a");
  const c = dests("client-c");
  assert.equal(a.length, 1);
  assert.equal(c.length, 1);
  assert.deepEqual([workload(a[0]), workload(c[0])], ["pod/default/web-a", "pod/default/web-a"]);
  assert.notEqual(a[0], c[0]);
  assert.deepEqual(dests("client-b").map(workload), ["pod/default/web-b"]);
});

test("trace over a dump: the EndpointSlice's zone hints as given (examples/snapshots/kind-zones.yaml)", () => {
  const dests = (client: string) => traceEnds(client, "svc/web", ["-f", "examples/snapshots/kind-zones.yaml"]);
  // kind-worker2 is zone-b: its one endpoint; kind-worker is zone-a: the two there.
  assert.deepEqual(dests("web-7d77fb55cc-9mzqn"), ["pod/default/web-7d77fb55cc-9mzqn"]);
  assert.deepEqual(dests("web-7d77fb55cc-4xk2p"), [
    "pod/default/web-7d77fb55cc-4xk2p",
    "pod/default/web-7d77fb55cc-tqw8b",
  ]);
});

test('trace: kube-proxy without a local detector (clusterCIDR "") gives pods no short-cut to an eTP Local NodePort', () => {
  // kubernetes pkg/proxy/iptables/proxier.go: the "pod traffic for … external destinations"
  // rule (-s <clusterCIDR> → the Cluster path) only when localDetector.IsImplemented(). The
  // client on worker-2 calls worker-2's NodePort; web runs on worker-1 only.
  const dir = mkdtempSync(join(tmpdir(), "podnet-kpcc-"));
  try {
    const base = "examples/broken/external-traffic-policy-local";
    const config = join(dir, "cluster.yaml");
    writeFileSync(
      config,
      readFileSync(join(base, "cluster.yaml"), "utf8").replace(
        "  kubeProxyMode: iptables\n",
        '  kubeProxyMode: iptables\n  kubeProxyClusterCIDR: ""\n',
      ),
    );
    const verdicts = (args: string[]) => {
      const r = run("trace", "client", "192.168.1.4:30080", "-f", join(base, "manifests.yaml"), ...args, "-o", "json");
      assert.equal(r.status, 0, r.stderr);
      return (JSON.parse(r.stdout).paths as Path[]).map((p) => [p.verdict, p.disposition.reason ?? ""]);
    };
    assert.deepEqual(verdicts(["--config", join(base, "cluster.yaml")]), [["DELIVERED", ""]]);
    assert.deepEqual(verdicts(["--config", config]), [["DROPPED", "SERVICE_BACKEND_NOT_FOUND"]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
