// Tolerant analysis, strict building (issue 15 §3): which API-validation findings the network
// depends on. The texts are the API server's (pkg/apis/core|apps|networking/validation), so a
// warning says what `kubectl apply` would; tolerant loading turns only the findings the
// network does not depend on into warnings.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkSpec, parseSpec, type LoadMode } from "./parse.js";
import { SpecError } from "./errors.js";

const diags = (text: string, mode: LoadMode, file = "app.yaml") =>
  checkSpec([{ file, text }], undefined, mode).diagnostics.map((d) => ({
    severity: d.severity,
    message: d.message,
    network: d.network,
  }));

const deploy = (template: string, extra = "") => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}${extra}
  template:
    metadata:
      labels: {app: web}
    spec:
${template}`;

const service = (ports: string, extra = "") => `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}${extra}
  ports:
${ports}`;

// Each class of finding the network does not depend on: the message in strict mode (an
// error) is the message in tolerant mode (a warning).
const tolerated: [string, string, string][] = [
  [
    "a container without a name",
    deploy("      containers:\n      - image: nginx\n"),
    "app.yaml:12 (Deployment default/web) spec.template.spec.containers[0].name: is required",
  ],
  [
    "a second Service port without a name",
    service("  - {name: http, port: 80}\n  - {port: 443}\n"),
    "app.yaml:9 (Service default/web) spec.ports[1].name: is required when there is more than one port",
  ],
  [
    "duplicate Service port names",
    service("  - {name: http, port: 80}\n  - {name: http, port: 443}\n"),
    'app.yaml:9 (Service default/web) spec.ports[1].name: "http" is a duplicate port name',
  ],
  [
    "duplicate container port names",
    deploy(
      "      containers:\n      - name: a\n        ports: [{name: http, containerPort: 80}]\n      - name: b\n        ports: [{name: http, containerPort: 81}]\n",
    ),
    'app.yaml:15 (Deployment default/web) spec.template.spec.containers[1].ports[0].name: "http" is a duplicate port name in the pod (also spec.template.spec.containers[0].ports[0])',
  ],
  [
    "a bad label value",
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {tier: "front end"}\nspec:\n  containers: [{name: c}]\n`,
    `app.yaml:5 (Pod default/p) metadata.labels[tier]: "front end" is not a valid label value: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
  ],
  [
    "a Service name that is not a DNS-1035 label",
    service("  - {port: 80}\n").replace("name: web", "name: Web"),
    "app.yaml:4 (Service default/Web) metadata.name: \"Web\" must be a DNS-1035 label: lower case alphanumeric characters or '-', starting with a letter and ending with an alphanumeric character",
  ],
  [
    "a selector that does not match the template's labels",
    deploy("      containers: [{name: c}]\n").replace("matchLabels: {app: web}", "matchLabels: {app: api}"),
    'app.yaml:9 (Deployment default/web) spec.template.metadata.labels: {"app":"web"} `selector` does not match template `labels`',
  ],
  [
    "a Service without ports",
    `apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n`,
    "app.yaml:5 (Service default/web) spec.ports: is required (at least one port)",
  ],
  [
    "externalTrafficPolicy on a ClusterIP Service",
    service("  - {port: 80}\n", "\n  externalTrafficPolicy: Local"),
    "app.yaml:7 (Service default/web) spec.externalTrafficPolicy: \"Local\" may only be set when `type` is 'NodePort' or 'LoadBalancer'",
  ],
];

for (const [what, text, message] of tolerated)
  test(`tolerated: ${what} is an error when strict, a warning with the same text when tolerant`, () => {
    assert.deepEqual(diags(text, "strict"), [{ severity: "error", message, network: false }]);
    assert.deepEqual(diags(text, "tolerant"), [{ severity: "warning", message, network: false }]);
    assert.throws(() => parseSpec([{ file: "app.yaml", text }]), SpecError);
    const spec = parseSpec([{ file: "app.yaml", text }], undefined, "tolerant");
    assert.equal(spec.objects.length, 1, "the object is kept");
    assert.deepEqual(
      spec.warnings.map((w) => w.message),
      [message],
    );
  });

// What the network cannot do without: an error in both modes.
const fatal: [string, string, string][] = [
  [
    "a Service port without a number",
    service("  - {name: http, targetPort: 80}\n"),
    "app.yaml:8 (Service default/web) spec.ports[0].port: is required",
  ],
  [
    "a Service port out of range",
    service("  - {port: 70000}\n"),
    "app.yaml:8 (Service default/web) spec.ports[0].port: 70000 is not a valid port (1-65535)",
  ],
  [
    "a clusterIP outside the service range",
    service("  - {port: 80}\n", "\n  clusterIP: 10.0.0.5"),
    'app.yaml:7 (Service default/web) spec.clusterIP: "10.0.0.5" provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/12',
  ],
  [
    "an unparseable external IP",
    service("  - {port: 80}\n", "\n  externalIPs: [1.2.3]"),
    'app.yaml:7 (Service default/web) spec.externalIPs[0]: "1.2.3" must be a valid IP address',
  ],
  [
    "an unparseable ipBlock CIDR",
    `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/33}\n`,
    'app.yaml:9 (NetworkPolicy default/np) spec.ingress[0].from[0].ipBlock.cidr: "10.0.0.0/33" is not a valid CIDR',
  ],
  [
    "an unparseable podIP",
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: [{name: c}]\nstatus:\n  podIP: 10.244.1.300\n`,
    'app.yaml:8 (Pod default/p) status.podIP: "10.244.1.300" must be a valid IP address',
  ],
  [
    "an unknown protocol",
    service("  - {port: 80, protocol: ICMP}\n"),
    'app.yaml:8 (Service default/web) spec.ports[0].protocol: "ICMP" must be one of TCP, UDP, SCTP',
  ],
  [
    "a label value that is not a string (the selector would compare it as another type)",
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {version: 1.0}\nspec:\n  containers: [{name: c}]\n`,
    "app.yaml:5 (Pod default/p) metadata.labels[version]: 1 label values must be strings (quote it)",
  ],
];

for (const [what, text, message] of fatal)
  test(`network-relevant: ${what} stays an error when tolerant`, () => {
    for (const mode of ["strict", "tolerant"] as const)
      assert.deepEqual(diags(text, mode), [{ severity: "error", message, network: true }]);
    assert.throws(() => parseSpec([{ file: "app.yaml", text }], undefined, "tolerant"), SpecError);
  });

test("tolerant: one object with both kinds of finding still fails, naming only the network one as error", () => {
  const text = service("  - {name: http, port: 80}\n  - {port: 0}\n");
  assert.deepEqual(
    diags(text, "tolerant").map((d) => `${d.severity}: ${d.message}`),
    [
      "warning: app.yaml:9 (Service default/web) spec.ports[1].name: is required when there is more than one port",
      "error: app.yaml:9 (Service default/web) spec.ports[1].port: 0 is not a valid port (1-65535)",
    ],
  );
});

test("findings that are not API validation (syntax, document structure) carry no network flag and stay errors", () => {
  const d = diags("apiVersion: v1\nkind: Service\nmetadata: {}\n", "tolerant");
  assert.deepEqual(d, [
    {
      severity: "error",
      message: "app.yaml:3 (document 1, kind Service) metadata.name: is required",
      network: undefined,
    },
  ]);
  const syntax = diags("apiVersion: v1\nkind: [\n", "tolerant");
  assert.equal(syntax.length, 1);
  assert.equal(syntax[0].severity, "error");
  assert.equal(syntax[0].network, undefined);
});

test("documents that are not Kubernetes objects: skipped, one warning per file, in either mode", () => {
  // A Helm values file (several documents, none with apiVersion/kind) and a Jest report.
  const values = "replicaCount: 1\nimage:\n  repository: nginx\n---\nservice:\n  type: ClusterIP\n";
  const report = JSON.stringify({ numTotalTests: 3, success: true, testResults: [] });
  const svc = service("  - {port: 80}\n");
  for (const mode of ["strict", "tolerant"] as const) {
    const r = checkSpec(
      [
        { file: "helm/values.yaml", text: values },
        { file: "test-results.json", text: report },
        { file: "svc.yaml", text: svc },
      ],
      undefined,
      mode,
    );
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.severity}: ${d.message}`),
      [
        "warning: helm/values.yaml: skipped: not a Kubernetes object (no apiVersion/kind)",
        "warning: test-results.json: skipped: not a Kubernetes object (no apiVersion/kind)",
      ],
    );
    assert.deepEqual(
      r.spec.objects.map((o) => o.kind),
      ["Service"],
    );
  }
});

