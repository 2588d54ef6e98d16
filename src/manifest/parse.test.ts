// Intake: multi-document YAML, JSON, List, locations, ignored kinds, admission defaults.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkSpec, parseSpec, readDocuments } from "./parse.js";
import { Diags } from "./diag.js";
import { SpecError } from "./errors.js";

const deploy = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          ports:
            - containerPort: 8080
`;
const service = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
    - port: 80
      targetPort: 8080
`;

test("multi-document YAML: each document keeps its file, index and line", () => {
  const text = `# leading comment\n${deploy}---\n${service}---\n`;
  const spec = parseSpec([{ file: "app.yaml", text }]);
  assert.deepEqual(
    spec.objects.map((o) => [
      o.kind,
      o.metadata.namespace,
      o.metadata.name,
      o.source?.file,
      o.source?.docIndex,
      o.source?.line,
    ]),
    [
      ["Deployment", "default", "web", "app.yaml", 0, 2],
      ["Service", "default", "web", "app.yaml", 1, 19],
    ],
  );
  const s = spec.objects[1].source!;
  assert.equal(s.lineOf?.("spec.ports[0].port"), 26);
  assert.equal(s.lineOf?.("spec.ports[0].targetPort"), 27);
  // A field that is absent is located at its nearest ancestor.
  assert.equal(s.lineOf?.("spec.ports[0].nodePort"), 26);
  assert.equal(s.lineOf?.("spec.clusterIP"), 23);
  const d = spec.objects[0].source!;
  assert.equal(d.lineOf?.("spec.template.spec.containers[0].ports[0].containerPort"), 17);
  assert.equal(d.lineOf?.("spec.selector.matchLabels.app"), 9);
});

test("kind: List: every item is a document with its own index and line", () => {
  // What `kubectl get svc,deploy -o yaml` prints.
  const text = `apiVersion: v1
kind: List
metadata:
  resourceVersion: ""
items:
  - apiVersion: v1
    kind: Service
    metadata:
      name: a
    spec:
      ports:
        - port: 80
  - apiVersion: v1
    kind: Service
    metadata:
      name: b
      namespace: prod
    spec:
      ports:
        - port: 70000
`;
  const r = checkSpec([{ file: "dump.yaml", text }]);
  assert.deepEqual(
    r.spec.objects.map((o) => [o.metadata.name, o.source?.docIndex, o.source?.line]),
    [
      ["a", 0, 6],
      ["b", 1, 13],
    ],
  );
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.severity}: ${d.message}`),
    [
      `warning: dump.yaml:17 (Service prod/b) metadata.namespace: "prod" is not declared by a Namespace object (on a real cluster: namespaces "prod" not found)`,
      "error: dump.yaml:20 (Service prod/b) spec.ports[0].port: 70000 is not a valid port (1-65535)",
    ],
  );
  // Typed lists from the API (ServiceList) omit kind/apiVersion on the items.
  const typed = `apiVersion: v1\nkind: ServiceList\nitems:\n  - metadata: {name: c}\n    spec: {ports: [{port: 53, protocol: UDP}]}\n`;
  const t = parseSpec([{ file: "t.yaml", text: typed }]);
  assert.deepEqual(
    t.objects.map((o) => [o.apiVersion, o.kind, o.metadata.name, o.source?.line]),
    [["v1", "Service", "c", 4]],
  );
});

test("JSON input, with lines", () => {
  const text = JSON.stringify(
    { apiVersion: "v1", kind: "Service", metadata: { name: "j" }, spec: { ports: [{ port: 80, nodePort: 30000 }] } },
    null,
    2,
  );
  const r = checkSpec([{ file: "svc.json", text }]);
  // nodePort on a ClusterIP Service: located on the nodePort line of the JSON text.
  const line = text.split("\n").findIndex((l) => l.includes('"nodePort"')) + 1;
  assert.deepEqual(
    r.diagnostics.map((d) => d.message),
    [`svc.json:${line} (Service default/j) spec.ports[0].nodePort: 30000 may not be used when \`type\` is 'ClusterIP'`],
  );
});

