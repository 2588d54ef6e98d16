// Expected output from kubectl's printers (pkg/printers/internalversion/printers.go)
// and `kubectl get`'s messages; the service table is seed 004's `kubectl get service`.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  findResource,
  getView,
  loadBalancerString,
  serviceExternalIP,
  servicePorts,
  formatEndpoints,
  nodeRoles,
  ingressHosts,
} from "./get.js";
import { endpointsFor } from "./objects.js";
import { describeDeployment } from "./describe-objects.js";
import type { PodState } from "../control/state.js";
import { parse } from "yaml";
import { pod, seed004State, service, slice } from "./testing.js";
import { cluster } from "../control/testing.js";

const res = (n: string) => findResource(n)!;

test("get services: seed 004's kubectl output, exactly", () => {
  const s = seed004State();
  const out = getView(s, res("svc"));
  assert.equal(out.exitCode, 0);
  assert.equal(
    out.stdout,
    [
      "NAME            TYPE           CLUSTER-IP       EXTERNAL-IP   PORT(S)          AGE",
      "auth-service    ClusterIP      10.109.214.64    <none>        80/TCP           2m4s",
      "kubernetes      ClusterIP      10.96.0.1        <none>        443/TCP          40h",
      "users-service   LoadBalancer   10.109.194.160   <pending>     8080:31344/TCP   17h",
      "",
    ].join("\n"),
  );
});

test("short names and plural/singular forms resolve like kubectl's", () => {
  const pairs: [string, string][] = [
    ["po", "pods"],
    ["pod", "pods"],
    ["svc", "services"],
    ["ep", "endpoints"],
    ["no", "nodes"],
    ["netpol", "networkpolicies"],
    ["ing", "ingresses"],
    ["ns", "namespaces"],
    ["deploy", "deployments"],
    ["rs", "replicasets"],
    ["sts", "statefulsets"],
    ["ds", "daemonsets"],
    ["endpointslice", "endpointslices"],
    ["deployments.apps", "deployments"],
  ];
  for (const [short, plural] of pairs) assert.equal(findResource(short)?.plural, plural, short);
  assert.equal(findResource("bogus"), undefined);
});