test("a chart's Chart.yaml is skipped; a syntax error in an unrendered template says to run helm template", () => {
  // Chart.yaml: apiVersion v2, name and version, no kind (https://helm.sh/docs/topics/charts/).
  const chart = 'apiVersion: v2\nname: web\nversion: 0.1.0\nappVersion: "1.0"\n';
  const tmpl = `{{- if .Values.service.enabled }}
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
  - port: 80
{{- end }}
`;
  const r = checkSpec(
    [
      { file: "web/Chart.yaml", text: chart },
      { file: "web/templates/service.yaml", text: tmpl },
    ],
    undefined,
    "tolerant",
  );
  assert.equal(
    r.diagnostics.find((d) => d.severity === "warning")?.message,
    "web/Chart.yaml: skipped: a Helm chart, not Kubernetes objects (its templates are not read): give podnet what `helm template` prints",
  );
  const syntax = r.diagnostics.filter((d) => d.severity === "error");
  assert.ok(syntax.length >= 1);
  assert.match(
    syntax[0].message,
    /^web\/templates\/service\.yaml:\d+:\d+ .*YAML syntax error: .*`helm template CHART`/,
  );
});

test("a document with only one of apiVersion and kind stays an error", () => {
  assert.deepEqual(diags("kind: Service\nmetadata: {name: a}\n", "tolerant"), [
    {
      severity: "error",
      message: "app.yaml:1 (Service a) apiVersion: is required",
      network: undefined,
    },
  ]);
  assert.deepEqual(diags("apiVersion: v1\nmetadata: {name: a}\n", "tolerant"), [
    { severity: "error", message: "app.yaml:1 (document 1) kind: is required", network: undefined },
  ]);
});