test("JSON List (kubectl get -o json): items located on their own lines", () => {
  const text = JSON.stringify(
    {
      apiVersion: "v1",
      kind: "List",
      items: [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "a" } },
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "B" } },
      ],
    },
    null,
    2,
  );
  const r = checkSpec([{ file: "ns.json", text }]);
  const line = text.split("\n").findIndex((l) => l.includes('"B"')) + 1;
  assert.deepEqual(
    r.spec.objects.map((o) => [o.metadata.name, o.source?.docIndex]),
    [
      ["a", 0],
      ["B", 1],
    ],
  );
  assert.equal(r.diagnostics.length, 1);
  assert.equal(r.diagnostics[0].line, line);
  assert.match(
    r.diagnostics[0].message,
    new RegExp(`^ns\\.json:${line} \\(Namespace B\\) metadata\\.name: "B" must be a lowercase RFC 1123 label`),
  );
});

test("YAML syntax errors name file, line and column; other documents are still checked", () => {
  const text = `apiVersion: v1
kind: Service
metadata:
  name: x
spec:
  ports: [
---
${service.replace("port: 80", "port: 0")}`;
  const msgs = checkSpec([{ file: "bad.yaml", text }]).diagnostics.map((d) => d.message);
  assert.equal(msgs.length, 2);
  assert.match(msgs[0], /^bad\.yaml:7:1 \(document 1\) YAML syntax error: /);
  assert.equal(msgs[1], "bad.yaml:15 (Service default/web) spec.ports[0].port: 0 is not a valid port (1-65535)");
});