test("get pods: columns, -o wide columns, -A puts NAMESPACE first", () => {
  const s = seed004State();
  const plain = getView(s, res("po")).stdout.split("\n")[0];
  assert.deepEqual(plain.split(/\s{2,}/), ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
  const wide = getView(s, res("po"), { output: "wide" }).stdout.split("\n");
  assert.deepEqual(wide[0].split(/\s{2,}/), [
    "NAME",
    "READY",
    "STATUS",
    "RESTARTS",
    "AGE",
    "IP",
    "NODE",
    "NOMINATED NODE",
    "READINESS GATES",
  ]);
  const pending = wide.find((l) => l.startsWith("users-deployment-6d9f8b7c5-g5h6i"))!;
  assert.deepEqual(pending.split(/\s+/), [
    "users-deployment-6d9f8b7c5-g5h6i",
    "0/1",
    "Pending",
    "0",
    "5s",
    "<none>",
    "<none>",
    "<none>",
    "<none>",
  ]);
  const all = getView(s, res("svc"), { allNamespaces: true }).stdout.split("\n");
  assert.deepEqual(all[0].split(/\s{2,}/).slice(0, 2), ["NAMESPACE", "NAME"]);
  assert.ok(all.some((l) => l.startsWith("kube-system   kube-dns")));
});

test("-o name prints resource/name (with the API group for grouped kinds)", () => {
  const s = seed004State();
  const out = getView(s, res("po"), { names: ["auth-deployment-5c8b9d7f4-x2k9p"], output: "name" });
  assert.equal(out.stdout, "pod/auth-deployment-5c8b9d7f4-x2k9p\n");
  assert.equal(
    getView(s, res("svc"), { output: "name" }).stdout,
    "service/auth-service\nservice/kubernetes\nservice/users-service\n",
  );
  assert.equal(res("deploy").nameRef, "deployment.apps");
  assert.equal(res("endpointslices").nameRef, "endpointslice.discovery.k8s.io");
});

test("NotFound and empty results use kubectl's messages", () => {
  const s = seed004State();
  const nf = getView(s, res("po"), { names: ["x"] });
  assert.equal(nf.stderr, 'Error from server (NotFound): pods "x" not found\n');
  // A group's resource is named with its group (schema.GroupResource.String()).
  const dep = getView(s, res("deploy"), { names: ["x"] });
  assert.equal(dep.stderr, 'Error from server (NotFound): deployments.apps "x" not found\n');
  const netpol = getView(s, res("netpol"), { names: ["x"] });
  assert.equal(netpol.stderr, 'Error from server (NotFound): networkpolicies.networking.k8s.io "x" not found\n');
  assert.equal(nf.exitCode, 1);
  assert.equal(nf.stdout, "");
  const none = getView(s, res("netpol"));
  assert.equal(none.stderr, "No resources found in default namespace.\n");
  assert.equal(none.exitCode, 0);
  assert.equal(
    getView(s, res("po"), { namespace: "production" }).stderr,
    "No resources found in production namespace.\n",
  );
  assert.equal(getView(s, res("netpol"), { allNamespaces: true }).stderr, "No resources found\n");
});

test("EXTERNAL-IP: <none>, <pending>, LB ingress (sorted, truncated to 16 unless wide), externalIPs, externalName", () => {
  assert.equal(serviceExternalIP(service("d", "a"), false), "<none>");
  assert.equal(serviceExternalIP(service("d", "a", { type: "NodePort", externalIPs: ["1.2.3.4"] }), false), "1.2.3.4");
  assert.equal(serviceExternalIP(service("d", "a", { type: "LoadBalancer" }), false), "<pending>");
  assert.equal(
    serviceExternalIP(service("d", "a", { type: "LoadBalancer", loadBalancerIPs: ["192.168.1.240"] }), false),
    "192.168.1.240",
  );
  const two = ["192.168.1.241", "192.168.1.240"];
  assert.equal(loadBalancerString(two, true), "192.168.1.240,192.168.1.241");
  assert.equal(loadBalancerString(two, false), "192.168.1.240...");
  assert.equal(
    serviceExternalIP(
      service("d", "a", { type: "LoadBalancer", loadBalancerIPs: ["10.0.0.1"], externalIPs: ["1.1.1.1"] }),
      false,
    ),
    "10.0.0.1,1.1.1.1",
  );
  assert.equal(
    serviceExternalIP(service("d", "a", { type: "ExternalName", externalName: "db.example.com" }), false),
    "db.example.com",
  );
});

test("PORT(S): port/proto, port:nodePort/proto, joined with commas, <none> when empty", () => {
  assert.equal(servicePorts(service("d", "a")), "<none>");
  assert.equal(
    servicePorts(
      service("d", "a", {
        ports: [
          { port: 53, protocol: "UDP", targetPort: 53 },
          { port: 80, protocol: "TCP", targetPort: 8080, nodePort: 30080 },
        ],
      }),
    ),
    "53/UDP,80:30080/TCP",
  );
});

test("headless and ExternalName CLUSTER-IP: None and <none>; -o wide adds SELECTOR", () => {
  const s = seed004State();
  s.services = [
    service("default", "h", {
      clusterIP: "None",
      selector: { app: "web", tier: "a" },
      ports: [{ port: 80, protocol: "TCP", targetPort: 80 }],
    }),
    service("default", "x", { type: "ExternalName", externalName: "db.example.com" }),
  ];
  const lines = getView(s, res("svc"), { output: "wide" }).stdout.split("\n");
  assert.deepEqual(lines[0].split(/\s{2,}/), [
    "NAME",
    "TYPE",
    "CLUSTER-IP",
    "EXTERNAL-IP",
    "PORT(S)",
    "AGE",
    "SELECTOR",
  ]);
  assert.deepEqual(lines[1].split(/\s+/), ["h", "ClusterIP", "None", "<none>", "80/TCP", "40h", "app=web,tier=a"]);
  assert.deepEqual(lines[2].split(/\s+/), ["x", "ExternalName", "<none>", "db.example.com", "<none>", "40h", "<none>"]);
});

test("endpoints: ip:port, only ready addresses, truncated after 3 with ' + N more...'", () => {
  const s = seed004State();
  const ips = ["10.244.1.5", "10.244.2.3", "10.244.1.7", "10.244.2.9", "10.244.1.2"];
  s.endpointSlices = [slice("default", "users-service", "users-service-abcde", 8080, ips)];
  s.endpointSlices[0].endpoints.push({ addresses: ["10.244.2.99"], conditions: { ready: false } });
  const e = endpointsFor(s, s.services.find((x) => x.name === "users-service")!);
  // Endpoints addresses are sorted by IP (RepackSubsets) before kubectl takes the first 3.
  assert.equal(formatEndpoints(e), "10.244.1.2:8080,10.244.1.5:8080,10.244.1.7:8080 + 2 more...");
  assert.deepEqual(
    e.subsets[0].notReadyAddresses.map((a) => a.ip),
    ["10.244.2.99"],
  );
  const none = endpointsFor(s, s.services.find((x) => x.name === "auth-service")!);
  assert.equal(formatEndpoints(none), "<none>");
  const table = getView(s, res("ep")).stdout.split("\n");
  assert.deepEqual(table[0].split(/\s{2,}/), ["NAME", "ENDPOINTS", "AGE"]);
});

test("endpointslices: NAME ADDRESSTYPE PORTS ENDPOINTS AGE, <unset> when empty", () => {
  const s = seed004State();
  s.endpointSlices = [
    slice("default", "auth-service", "auth-service-abcde", 80, []),
    slice("default", "users-service", "users-service-x", 8080, ["1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4"]),
  ];
  const lines = getView(s, res("endpointslices")).stdout.split("\n");
  assert.deepEqual(lines[0].split(/\s{2,}/), ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]);
  assert.deepEqual(lines[1].split(/\s{2,}/), ["auth-service-abcde", "IPv4", "80", "<unset>", "2m4s"]);
  assert.ok(lines[2].includes("1.1.1.1,1.1.1.2,1.1.1.3 + 1 more..."));
});

