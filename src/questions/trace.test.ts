// The trace session: what every asker (CLI, web view, check, demo) traces through.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCluster } from "../load/cluster.js";
import { embeddedExampleDir } from "../load/input.js";
import { runTrace } from "../ui-server/api.js";
import { modelSession, traceSession, TraceInputError, IptablesParseError } from "./trace.js";
import { shopSession } from "./testing.js";

const { state } = await loadCluster({});

test("modelSession: builds the IR with the proxy mode asked for and traces names", () => {
  const s = modelSession(state, { proxyMode: "nftables" });
  assert.equal(s.ir.proxyMode, "nftables");
  assert.equal(s.state, state);
  const r = s.trace({ from: "order-app", to: "http://user-service" }, { noDnsPath: true });
  assert.ok(r.dns?.answer, "the name resolved through the cluster's resolver walk");
  assert.ok(r.paths.every((p) => p.disposition.verdict === "DELIVERED"));
});

test("modelSession: ipvs mode brings its ipsets, so Service traces work (the web view's too)", () => {
  const s = modelSession(state, { proxyMode: "ipvs" });
  const r = s.trace({ from: "order-app", to: "svc/user-service" });
  assert.ok(r.paths.length > 0);
  assert.ok(
    r.paths.every((p) => p.disposition.verdict === "DELIVERED"),
    JSON.stringify(r.paths[0].disposition),
  );
  const web = runTrace(s, { from: "order-app", to: "svc/user-service" });
  assert.deepEqual(
    web.paths.map((p) => p.disposition.verdict),
    r.paths.map((p) => p.disposition.verdict),
  );
});

test("traceSession over a bare IR: no state, flows name pods and addresses", () => {
  const m = modelSession(state);
  const s = traceSession(undefined, m.ir);
  assert.equal(s.state, undefined);
  const pod = state.pods.find((p) => p.name.startsWith("user-app-") && p.podIP)!;
  const r = s.trace({ from: "order-app", to: `${pod.podIP}:8080` });
  assert.equal(r.paths[0].disposition.verdict, "DELIVERED");
});

test("withNodeRules: a real node's iptables-save replaces that node's rules; errors are typed", () => {
  const s = modelSession(state);
  const node = state.nodes[1].name;
  const dump = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n";
  const replaced = s.withNodeRules(node, dump, "node.rules");
  assert.notEqual(replaced.ir, s.ir);
  assert.equal(replaced.state, state);
  assert.equal(replaced.ir.nodes.find((n) => n.name === node)?.ns.netfilter.iptables.length, 1);
  assert.throws(() => s.withNodeRules("no-such-node", dump), TraceInputError);
  assert.throws(() => s.withNodeRules(node, "*filter\n-A NOPE\n", "bad.rules"), IptablesParseError);
});

test("a Service's target port the container does not declare: the app is taken to listen there, and the trace says so", async () => {
  const { parseSpec } = await import("../manifest/parse.js");
  const { buildState } = await import("../control/build.js");
  // The Kubernetes docs: "Not specifying a port here DOES NOT prevent that port from being
  // exposed" (containerPort is informational): a Flask app on 5000 without ports works.
  const spec = parseSpec([
    {
      file: "app.yaml",
      text: `apiVersion: v1
kind: Pod
metadata: {name: flask, labels: {app: flask}}
spec: {containers: [{name: web, image: flask}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: v1
kind: Service
metadata: {name: flask}
spec: {selector: {app: flask}, ports: [{port: 80, targetPort: 5000}]}
`,
    },
  ]);
  const s = modelSession(buildState(spec));
  const r = s.trace({ from: "client", to: "svc/flask" });
  assert.deepEqual(
    r.paths.map((p) => p.disposition.verdict),
    ["DELIVERED"],
  );
  assert.match(
    r.paths[0].disposition.detail,
    /container web listens on tcp 0\.0\.0\.0:5000 \(assumed: Service default\/flask targets this undeclared port\)/,
  );
  // Another port of the same pod, which no Service targets: nothing listens.
  const flask = s.state!.pods.find((p) => p.name === "flask")!;
  const other = s.trace({ from: "client", to: `${flask.podIP}:6000` });
  assert.equal(other.paths[0].disposition.verdict, "REFUSED");
});