test("duplicate keys are a syntax error (as in kubectl's strict decoding)", () => {
  const msgs = checkSpec([
    { file: "d.yaml", text: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n" },
  ]).diagnostics.map((d) => d.message);
  assert.equal(msgs.length, 1);
  assert.match(msgs[0], /^d\.yaml:5:\d+ \(document 1\) YAML syntax error: Map keys must be unique/);
});

test("other kinds: one warning per kind, never fatal", () => {
  // ConfigMaps are read (a live cluster's settings live in them); RBAC is not.
  const cm = (n: string) =>
    `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: ${n}\nrules: []\n`;
  const text = `${cm("one")}---\n${service}---\n${cm("two")}---\napiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: kn\n---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: c\n`;
  const spec = parseSpec([{ file: "mix.yaml", text }]);
  assert.deepEqual(
    spec.objects.map((o) => `${o.kind}/${o.metadata.name}`),
    ["Service/web"],
  );
  assert.deepEqual(
    spec.warnings.map((w) => w.message),
    [
      "mix.yaml:1 ignored kind Role (2 objects)",
      "mix.yaml:23 ignored kind Service.serving.knative.dev (1 object)",
      "mix.yaml:28 ignored kind Certificate (1 object)",
    ],
  );
  assert.ok(spec.warnings.every((w) => w.severity === "warning"));
});

test("the CNIs' own policy kinds: ignored, with what that means for the answers", () => {
  const doc = (apiVersion: string, kind: string, name: string) =>
    `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec: {}\n`;
  const text = [
    doc("crd.antrea.io/v1beta1", "NetworkPolicy", "b"),
    doc("policy.networking.k8s.io/v1alpha2", "ClusterNetworkPolicy", "c"),
    doc("example.com/v1", "FooNetworkPolicy", "d"),
    // Staged policies are previewed, not enforced: no warning that answers may differ.
    doc("projectcalico.org/v3", "StagedNetworkPolicy", "e"),
  ].join("---\n");
  const tail =
    "podnet does not model this kind, and {} enforces it, so reach, check, trace and diagnose may allow traffic the cluster denies";
  assert.deepEqual(
    parseSpec([{ file: "p.yaml", text }]).warnings.map((w) => w.message),
    [
      `p.yaml:1 ignored kind NetworkPolicy.crd.antrea.io (1 object): ${tail.replace("{}", "Antrea")}`,
      `p.yaml:7 ignored kind ClusterNetworkPolicy (1 object): ${tail.replace("{}", "the CNI that implements it")}`,
      "p.yaml:13 ignored kind FooNetworkPolicy (1 object)",
      "p.yaml:19 ignored kind StagedNetworkPolicy (1 object)",
    ],
  );
});

test("Cilium's policies are read and checked as the agent checks them", () => {
  const text = [
    "apiVersion: cilium.io/v2",
    "kind: CiliumNetworkPolicy",
    "metadata:",
    "  name: a",
    "spec:",
    "  ingress:",
    "  - fromEntities: [world, everywhere]",
    "    fromCIDR: [10.0.0.0/33]",
    "    toPorts:",
    "    - ports: [{port: '80', protocol: TCP}]",
    "      rules: {http: [{method: GET}]}",
    "---",
    "apiVersion: cilium.io/v2",
    "kind: CiliumClusterwideNetworkPolicy",
    "metadata:",
    "  name: b",
    "spec:",
    "  endpointSelector: {}",
    "  egress:",
    "  - toServices: [{k8sService: {serviceName: api, namespace: default}}]",
    "  egressDeny:",
    "  - toFQDNs: [{matchName: api.example.com}]",
    "---",
    "apiVersion: cilium.io/v2",
    "kind: CiliumNetworkPolicy",
    "metadata:",
    "  name: c",
    "spec:",
    "  endpointSelector: {}",
    "  egress:",
    "  - toFQDNs: [{matchName: api.example.com, matchPattern: '*.example.com'}]",
    "  ingress:",
    "  - toPorts: [{ports: [{port: '53', protocol: UDP}], rules: {dns: [{matchPattern: '*'}]}}]",
  ].join("\n");
  const r = checkSpec([{ file: "c.yaml", text }], undefined, "tolerant");
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.severity} ${d.message}`),
    [
      "warning c.yaml:5 (CiliumNetworkPolicy default/a) spec: rule must have one of EndpointSelector or NodeSelector (the agent refuses the policy: it is not enforced)",
      'error c.yaml:8 (CiliumNetworkPolicy default/a) spec.ingress[0].fromCIDR[0]: "10.0.0.0/33" is not a valid CIDR',
      'warning c.yaml:7 (CiliumNetworkPolicy default/a) spec.ingress[0].fromEntities[1]: "everywhere" must be one of all, world, cluster, host, init, ingress, unmanaged, remote-node, health, none, kube-apiserver',
      "warning c.yaml:11 (CiliumNetworkPolicy default/a) spec.ingress[0].toPorts[0].rules: L7 rules are enforced by Cilium's proxy, not modelled: podnet allows the ports",
      "warning c.yaml:20 (CiliumClusterwideNetworkPolicy b) spec.egress[0].toServices: toServices is not modelled",
      "warning c.yaml:22 (CiliumClusterwideNetworkPolicy b) spec.egressDeny[0].toFQDNs: is not a field of Cilium's deny rules (deny policies do not support toFQDNs): the rule is read without it",
      "warning c.yaml:33 (CiliumNetworkPolicy default/c) spec.ingress[0].toPorts[0].rules.dns: L7 protocol DNS is not supported on ingress yet (the agent refuses the policy: it is not enforced)",
    ],
  );
});

test("apiVersions that no longer serve a kind are rejected like kubectl's 'no matches for kind'", () => {
  const text = deploy.replace("apps/v1", "extensions/v1beta1");
  assert.throws(
    () => parseSpec([{ file: "old.yaml", text }]),
    (e: unknown) =>
      e instanceof SpecError &&
      e.message ===
        'old.yaml:1 (Deployment web) apiVersion: "extensions/v1beta1" no matches for kind "Deployment" in version "extensions/v1beta1" (use "apps/v1")',
  );
});

test("namespaces: default for namespaced kinds, dropped for cluster-scoped ones", () => {
  const text = `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n  namespace: ignored\n---\n${service}`;
  const spec = parseSpec([{ file: "a.yaml", text }]);
  assert.equal(spec.objects[0].metadata.namespace, undefined);
  assert.equal(spec.objects[1].metadata.namespace, "default");
  // The API server labels every namespace with its name (NamespaceDefaultLabelName).
  assert.deepEqual(spec.objects[0].metadata.labels, { "kubernetes.io/metadata.name": "prod" });
});

test("admission defaults: Service type, protocol, targetPort; container port protocol; dnsPolicy", () => {
  const text = `${deploy}---\n${service.replace("      targetPort: 8080\n", "")}`;
  const spec = parseSpec([{ file: "a.yaml", text }]);
  const svc = spec.objects[1].spec;
  assert.equal(svc.type, "ClusterIP");
  assert.equal(svc.sessionAffinity, "None");
  assert.equal(svc.internalTrafficPolicy, "Cluster");
  assert.equal(svc.externalTrafficPolicy, undefined); // only NodePort / LoadBalancer
  assert.deepEqual(svc.ports, [{ port: 80, protocol: "TCP", targetPort: 80 }]);
  const pod = spec.objects[0].spec.template.spec;
  assert.equal(pod.containers[0].ports[0].protocol, "TCP");
  assert.equal(pod.dnsPolicy, "ClusterFirst");
  assert.equal(pod.enableServiceLinks, true);
  // Source is not serialised.
  assert.equal(JSON.stringify(spec.objects[1]).includes("source"), false);
  assert.doesNotThrow(() => structuredClone(spec.objects[1]));
});

test("NetworkPolicy policyTypes default: Ingress, plus Egress when egress rules exist", () => {
  const np = (extra: string) =>
    `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np\nspec:\n  podSelector: {}\n${extra}`;
  assert.deepEqual(parseSpec([{ file: "a", text: np("") }]).objects[0].spec.policyTypes, ["Ingress"]);
  assert.deepEqual(parseSpec([{ file: "a", text: np("  egress: [{}]\n") }]).objects[0].spec.policyTypes, [
    "Ingress",
    "Egress",
  ]);
  // len(spec.egress) != 0 (defaults.go): an empty egress list is no rule; an empty
  // policyTypes list is defaulted like an absent one.
  assert.deepEqual(parseSpec([{ file: "a", text: np("  egress: []\n") }]).objects[0].spec.policyTypes, ["Ingress"]);
  assert.deepEqual(
    parseSpec([{ file: "a", text: np("  policyTypes: []\n  egress: [{}]\n") }]).objects[0].spec.policyTypes,
    ["Ingress", "Egress"],
  );
  // Rules that are not lists are the validation's to report, not a crash of the defaults.
  assert.throws(() => parseSpec([{ file: "a", text: np("  ingress: 5\n") }]), /spec\.ingress: 5 must be a list/);
});

test("a Cluster document among the manifests is the config; --config wins over it", () => {
  const cluster = `apiVersion: podnet.dev/v1alpha1\nkind: Cluster\nname: lab\nnetworking:\n  cni: calico\n`;
  const spec = parseSpec([{ file: "all.yaml", text: `${cluster}---\n${service}` }]);
  assert.equal(spec.config.name, "lab");
  assert.equal(spec.config.networking.cni, "calico");
  assert.equal(spec.config.networking.backend, "bgp");
  assert.equal(spec.config.source?.file, "all.yaml");
  assert.deepEqual(
    spec.objects.map((o) => o.kind),
    ["Service"],
  );

  const other = `apiVersion: podnet.dev/v1alpha1\nkind: Cluster\nname: other\n`;
  const s2 = parseSpec([{ file: "all.yaml", text: `${cluster}---\n${service}` }], { file: "c.yaml", text: other });
  assert.equal(s2.config.name, "other");
  assert.deepEqual(
    s2.warnings.map((w) => w.message),
    ["all.yaml:1 (Cluster lab) ignored: the cluster config comes from c.yaml"],
  );

  // Two Cluster documents among the manifests: which one is meant is unclear.
  assert.throws(
    () =>
      parseSpec([
        { file: "a.yaml", text: cluster },
        { file: "b.yaml", text: other },
      ]),
    (e: unknown) =>
      e instanceof SpecError &&
      e.message === "b.yaml:2 (Cluster other) kind: more than one Cluster config (the first is at a.yaml:1)",
  );
});

test("no config at all: the default cluster", () => {
  const spec = parseSpec([{ file: "a.yaml", text: service }]);
  assert.deepEqual(
    spec.config.nodes.map((n) => n.name),
    ["kind-control-plane", "kind-worker", "kind-worker2"],
  );
});

test("a document that is not a mapping", () => {
  const msgs = checkSpec([{ file: "a.yaml", text: "- a\n- b\n" }]).diagnostics.map((d) => d.message);
  assert.deepEqual(msgs, ['a.yaml:1 (document 1) ["a","b"] is not a Kubernetes object (a document must be a mapping)']);
});

test("Helm test hooks are left out (helm test creates them, helm install does not); other hooks stay", () => {
  const pod = (name: string, hook: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  annotations:\n    "helm.sh/hook": ${hook}\nspec:\n  containers:\n  - name: c\n    image: busybox\n`;
  const spec = parseSpec([
    {
      file: "helm.yaml",
      text: `${pod("t", "test")}---\n${pod("old", "test-success")}---\n${pod("p", "post-install")}`,
    },
  ]);
  assert.deepEqual(
    spec.objects.map((o) => o.metadata.name),
    ["p"],
  );
  assert.deepEqual(
    spec.warnings.map((w) => w.message),
    [
      'helm.yaml:6 (Pod default/t) metadata.annotations[helm.sh/hook]: "test" a Helm test hook: created by `helm test` only, not by `helm install` (ignored)',
      'helm.yaml:17 (Pod default/old) metadata.annotations[helm.sh/hook]: "test-success" a Helm test hook: created by `helm test` only, not by `helm install` (ignored)',
    ],
  );
});