test("nodes: ROLES from node-role.kubernetes.io/* labels, wide columns", () => {
  assert.equal(nodeRoles({ "node-role.kubernetes.io/control-plane": "" }), "control-plane");
  assert.equal(nodeRoles({}), "<none>");
  assert.equal(nodeRoles({ "node-role.kubernetes.io/worker": "", "kubernetes.io/role": "infra" }), "infra,worker");
  const s = seed004State();
  const lines = getView(s, res("no"), { output: "wide" }).stdout.split("\n");
  assert.deepEqual(lines[0].split(/\s{2,}/), [
    "NAME",
    "STATUS",
    "ROLES",
    "AGE",
    "VERSION",
    "INTERNAL-IP",
    "EXTERNAL-IP",
    "OS-IMAGE",
    "KERNEL-VERSION",
    "CONTAINER-RUNTIME",
  ]);
  assert.ok(lines[1].startsWith("control-plane   Ready    control-plane   40h"));
});

test("ingress HOSTS: '*' without hosts, at most 3 then ' + N more...'", () => {
  assert.equal(ingressHosts([{}]), "*");
  assert.equal(ingressHosts([{ host: "a" }, { host: "b" }, { host: "c" }, { host: "d" }]), "a,b,c + 1 more...");
});

test("-l selects by labels, --show-labels adds LABELS", () => {
  const s = seed004State();
  const out = getView(s, res("po"), { selector: "app=auth-deployment", showLabels: true }).stdout.split("\n");
  assert.equal(out.length, 3);
  assert.ok(out[0].endsWith("LABELS"));
  assert.ok(out[1].endsWith("app=auth-deployment"));
});