test("a name in the pod's /etc/hosts is answered by the file: no DNS query traced, the connection goes to its address", async () => {
  const { cluster } = await import("../control/testing.js");
  const { renderTrace } = await import("./trace.js");
  const s = cluster(`
apiVersion: v1
kind: Pod
metadata: {name: hostaliases-pod}
spec:
  hostAliases: [{ip: "10.1.2.3", hostnames: [foo.remote, bar.remote]}]
  containers: [{name: c, image: busybox}]
---`);
  const session = modelSession(s);
  const r = session.trace({ from: "hostaliases-pod", to: "http://foo.remote" });
  assert.equal(r.flow.dst, "10.1.2.3");
  assert.equal(r.dns?.answer, "10.1.2.3");
  assert.deepEqual(r.dns?.walk, []);
  assert.equal(r.dns?.path, undefined, "no query is sent");
  assert.equal(r.dns?.hosts?.text, "10.1.2.3\tfoo.remote\tbar.remote");
  assert.match(renderTrace(r), /DNS: foo\.remote → 10\.1\.2\.3 from \/etc\/hosts line 11/);
  // The interpreter's own resolver (no state given) reads the IR pod's hosts file too.
  const { traceFlow } = await import("../sim/index.js");
  const bare = traceFlow(session.ir, { from: "default/hostaliases-pod", to: "http://bar.remote" });
  assert.equal(bare.flow.dst, "10.1.2.3");
});

test("the kubernetes Service reaches kube-apiserver on the control-plane node's 6443, in every proxy mode", async () => {
  // The Service's endpoints are the control-plane nodes' :6443 (kube-apiserver's secure port,
  // kubeadm's default; https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/).
  const { planFlows } = await import("./verify.js");
  for (const proxyMode of ["iptables", "nftables", "ipvs"] as const) {
    const s = modelSession(state, { proxyMode });
    const r = s.trace({ from: "order-app", to: "https://kubernetes.default/version" });
    assert.ok(r.paths.length > 0);
    for (const p of r.paths) {
      assert.equal(p.disposition.verdict, "DELIVERED", `${proxyMode}: ${p.disposition.detail}`);
      assert.equal(p.disposition.ns, "node/control-plane");
      assert.equal(p.disposition.container, "kube-apiserver");
      assert.equal(p.disposition.port, 6443);
    }
    // verify compares it without a pod name: a TLS server's answer names none.
    const plan = planFlows(s.ir, state, "c", ["services"], []);
    const k = plan.filter((f) => f.flow.to.startsWith("svc default/kubernetes "));
    assert.ok(k.length > 0);
    for (const f of k) assert.equal(f.anonymous, true);
  }
});