test("YAML syntax errors: each distinct one once, at most ten per document, then one line says more", () => {
  // 100,000 open brackets: the parser repeats its complaint for every level it unwinds.
  const deep = checkSpec([{ file: "deep.yaml", text: "[".repeat(100000) }]).diagnostics.map((d) => d.message);
  assert.ok(deep.length <= 11, `${deep.length} messages`);
  assert.equal(new Set(deep).size, deep.length);
  // Where the stack runs out depends on the stack: the column is not fixed.
  assert.equal(
    deep.filter((m) => /^deep\.yaml:1:\d+ \(document 1\) YAML syntax error: nested too deeply to read$/.test(m)).length,
    1,
  );
  // Thirty broken lines: ten of their errors and the line that says there are more.
  const text = Array.from({ length: 30 }, (_, i) => `k${i}: [a, b\n  c: d`).join("\n");
  const many = checkSpec([{ file: "many.yaml", text }]).diagnostics.map((d) => d.message);
  assert.equal(many.length, 11);
  assert.match(many[0], /^many\.yaml:1:9 \(document 1\) YAML syntax error: /);
  assert.equal(many[10], "many.yaml:1 (document 1) more YAML syntax errors in this document (the first 10 are shown)");
  // In a later document, that line names the document's first line (after its `---`), as
  // the reader of a large file (item by item) does.
  const second = `a: 1\n---\n${text}`;
  const want = "many.yaml:3 (document 2) more YAML syntax errors in this document (the first 10 are shown)";
  const more = (list: { message: string }[]) => list.find((d) => d.message.includes("more YAML"))?.message;
  assert.equal(more(checkSpec([{ file: "many.yaml", text: second }]).diagnostics), want);
  const diags = new Diags();
  readDocuments({ file: "many.yaml", text: Buffer.from(second) }, diags, { splitAbove: 0 });
  assert.equal(more(diags.list), want);
});