test("-o yaml: a single object for one NAME, a `kind: List` otherwise; pods carry podIP/podIPs/hostIP", () => {
  const s = seed004State();
  const one = parse(getView(s, res("po"), { names: ["auth-deployment-5c8b9d7f4-x2k9p"], output: "yaml" }).stdout);
  assert.equal(one.kind, "Pod");
  assert.equal(one.apiVersion, "v1");
  assert.equal(one.status.podIP, "10.244.1.5");
  assert.deepEqual(one.status.podIPs, [{ ip: "10.244.1.5" }]);
  assert.equal(one.status.hostIP, "192.168.1.11");
  assert.equal(one.status.phase, "Running");
  assert.ok(
    one.status.conditions.some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True"),
  );
  const list = parse(getView(s, res("svc"), { output: "yaml" }).stdout);
  assert.equal(list.kind, "List");
  assert.equal(list.apiVersion, "v1");
  assert.equal(list.items.length, 3);
  const users = list.items.find((i: { metadata: { name: string } }) => i.metadata.name === "users-service");
  assert.deepEqual(users.spec.clusterIPs, ["10.109.194.160"]);
  assert.deepEqual(users.spec.ports, [{ nodePort: 31344, port: 8080, protocol: "TCP", targetPort: 8080 }]);
  // kubectl -o yaml prints keys sorted and does not indent sequences.
  const text = getView(s, res("svc"), { names: ["auth-service"], output: "yaml" }).stdout;
  assert.match(text, /^apiVersion: v1\nkind: Service\nmetadata:\n/);
  assert.match(text, /\n {2}clusterIPs:\n {2}- 10\.109\.214\.64\n/);
  const jsonText = getView(s, res("svc"), { output: "json" }).stdout;
  const json = JSON.parse(jsonText);
  assert.equal(json.kind, "List");
  // kubectl -o json: four-space indent, keys sorted (unstructured maps), resourceVersion "".
  assert.deepEqual(Object.keys(json), ["apiVersion", "items", "kind", "metadata"]);
  assert.deepEqual(json.metadata, { resourceVersion: "" });
  assert.match(jsonText, /^\{\n {4}"apiVersion": "v1",\n/);
});

test("a name given with -A is refused like kubectl", () => {
  const out = getView(seed004State(), res("po"), { names: ["x"], allNamespaces: true });
  assert.equal(out.exitCode, 1);
  assert.match(out.stderr, /cannot be retrieved by name across all namespaces/);
});

test("pods: READY counts containers; Terminating status", () => {
  const s = seed004State();
  s.pods = [
    pod("default", "two-abcdefghi-12345", "10.244.1.9", "worker-1", {
      spec: { containers: [{ name: "a" }, { name: "b" }] },
      created: s.clock,
    }),
    pod("default", "old-abcdefghi-12345", "10.244.1.8", "worker-1", { terminating: true }),
  ];
  const rows = getView(s, res("po")).stdout.split("\n");
  assert.deepEqual(rows[2].split(/\s+/), ["two-abcdefghi-12345", "2/2", "Running", "0", "0s"]);
  assert.equal(rows[1].split(/\s+/)[2], "Terminating");
});

test("a Deployment of 130,000 pods: get and describe count them (no spread of one argument per pod)", () => {
  const s = seed004State();
  const n = 130_000;
  const pods: PodState[] = Array.from({ length: n }, (_, i) => ({
    ...s.pods[0],
    name: `big-5c8b9d7f4-${i}`,
    workload: { ...s.pods[0].workload, kind: "Deployment", name: "big" },
    owner: { kind: "ReplicaSet", name: "big-5c8b9d7f4" },
    ready: i % 2 === 0,
  }));
  const deploy = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "big", namespace: "default" },
    spec: { replicas: n, selector: { matchLabels: { app: "big" } } },
  };
  const big = { ...s, pods: [...s.pods, ...pods], workloads: [deploy] };
  // printDeployment: READY readyReplicas/replicas, UP-TO-DATE, AVAILABLE.
  const d = getView(big, res("deploy")).stdout.split("\n")[1].split(/\s+/);
  assert.deepEqual(d.slice(0, 4), ["big", "65000/130000", "130000", "65000"]);
  // printReplicaSet: DESIRED, CURRENT, READY.
  const rs = getView(big, res("rs")).stdout.split("\n");
  const row = rs.find((l) => l.startsWith("big-5c8b9d7f4 "))!.split(/\s+/);
  assert.deepEqual(row.slice(0, 4), ["big-5c8b9d7f4", "130000", "130000", "65000"]);
  assert.match(describeDeployment(big, deploy), /130000 desired \| 130000 updated \| 130000 total \| 65000 available/);
});