test("typed lists (PodList, ServiceList) read like List, their items taking the list's kind", () => {
  const list = JSON.stringify({
    apiVersion: "v1",
    kind: "ServiceList",
    items: [{ metadata: { name: "a" }, spec: { ports: [{ port: 80 }] } }],
  });
  const spec = parseSpec([{ file: "svc.json", text: list }]);
  assert.deepEqual(
    spec.objects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.name}`),
    ["v1 Service a"],
  );
});

const rc = (spec: string) => `apiVersion: v1
kind: ReplicationController
metadata:
  name: redis
spec:
${spec}`;

test("ReplicationController v1: accepted; selector and labels default to the template's labels", () => {
  // SetDefaults_ReplicationController (pkg/apis/core/v1/defaults.go).
  const spec = parseSpec([
    {
      file: "rc.yaml",
      text: rc("  template:\n    metadata:\n      labels: {app: redis}\n    spec:\n      containers: [{name: r}]\n"),
    },
  ]);
  const o = spec.objects[0];
  assert.equal(o.kind, "ReplicationController");
  assert.deepEqual(o.spec.selector, { app: "redis" });
  assert.deepEqual(o.metadata.labels, { app: "redis" });
  assert.equal(o.spec.replicas, 1);
  assert.deepEqual(spec.warnings, []);
});

test("ReplicationController: a plain-map selector must match the template; without either it is required", () => {
  // ValidateReplicationControllerSpec (pkg/apis/core/validation): the selector is a label map.
  const mismatch = rc(
    "  selector: {app: redis, role: master}\n  template:\n    metadata:\n      labels: {app: redis}\n    spec:\n      containers: [{name: r}]\n",
  );
  assert.deepEqual(diags(mismatch, "strict", "rc.yaml"), [
    {
      severity: "error",
      message:
        'rc.yaml:9 (ReplicationController default/redis) spec.template.metadata.labels: {"app":"redis"} `selector` does not match template `labels`',
      network: false,
    },
  ]);
  const none = rc("  template:\n    spec:\n      containers: [{name: r}]\n");
  assert.deepEqual(diags(none, "tolerant", "rc.yaml"), [
    {
      severity: "error",
      message: "rc.yaml:5 (ReplicationController default/redis) spec.selector: is required",
      network: true,
    },
  ]);
  // Wrong apiVersion: ReplicationController is served at v1 only.
  assert.match(
    diags(rc("  template: {}\n").replace("apiVersion: v1", "apiVersion: apps/v1"), "tolerant", "rc.yaml")[0]?.message ??
      "",
    /ignored kind ReplicationController\.apps|no matches for kind/,
  );
});