test('a manifest\'s nulls read as the API server decodes them: unset, and "" in a string map', () => {
  // What Helm charts render for unset values (e.g. bitnami/redis: `nodePort: null` on a
  // ClusterIP Service); encoding/json leaves a Go field at its zero value for a JSON null.
  const text = `apiVersion: v1
kind: Service
metadata:
  name: redis
  labels: {app: redis, tier: null}
  annotations: null
spec:
  type: ClusterIP
  clusterIP: null
  selector: {app: redis}
  ports:
  - name: tcp-redis
    port: 6379
    targetPort: redis
    nodePort: null
`;
  const spec = parseSpec([{ file: "redis.yaml", text }]);
  const svc = spec.objects.find((o) => o.kind === "Service")!;
  assert.deepEqual(svc.metadata.labels, { app: "redis", tier: "" });
  assert.equal("annotations" in svc.metadata, false);
  assert.equal("nodePort" in svc.spec.ports[0], false);
  assert.equal("clusterIP" in svc.spec, false);
});

test("a List whose items are no list is an error; a List without items is empty", () => {
  const bad = checkSpec(
    [{ file: "l.yaml", text: "apiVersion: v1\nkind: List\nitems: {a: 1}\n" }],
    undefined,
    "tolerant",
  );
  assert.deepEqual(
    bad.diagnostics.map((d) => d.message),
    ['l.yaml:3 (document 1, kind List) items: {"a":1} must be a list of objects'],
  );
  const empty = checkSpec(
    [{ file: "p.yaml", text: "apiVersion: v1\nkind: PodList\nmetadata: {}\n" }],
    undefined,
    "tolerant",
  );
  assert.deepEqual(empty.diagnostics, []);
  assert.equal(empty.spec.objects.length, 0);
});