test("get rs -o wide: SELECTOR is the ReplicaSet's own, pod-template-hash once", () => {
  // printers.go printReplicaSet: metav1.FormatLabelSelector(rs.Spec.Selector); the deployment
  // controller already put pod-template-hash in it (pkg/controller/deployment/sync.go).
  const s = seed004State();
  const p = {
    ...s.pods[0],
    name: "frontend-5c8f8d7b6f-7hq2m",
    labels: { app: "frontend", "pod-template-hash": "5c8f8d7b6f" },
    owner: { kind: "ReplicaSet", name: "frontend-5c8f8d7b6f" },
  };
  const rs = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name: "frontend-5c8f8d7b6f", namespace: "default" },
    spec: { replicas: 1, selector: { matchLabels: { app: "frontend", "pod-template-hash": "5c8f8d7b6f" } } },
  };
  const out = getView({ ...s, pods: [p], workloads: [rs] }, res("rs"), { output: "wide" }).stdout;
  assert.equal(out.split("\n")[1].split(/\s+/).at(-1), "app=frontend,pod-template-hash=5c8f8d7b6f");
});

test("a controller read from a cluster prints its status' counts, not its pods'", () => {
  // printers.go printDaemonSet: DesiredNumberScheduled, CurrentNumberScheduled, NumberReady,
  // UpdatedNumberScheduled, NumberAvailable; printDeployment: ReadyReplicas/Spec.Replicas,
  // UpdatedReplicas, AvailableReplicas; printStatefulSet: ReadyReplicas/Spec.Replicas;
  // printReplicaSet: Spec.Replicas, Status.Replicas, ReadyReplicas.
  const s = seed004State();
  const meta = (name: string) => ({ name, namespace: "default" });
  const tmpl = { metadata: { labels: { app: "x" } }, spec: { containers: [{ name: "c", image: "i" }] } };
  const workloads = [
    {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: meta("agent"),
      spec: { selector: { matchLabels: { app: "x" } }, template: tmpl },
      status: {
        desiredNumberScheduled: 5,
        currentNumberScheduled: 4,
        numberReady: 3,
        updatedNumberScheduled: 2,
        numberAvailable: 1,
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: meta("web"),
      spec: { replicas: 4, template: tmpl },
      status: { replicas: 4, readyReplicas: 3, updatedReplicas: 2, availableReplicas: 1 },
    },
    {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: meta("db"),
      spec: { replicas: 3, template: tmpl },
      status: { replicas: 3, readyReplicas: 2 },
    },
    {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: meta("web-6d4cf56db6"),
      spec: { replicas: 4, template: tmpl },
      // readyReplicas omitted (omitempty): 0.
      status: { replicas: 3 },
    },
  ];
  const st = { ...s, pods: [], workloads };
  const row = (kind: string) => getView(st, res(kind)).stdout.split("\n")[1].split(/\s+/);
  assert.deepEqual(row("ds").slice(0, 6), ["agent", "5", "4", "3", "2", "1"]);
  assert.deepEqual(row("deploy").slice(0, 4), ["web", "3/4", "2", "1"]);
  assert.deepEqual(row("sts").slice(0, 2), ["db", "2/3"]);
  assert.deepEqual(row("rs").slice(0, 4), ["web-6d4cf56db6", "4", "3", "0"]);
  // describe.go describeDeployment: Spec.Replicas, then Status' updated, total, available,
  // unavailable (absent: 0).
  assert.match(
    describeDeployment(st, workloads[1] as never),
    /Replicas:\s+4 desired \| 2 updated \| 4 total \| 1 available \| 0 unavailable\n/,
  );
});

test("get rs: a ReplicaSet only a dump's pods name is not listed as if it were known", () => {
  // kubectl get lists what the API server has (kubernetes/kubectl pkg/cmd/get/get.go); a
  // ReplicaSet the dump lacks has no selector, spec or creationTimestamp to print.
  const s = seed004State();
  const p = {
    ...s.pods[0],
    namespace: "kube-system",
    name: "coredns-7db6d8ff4d-5xq7n",
    owner: { kind: "ReplicaSet", name: "coredns-7db6d8ff4d" },
    observed: true,
    status: { phase: "Running" },
  };
  // The control plane keeps it (impliedReplicaSets) to account for the pods; a state without
  // that list knows ReplicaSets through their pods' owners.
  const implied = {
    namespace: "kube-system",
    name: "coredns-7db6d8ff4d",
    deployment: null,
    podTemplateHash: "7db6d8ff4d",
    replicas: 0,
  };
  for (const replicaSets of [[implied], undefined]) {
    const out = getView({ ...s, pods: [p], workloads: [], replicaSets }, res("rs"), { namespace: "kube-system" });
    assert.equal(out.stdout, "");
    assert.equal(out.stderr, "No resources found in kube-system namespace.\n");
  }
});

test("get svc: a load balancer known by hostname shows it in EXTERNAL-IP (truncated unless wide)", () => {
  // printers.go loadBalancerStatusStringer: each ingress entry's IP, else its hostname;
  // the hostname is no Service address (no kube-proxy rule), but kubectl prints it.
  const s = cluster(
    "apiVersion: v1\nkind: Service\nmetadata: {name: elb}\nspec: {type: LoadBalancer, ports: [{port: 443}]}\nstatus:\n  loadBalancer:\n    ingress: [{hostname: a1b2-123.eu-west-1.elb.amazonaws.com}]\n",
  );
  assert.deepEqual(s.services.find((x) => x.name === "elb")!.loadBalancerIPs, []);
  assert.match(getView(s, res("svc"), { names: ["elb"] }).stdout, / a1b2-123\.eu-w\.\.\. /);
  assert.match(
    getView(s, res("svc"), { names: ["elb"], output: "wide" }).stdout,
    / a1b2-123\.eu-west-1\.elb\.amazonaws\.com /,
  );
});

test("get pod -o yaml: a pod podnet made carries the DefaultTolerationSeconds admission's tolerations", async () => {
  const { podObject } = await import("./objects.js");
  // plugin/pkg/admission/defaulttolerationseconds/admission.go: not-ready and unreachable,
  // NoExecute, 300 s, each unless a toleration already covers that taint.
  const s = cluster(`
apiVersion: v1
kind: Pod
metadata: {name: plain}
spec: {containers: [{name: a, image: busybox}]}
---
apiVersion: v1
kind: Pod
metadata: {name: all}
spec: {containers: [{name: a, image: busybox}], tolerations: [{operator: Exists}]}
---`);
  const tol = (name: string) =>
    (podObject(s, s.pods.find((p) => p.name === name)!).spec as { tolerations?: unknown }).tolerations;
  assert.deepEqual(tol("plain"), [
    { effect: "NoExecute", key: "node.kubernetes.io/not-ready", operator: "Exists", tolerationSeconds: 300 },
    { effect: "NoExecute", key: "node.kubernetes.io/unreachable", operator: "Exists", tolerationSeconds: 300 },
  ]);
  assert.deepEqual(tol("all"), [{ operator: "Exists" }]);
});