test("an observed container not running (CrashLoopBackOff) listens on nothing: the connection is refused", async () => {
  // No process in the container, while the pod's sandbox keeps its address: the pod's kernel
  // answers a SYN to the closed port with a RST. Status shape: kubectl get pod -o yaml of a
  // crash-looping pod (core/v1 ContainerStatus, state.waiting.reason).
  const pod = (name: string, ip: string, state: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: default, uid: 1d9e0a6c-${ip.split(".").join("")}-4c3b-8a51-7b2d3e4f5a6b, labels: {app: ${name}}}
spec:
  nodeName: kind-worker
  containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]
status:
  phase: Running
  hostIP: 172.18.0.3
  podIP: ${ip}
  conditions: [{type: Ready, status: "${state === "running" ? "True" : "False"}"}]
  containerStatuses:
  - name: web
    image: nginx
    ready: ${state === "running"}
    restartCount: 7
    state: ${state === "running" ? "{running: {startedAt: '2024-05-10T10:00:00Z'}}" : "{waiting: {reason: CrashLoopBackOff, message: back-off 5m0s}}"}
`;
  const dir = mkdtempSync(join(tmpdir(), "podnet-crash-"));
  const file = join(dir, "dump.yaml");
  writeFileSync(
    file,
    `${pod("client", "10.244.1.5", "running")}---\n${pod("crashing", "10.244.1.6", "waiting")}---\n${pod("fine", "10.244.1.7", "running")}`,
  );
  const { state: s } = await loadCluster({ files: [file], warn: () => {} }).finally(() =>
    rmSync(dir, { recursive: true, force: true }),
  );
  const session = modelSession(s);
  const crash = session.trace({ from: "client", to: "10.244.1.6", port: 80 });
  assert.deepEqual(
    crash.paths.map((p) => [p.disposition.verdict, p.disposition.reason]),
    [["REFUSED", "NO_LISTENER"]],
  );
  assert.match(
    crash.paths[0].disposition.detail ?? "",
    /container web declares it but is not running \(CrashLoopBackOff\)/,
  );
  const fine = session.trace({ from: "client", to: "10.244.1.7", port: 80 });
  assert.deepEqual(
    fine.paths.map((p) => p.disposition.verdict),
    ["DELIVERED"],
  );
});

test("svc/NAME of a headless Service: the name is looked up and the pods are traced, as http://NAME:PORT", async () => {
  // A headless Service has no virtual IP: its name resolves to the ready pods' addresses
  // (https://kubernetes.io/docs/concepts/services-networking/service/#headless-services).
  const s = shopSession();
  const pods = s.state!.pods.filter((p) => p.namespace === "shop" && p.name.startsWith("db-")).map((p) => p.podIP);
  const r = s.trace({ from: "shop/client", to: "svc/shop/db", port: 5432 }, { noDnsPath: true });
  assert.ok(pods.includes(r.dns?.answer ?? ""), JSON.stringify(r.dns));
  assert.equal(r.flow.port, 5432);
  assert.deepEqual(
    r.paths.map((p) => p.disposition.verdict),
    ["DELIVERED"],
  );
  const byUrl = s.trace({ from: "shop/client", to: "http://db:5432" }, { noDnsPath: true });
  assert.equal(byUrl.flow.dst, r.flow.dst);
  // Without -p: the Service's first port.
  assert.equal(s.trace({ from: "shop/client", to: "svc/db" }, { noDnsPath: true }).flow.port, 5432);
});

test("an address without a port: a cluster IP's Service's first port, a pod IP's first listener", async () => {
  const s = shopSession();
  const web = s.state!.services.find((x) => x.name === "web")!;
  assert.equal(s.trace({ from: "shop/client", to: web.clusterIP! }).flow.port, 9187);
  const db0 = s.state!.pods.find((p) => p.name === "db-0")!;
  const r = s.trace({ from: "shop/client", to: db0.podIP! });
  assert.equal(r.flow.port, 5432);
  assert.equal(r.paths[0].disposition.verdict, "DELIVERED");
  assert.throws(
    () => s.trace({ from: "shop/client", to: "10.244.250.250" }),
    /neither a Service's cluster IP nor a pod's address: give -p PORT/,
  );
});

test("a selectorless Service's endpoint on the node network, no node's or pod's: the packet leaves the cluster for it", async () => {
  // A database VM on the nodes' LAN behind manual Endpoints
  // (https://kubernetes.io/docs/concepts/services-networking/service/#services-without-selectors).
  const dir = mkdtempSync(join(tmpdir(), "podnet-extdb-"));
  const file = join(dir, "db.yaml");
  writeFileSync(
    file,
    `apiVersion: v1
kind: Service
metadata: {name: ext-db}
spec: {ports: [{port: 5432}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: ext-db}
subsets: [{addresses: [{ip: 192.168.1.200}], ports: [{port: 5432}]}]
`,
  );
  const { state: s } = await loadCluster({ files: [embeddedExampleDir(), file], warn: () => {} }).finally(() =>
    rmSync(dir, { recursive: true, force: true }),
  );
  const r = modelSession(s).trace({ from: "order-app", to: "svc/ext-db" });
  assert.deepEqual(
    r.paths.map((p) => p.disposition.verdict),
    ["EXITS_CLUSTER"],
  );
  assert.match(
    r.paths[0].disposition.detail ?? "",
    /192\.168\.1\.200 is on the node network .* a host outside the cluster/,
  );
});

test("svc/NAME of a headless Service without -p: the endpoint's port, as nothing translates it", async () => {
  // No virtual IP and no port mapping: the client connects to the pod's port, which CoreDNS's
  // SRV answer and the EndpointSlice give (the targetPort), not the Service port.
  const { parseSpec } = await import("../manifest/parse.js");
  const { buildState } = await import("../control/build.js");
  const s = buildState(
    parseSpec([
      {
        file: "hl.yaml",
        text: `apiVersion: v1
kind: Service
metadata: {name: web}
spec: {clusterIP: None, selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-0, labels: {app: web}}
spec: {containers: [{name: w, image: nginx, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec: {containers: [{name: c, image: busybox}]}
`,
      },
    ]),
  );
  const r = modelSession(s).trace({ from: "client", to: "svc/web" });
  assert.deepEqual(
    r.paths.map((p) => [p.disposition.verdict, p.disposition.port]),
    [["DELIVERED", 8080]],
  );
});