test("flow collections nested past MAX_DEPTH: said before the YAML library composes them", () => {
  const r = checkSpec([{ file: "deep.json", text: "[".repeat(200_000) }], undefined, "tolerant");
  assert.deepEqual(
    r.diagnostics.map((d) => d.message),
    ["deep.json:1:101 (document 1) YAML syntax error: nested too deeply to read"],
  );
  // Brackets in quoted scalars, comments and words such as "it's" are no nesting.
  const text = `apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data:
  a: "${"[".repeat(300)}"
  b: '${"{".repeat(300)}'
  c: it's ${"[x] ".repeat(300)} it's # ${"[".repeat(300)}
`;
  assert.deepEqual(checkSpec([{ file: "cm.yaml", text }], undefined, "tolerant").diagnostics, []);
  // Brackets in a block scalar's body (a script) and in plain text open nothing; a flow
  // collection over many lines still counts.
  const script = Array.from({ length: 150 }, (_, i) => `    printf "%s\\n" x[${i}\n    [ -f /tmp/${i} ] && {`).join(
    "\n",
  );
  const cm = `apiVersion: v1
kind: ConfigMap
metadata: {name: s}
data:
  run.sh: |
${script}
  note: see [1 and {2
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {containers: [{name: c, image: i}]}
`;
  const ok = checkSpec([{ file: "s.yaml", text: cm }], undefined, "tolerant");
  assert.deepEqual(ok.diagnostics, []);
  assert.deepEqual(
    ok.spec.objects.map((o) => o.kind),
    ["ConfigMap", "Pod"],
  );
  const lines = checkSpec([{ file: "l.yaml", text: `a: ${"[\n".repeat(150)}` }], undefined, "tolerant");
  assert.match(lines.diagnostics[0]?.message ?? "", /^l\.yaml:101:1 .*nested too deeply/);
});
