// Each rule of the API server's validation that podnet enforces, with the exact message
// shape `file:line (Kind ns/name) field: value message`. Expected limits and wording
// come from Kubernetes (apimachinery validation, pkg/apis/core|apps|networking validation).
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkSpec, parseSpec } from "./parse.js";
import { SpecError } from "./errors.js";

function errors(text: string, file = "app.yaml"): string[] {
  return checkSpec([{ file, text }])
    .diagnostics.filter((d) => d.severity === "error")
    .map((d) => d.message);
}

const svc = (name: string, spec: string) => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
${spec}`;

test("the issue's example: a service port out of range, at the port's line", () => {
  const text = `apiVersion: v1
kind: Service
metadata:
  name: auth-service
  labels:
    app: auth
spec:
  type: ClusterIP
  selector:
    app: auth
  ports:
    - name: http
      protocol: TCP
      port: 70000
      targetPort: 80
`;
  assert.deepEqual(errors(text), [
    "app.yaml:14 (Service default/auth-service) spec.ports[0].port: 70000 is not a valid port (1-65535)",
  ]);
  // parseSpec throws one SpecError carrying the diagnostic with its fields filled.
  assert.throws(
    () => parseSpec([{ file: "app.yaml", text }]),
    (e: unknown) => {
      assert.ok(e instanceof SpecError);
      const d = e.diagnostics[0];
      assert.equal(d.file, "app.yaml");
      assert.equal(d.line, 14);
      assert.equal(d.docIndex, 0);
      assert.equal(d.object, "Service default/auth-service");
      assert.equal(d.field, "spec.ports[0].port");
      assert.equal(d.value, 70000);
      return true;
    },
  );
});

test("every error of every document is reported at once", () => {
  const text = `${svc("a", "  ports:\n    - port: 0")}
---
${svc("b", "  ports:\n    - port: 65536")}
`;
  assert.deepEqual(errors(text), [
    "app.yaml:7 (Service default/a) spec.ports[0].port: 0 is not a valid port (1-65535)",
    "app.yaml:15 (Service default/b) spec.ports[0].port: 65536 is not a valid port (1-65535)",
  ]);
});

test("missing kind, apiVersion and metadata.name; unnamed documents are named by position", () => {
  const text = `apiVersion: v1
metadata:
  name: x
---
kind: Service
metadata:
  name: why
---
apiVersion: v1
kind: Service
metadata:
  labels: {app: a}
spec:
  ports: [{port: 80}]
`;
  assert.deepEqual(errors(text), [
    "app.yaml:1 (document 1) kind: is required",
    "app.yaml:5 (Service why) apiVersion: is required",
    "app.yaml:11 (document 3, kind Service) metadata.name: is required",
  ]);
});

test("names: DNS-1035 label for Services, DNS-1123 label for namespaces, subdomain for the rest", () => {
  // A Service name must start with a letter (it becomes a DNS label and env var prefix).
  assert.deepEqual(errors(svc("1auth", "  ports: [{port: 80}]")), [
    `app.yaml:4 (Service default/1auth) metadata.name: "1auth" must be a DNS-1035 label: lower case alphanumeric characters or '-', starting with a letter and ending with an alphanumeric character`,
  ]);
  assert.deepEqual(errors("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod.eu\n"), [
    `app.yaml:4 (Namespace prod.eu) metadata.name: "prod.eu" must be a lowercase RFC 1123 label: lower case alphanumeric characters or '-', starting and ending with an alphanumeric character`,
  ]);
  // Dots are fine in a subdomain (a Pod), capitals are not.
  assert.deepEqual(
    errors("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web.v1\nspec:\n  containers: [{name: c}]\n"),
    [],
  );
  assert.deepEqual(errors("apiVersion: v1\nkind: Pod\nmetadata:\n  name: Web\nspec:\n  containers: [{name: c}]\n"), [
    `app.yaml:4 (Pod default/Web) metadata.name: "Web" must be a lowercase RFC 1123 subdomain: lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character`,
  ]);
  const long = "a".repeat(64);
  assert.deepEqual(errors(svc(long, "  ports: [{port: 80}]")), [
    `app.yaml:4 (Service default/${long}) metadata.name: "${long}" must be no more than 63 characters`,
  ]);
});

test("label keys and values follow the qualified-name rules", () => {
  const text = `apiVersion: v1
kind: Pod
metadata:
  name: p
  labels:
    app.kubernetes.io/name: ok
    -bad: x
    example.com/: x
    Bad_Prefix.com/name: x
    tier: "-frontend"
    empty: ""
    version: 1
spec:
  containers: [{name: c}]
`;
  assert.deepEqual(errors(text), [
    `app.yaml:7 (Pod default/p) metadata.labels[-bad]: "-bad" is not a valid label key: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    `app.yaml:8 (Pod default/p) metadata.labels[example.com/]: "example.com/" is not a valid label key: name part must be non-empty`,
    `app.yaml:9 (Pod default/p) metadata.labels[Bad_Prefix.com/name]: "Bad_Prefix.com/name" is not a valid label key: prefix part must be a lowercase RFC 1123 subdomain: lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character`,
    `app.yaml:10 (Pod default/p) metadata.labels[tier]: "-frontend" is not a valid label value: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    // YAML reads 1 as a number; Kubernetes labels are strings.
    `app.yaml:12 (Pod default/p) metadata.labels[version]: 1 label values must be strings (quote it)`,
  ]);
  const v64 = "v".repeat(64);
  assert.deepEqual(
    errors(
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {a: ${v64}}\nspec:\n  containers: [{name: c}]\n`,
    ),
    [
      `app.yaml:5 (Pod default/p) metadata.labels[a]: "${v64}" is not a valid label value: must be no more than 63 characters`,
    ],
  );
});

test("YAML 1.1 scalars as kubectl reads them: unquoted yes/no/on are booleans, not label values", () => {
  const text =
    'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    country: NO\n    ok: "yes"\nspec:\n  containers: [{name: c}]\n';
  assert.deepEqual(errors(text), [
    "app.yaml:6 (Pod default/p) metadata.labels[country]: false label values must be strings (quote it)",
  ]);
});

test("duplicate objects: identical is one object, different names both locations", () => {
  // kubectl apply -f of the same object twice: the second is "unchanged", not an error.
  const a = svc("auth", "  ports: [{port: 80}]");
  const same = checkSpec([{ file: "app.yaml", text: `${a}\n---\n${a}\n` }]);
  assert.deepEqual(same.diagnostics, []);
  assert.equal(same.spec.objects.length, 1);
  // Key order and YAML vs JSON do not make two definitions different.
  const json = JSON.stringify({
    spec: { ports: [{ port: 80 }] },
    metadata: { name: "auth" },
    kind: "Service",
    apiVersion: "v1",
  });
  const mixed = checkSpec([
    { file: "a.yaml", text: a },
    { file: "b.json", text: json },
  ]);
  assert.deepEqual(mixed.diagnostics, []);
  assert.equal(mixed.spec.objects.length, 1);
  assert.equal(mixed.spec.objects[0].source?.file, "a.yaml");
  // Two different definitions: an error at the second, naming the first (file:line each).
  const b = svc("auth", "  ports: [{port: 81}]");
  assert.deepEqual(errors(`${a}\n---\n${b}\n`), [
    'app.yaml:11 (Service default/auth) metadata.name: "auth" duplicate Service default/auth, defined differently (first defined at app.yaml:4)',
  ]);
  const r = checkSpec(
    [
      { file: "a.yaml", text: a },
      { file: "b.yaml", text: b },
    ],
    undefined,
    "tolerant",
  ).diagnostics;
  // Which of the two the cluster would hold depends on the order of apply: never tolerated.
  assert.deepEqual(
    r.map((d) => [d.severity, d.message]),
    [
      [
        "error",
        'b.yaml:4 (Service default/auth) metadata.name: "auth" duplicate Service default/auth, defined differently (first defined at a.yaml:4)',
      ],
    ],
  );
  // Same name in another namespace or of another kind is not a duplicate.
  const c = "apiVersion: v1\nkind: Service\nmetadata: {name: auth, namespace: prod}\nspec: {ports: [{port: 80}]}\n";
  const ep =
    "apiVersion: v1\nkind: Endpoints\nmetadata: {name: auth}\nsubsets: [{addresses: [{ip: 10.0.0.1}], ports: [{port: 80}]}]\n";
  assert.deepEqual(errors(`${a}\n---\n${c}---\n${ep}`), []);
});

test("label selectors: unknown operator, In/NotIn without values, Exists with values", () => {
  const text = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: np
spec:
  podSelector:
    matchExpressions:
      - {key: app, operator: Equals, values: [a]}
      - {key: app, operator: In}
      - {key: tier, operator: NotIn, values: []}
      - {key: app, operator: Exists, values: [a]}
      - {key: app, operator: DoesNotExist}
`;
  assert.deepEqual(errors(text), [
    `app.yaml:8 (NetworkPolicy default/np) spec.podSelector.matchExpressions[0].operator: "Equals" is not a valid selector operator (In, NotIn, Exists, DoesNotExist)`,
    "app.yaml:9 (NetworkPolicy default/np) spec.podSelector.matchExpressions[1].values: must be specified when `operator` is 'In' or 'NotIn'",
    "app.yaml:10 (NetworkPolicy default/np) spec.podSelector.matchExpressions[2].values: must be specified when `operator` is 'In' or 'NotIn'",
    `app.yaml:11 (NetworkPolicy default/np) spec.podSelector.matchExpressions[3].values: ["a"] may not be specified when \`operator\` is 'Exists' or 'DoesNotExist'`,
  ]);
});

test("a Deployment whose selector does not match its template labels is rejected", () => {
  const text = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers: [{name: web}]
`;
  assert.deepEqual(errors(text), [
    'app.yaml:10 (Deployment default/web) spec.template.metadata.labels: {"app":"api"} `selector` does not match template `labels`',
  ]);
  // matchExpressions count too.
  const ok = text
    .replace("labels: {app: api}", "labels: {app: web, tier: fe}")
    .replace(
      "matchLabels: {app: web}",
      "matchLabels: {app: web}\n    matchExpressions: [{key: tier, operator: In, values: [fe]}]",
    );
  assert.deepEqual(errors(ok), []);
  // A selector of the wrong shape is said to be so, once (YAML 1.1 reads an unquoted y as true).
  const fine = text.replace("labels: {app: api}", "labels: {app: web}");
  assert.deepEqual(
    errors(fine.replace("matchLabels: {app: web}", "matchLabels: {app: web}\n    matchExpressions: y")),
    ["app.yaml:8 (Deployment default/web) spec.selector.matchExpressions: true must be a list"],
  );
  assert.deepEqual(errors(fine.replace("matchLabels: {app: web}", "matchLabels: web")), [
    'app.yaml:7 (Deployment default/web) spec.selector.matchLabels: "web" must be a mapping of label keys to values',
  ]);
  // apps/v1 requires a selector.
  assert.deepEqual(errors(text.replace("  selector:\n    matchLabels: {app: web}\n", "")), [
    "app.yaml:5 (Deployment default/web) spec.selector: is required",
  ]);
});

test("ports: service port, numeric and named targetPort, containerPort", () => {
  const text = `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: c
      ports:
        - containerPort: 0
        - containerPort: 8080
          name: http_alt
---
${svc(
  "s",
  `  ports:
    - {name: a, port: 80, targetPort: 65536}
    - {name: b, port: 81, targetPort: "8080"}
    - {name: c, port: 82, targetPort: very-long-port-name}
    - {name: d, port: 83, targetPort: http}
    - {name: e, port: "84"}`,
)}
`;
  assert.deepEqual(errors(text), [
    "app.yaml:9 (Pod default/p) spec.containers[0].ports[0].containerPort: 0 is not a valid port (1-65535)",
    `app.yaml:11 (Pod default/p) spec.containers[0].ports[1].name: "http_alt" is not a valid port name: must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`,
    "app.yaml:19 (Service default/s) spec.ports[0].targetPort: 65536 is not a valid port (1-65535)",
    // IntOrString: a quoted number is a port *name*, and a name needs a letter.
    `app.yaml:20 (Service default/s) spec.ports[1].targetPort: "8080" is not a valid port name: must contain at least one letter (a-z)`,
    `app.yaml:21 (Service default/s) spec.ports[2].targetPort: "very-long-port-name" is not a valid port name: must be no more than 15 characters`,
    `app.yaml:23 (Service default/s) spec.ports[4].port: "84" must be an integer, not a string`,
  ]);
});

test("nodePort: within the range, only for NodePort/LoadBalancer, not taken twice", () => {
  const text = `${svc(
    "a",
    `  type: NodePort
  ports:
    - {port: 80, nodePort: 29999}`,
  )}
---
${svc(
  "b",
  `  ports:
    - {port: 80, nodePort: 30001}`,
)}
---
${svc(
  "c",
  `  type: LoadBalancer
  ports:
    - {port: 80, nodePort: 30080}`,
)}
---
${svc(
  "d",
  `  type: NodePort
  ports:
    - {port: 80, nodePort: 30080}`,
)}
`;
  assert.deepEqual(errors(text), [
    "app.yaml:8 (Service default/a) spec.ports[0].nodePort: 29999 provided port is not in the valid range. The range of valid ports is 30000-32767",
    "app.yaml:16 (Service default/b) spec.ports[0].nodePort: 30001 may not be used when `type` is 'ClusterIP'",
    "app.yaml:34 (Service default/d) spec.ports[0].nodePort: 30080 provided port is already allocated (to Service default/c)",
  ]);
});

test("clusterIP: an IP inside the service range, not asked for twice", () => {
  const text = `${svc(
    "a",
    `  clusterIP: 10.300.0.1
  ports: [{port: 80}]`,
  )}
---
${svc(
  "b",
  `  clusterIP: 10.112.0.1
  ports: [{port: 80}]`,
)}
---
${svc(
  "c",
  `  clusterIP: 10.96.0.50
  ports: [{port: 80}]`,
)}
---
${svc(
  "d",
  `  clusterIP: 10.96.0.50
  ports: [{port: 80}]`,
)}
---
${svc(
  "e",
  `  clusterIP: None
  type: NodePort
  ports: [{port: 80}]`,
)}
`;
  assert.deepEqual(errors(text), [
    `app.yaml:6 (Service default/a) spec.clusterIP: "10.300.0.1" must be a valid IP address or 'None'`,
    // 10.96.0.0/12 ends at 10.111.255.255.
    `app.yaml:14 (Service default/b) spec.clusterIP: "10.112.0.1" provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/12`,
    `app.yaml:30 (Service default/d) spec.clusterIP: "10.96.0.50" is already allocated to Service default/c (app.yaml:22)`,
    `app.yaml:38 (Service default/e) spec.clusterIP: "None" may not be set to 'None' for NodePort services`,
  ]);
});

test("ExternalName Services need externalName; other Services need ports", () => {
  // A missing field is located at its nearest ancestor present in the document (spec:).
  assert.deepEqual(errors(svc("ext", "  type: ExternalName")), [
    "app.yaml:5 (Service default/ext) spec.externalName: is required for a Service of type ExternalName",
  ]);
  assert.deepEqual(errors(svc("ext", "  type: ExternalName\n  externalName: db.example.com")), []);
  assert.deepEqual(errors(svc("s", "  selector: {app: a}")), [
    "app.yaml:5 (Service default/s) spec.ports: is required (at least one port)",
  ]);
  // Headless Services may have no ports.
  assert.deepEqual(errors(svc("h", "  clusterIP: None\n  selector: {app: a}")), []);
  // Several ports need names.
  assert.deepEqual(errors(svc("m", "  ports: [{port: 80}, {port: 443}]")), [
    "app.yaml:6 (Service default/m) spec.ports[0].name: is required when there is more than one port",
    "app.yaml:6 (Service default/m) spec.ports[1].name: is required when there is more than one port",
  ]);
});

test("NetworkPolicy endPort: needs a numeric port and must not be below it", () => {
  const text = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: np
spec:
  podSelector: {}
  egress:
    - ports:
        - {protocol: TCP, endPort: 32768}
        - {protocol: TCP, port: http, endPort: 32768}
        - {protocol: TCP, port: 32000, endPort: 31000}
        - {protocol: TCP, port: 32000, endPort: 32768}
        - {protocol: ICMP, port: 1}
`;
  assert.deepEqual(errors(text), [
    "app.yaml:9 (NetworkPolicy default/np) spec.egress[0].ports[0].endPort: 32768 may not be specified when `port` is not specified",
    "app.yaml:10 (NetworkPolicy default/np) spec.egress[0].ports[1].endPort: 32768 may not be specified when `port` is non-numeric",
    "app.yaml:11 (NetworkPolicy default/np) spec.egress[0].ports[2].endPort: 31000 must be greater than or equal to `port`",
    `app.yaml:13 (NetworkPolicy default/np) spec.egress[0].ports[4].protocol: "ICMP" must be one of TCP, UDP, SCTP`,
  ]);
});

test("NetworkPolicy ipBlock: a valid CIDR, except a strict subset, not mixed with selectors", () => {
  const text = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: np
spec:
  podSelector: {}
  ingress:
    - from:
        - ipBlock: {cidr: 10.0.0.0/33}
        - ipBlock: {cidr: 172.17.0.0/16, except: [172.17.1.0/24, 172.17.0.0/16, 10.0.0.0/8]}
        - ipBlock: {cidr: 10.0.0.0/8}
          podSelector: {}
`;
  assert.deepEqual(errors(text), [
    `app.yaml:9 (NetworkPolicy default/np) spec.ingress[0].from[0].ipBlock.cidr: "10.0.0.0/33" is not a valid CIDR`,
    `app.yaml:10 (NetworkPolicy default/np) spec.ingress[0].from[1].ipBlock.except[1]: "172.17.0.0/16" must be a strict subset of \`cidr\``,
    `app.yaml:10 (NetworkPolicy default/np) spec.ingress[0].from[1].ipBlock.except[2]: "10.0.0.0/8" must be a strict subset of \`cidr\``,
    "app.yaml:11 (NetworkPolicy default/np) spec.ingress[0].from[2]: may not specify more than 1 peer: ipBlock cannot be combined with podSelector or namespaceSelector",
  ]);
});

test("pod DNS: dnsPolicy None needs a nameserver; at most 3 nameservers", () => {
  const pod = (spec: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: [{name: c}]\n${spec}\n`;
  assert.deepEqual(errors(pod("  dnsPolicy: None")), [
    "app.yaml:5 (Pod default/p) spec.dnsConfig.nameservers: must provide at least one DNS nameserver when `dnsPolicy` is None",
  ]);
  assert.deepEqual(errors(pod("  dnsConfig:\n    nameservers: [1.1.1.1, 8.8.8.8, 9.9.9.9, 1.0.0.1]")), [
    `app.yaml:8 (Pod default/p) spec.dnsConfig.nameservers: ["1.1.1.1","8.8.8.8","9.9.9.9","1.0.0.1"] must not have more than 3 nameservers`,
  ]);
  assert.deepEqual(errors(pod("  dnsPolicy: Cluster")), [
    `app.yaml:7 (Pod default/p) spec.dnsPolicy: "Cluster" must be one of ClusterFirst, ClusterFirstWithHostNet, Default, None`,
  ]);
});

test("config errors point into the Cluster document", () => {
  const cluster = `apiVersion: podnet.dev/v1alpha1
kind: Cluster
name: demo
networking:
  podSubnet: 10.300.0.0/16
  serviceSubnet: 10.96.0.0/12
`;
  assert.deepEqual(errors(cluster, "cluster.yaml"), [
    `cluster.yaml:5 (Cluster demo) networking.podSubnet: "10.300.0.0/16" is not a valid CIDR`,
  ]);
});

test("given endpoints: EndpointSlice and Endpoints addresses and ports", () => {
  const text = `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ext-1
  labels: {kubernetes.io/service-name: ext}
addressType: IPv4
endpoints:
  - addresses: [10.0.0.300]
  - addresses: []
ports:
  - {name: http, port: 0}
---
apiVersion: v1
kind: Endpoints
metadata:
  name: ext
subsets:
  - addresses: [{ip: 10.0.0.1}, {ip: db.local}]
    ports: [{port: 5432}]
`;
  assert.deepEqual(errors(text), [
    `app.yaml:8 (EndpointSlice default/ext-1) endpoints[0].addresses[0]: "10.0.0.300" must be a valid IPv4 address`,
    "app.yaml:9 (EndpointSlice default/ext-1) endpoints[1].addresses: must contain at least 1 address",
    "app.yaml:11 (EndpointSlice default/ext-1) ports[0].port: 0 is not a valid port (1-65535)",
    `app.yaml:18 (Endpoints default/ext) subsets[0].addresses[1].ip: "db.local" must be a valid IP address`,
  ]);
  // A slice without kubernetes.io/service-name belongs to no Service: a warning, not an error.
  const r = checkSpec([
    {
      file: "a.yaml",
      text: "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: s\naddressType: IPv4\n",
    },
  ]);
  assert.deepEqual(
    r.diagnostics.map((d) => d.severity),
    ["warning"],
  );
});

test("Ingress: pathType required, absolute paths, a backend port", () => {
  const text = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  rules:
    - host: 192.168.1.10
      http:
        paths:
          - path: /api
            backend: {service: {name: api, port: {number: 80}}}
          - path: api
            pathType: Prefix
            backend: {service: {name: api, port: {name: http, number: 80}}}
`;
  assert.deepEqual(errors(text), [
    `app.yaml:7 (Ingress default/web) spec.rules[0].host: "192.168.1.10" must be a DNS name, not an IP address`,
    "app.yaml:10 (Ingress default/web) spec.rules[0].http.paths[0].pathType: pathType must be specified",
    `app.yaml:12 (Ingress default/web) spec.rules[0].http.paths[1].path: "api" must be an absolute path`,
    "app.yaml:14 (Ingress default/web) spec.rules[0].http.paths[1].backend.service.port: cannot set both port name & port number",
  ]);
});

test("pod scheduling fields: tolerations, node affinity operators, hostNetwork hostPort", () => {
  const text = `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  hostNetwork: true
  containers:
    - name: c
      ports: [{containerPort: 80, hostPort: 8080}]
  tolerations:
    - {key: node-role.kubernetes.io/control-plane, operator: Exists, value: "x"}
    - {operator: Equal, value: "x"}
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
          - matchExpressions:
              - {key: cores, operator: Gt, values: ["4", "8"]}
              - {key: zone, operator: Near, values: [a]}
`;
  const A =
    "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions";
  assert.deepEqual(errors(text), [
    "app.yaml:9 (Pod default/p) spec.containers[0].ports[0].hostPort: 8080 must match `containerPort` when `hostNetwork` is true",
    `app.yaml:11 (Pod default/p) spec.tolerations[0].value: "x" value must be empty when \`operator\` is 'Exists'`,
    `app.yaml:12 (Pod default/p) spec.tolerations[1].operator: "Equal" must be Exists when \`key\` is empty, which means "match all values and all keys"`,
    `app.yaml:18 (Pod default/p) ${A}[0].values: ["4","8"] must be specified single value when \`operator\` is 'Lt' or 'Gt' and it must be an integer`,
    `app.yaml:19 (Pod default/p) ${A}[1].operator: "Near" is not a valid node selector operator (In, NotIn, Exists, DoesNotExist, Gt, Lt)`,
  ]);
});

test("workloads: StatefulSet names are DNS labels (pod hostnames), replicas not negative, containers required", () => {
  const text = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db.v1
spec:
  replicas: -1
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: []
`;
  assert.deepEqual(errors(text), [
    `app.yaml:4 (StatefulSet default/db.v1) metadata.name: "db.v1" must be a lowercase RFC 1123 label: lower case alphanumeric characters or '-', starting and ending with an alphanumeric character`,
    "app.yaml:6 (StatefulSet default/db.v1) spec.replicas: -1 must be greater than or equal to 0",
    "app.yaml:12 (StatefulSet default/db.v1) spec.template.spec.containers: is required (at least one container)",
  ]);
  // A Job may leave its selector to the controller.
  const job =
    "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  template:\n    spec:\n      containers: [{name: c}]\n";
  assert.deepEqual(errors(job), []);
  // One it writes itself needs manualSelector: true (ValidateGeneratedSelector), and then it
  // must be there (ValidateJobSpec).
  const own = job
    .replace("spec:\n", "spec:\n  selector: {matchLabels: {app: x}}\n")
    .replace("    spec:", "    metadata: {labels: {app: x}}\n    spec:");
  assert.deepEqual(errors(own), [
    'app.yaml:6 (Job default/j) spec.selector: {"matchLabels":{"app":"x"}} `selector` not auto-generated',
  ]);
  assert.deepEqual(errors(own.replace("spec:\n", "spec:\n  manualSelector: true\n")), []);
  assert.deepEqual(errors(job.replace("spec:\n", 'spec:\n  parallelism: "2"\n  completionMode: Weird\n')), [
    'app.yaml:6 (Job default/j) spec.parallelism: "2" must be an integer, not a string',
    'app.yaml:7 (Job default/j) spec.completionMode: "Weird" must be one of NonIndexed, Indexed',
  ]);
  assert.deepEqual(errors(job.replace("spec:\n", "spec:\n  manualSelector: true\n")), [
    "app.yaml:5 (Job default/j) spec.selector: is required",
  ]);
});

test("Secret: keys are config keys, data is base64 (Go's decoder's offset), values never printed", () => {
  const text = `apiVersion: v1
kind: Secret
metadata:
  name: db
data:
  ok: c2VjcmV0
  bad: "c2Vj!mV0"
  short: "abc"
  "bad key": c2VjcmV0
stringData:
  plain: hunter2
  num: 5
`;
  const d = checkSpec([{ file: "s.yaml", text }], undefined, "tolerant").diagnostics;
  assert.deepEqual(
    d.map((x) => x.message),
    [
      "s.yaml:7 (Secret default/db) data[bad]: illegal base64 data at input byte 4",
      "s.yaml:8 (Secret default/db) data[short]: illegal base64 data at input byte 0",
      `s.yaml:9 (Secret default/db) data[bad key]: "bad key" a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
      "s.yaml:12 (Secret default/db) stringData[num]: must be a string",
    ],
  );
  // Not network-relevant: a reading command only warns.
  assert.ok(d.every((x) => x.network === false));
  for (const x of d) for (const secret of ["c2Vj", "hunter2", "abc"]) assert.ok(!x.message.includes(secret), x.message);
  // Kept as an object (containers' environments read it).
  assert.deepEqual(
    parseSpec([
      { file: "s.yaml", text: "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: YQ==}\n" },
    ]).objects.map((o) => o.kind),
    ["Secret"],
  );
});

test("ConfigMap: data values must be strings (an unquoted number is the common slip), keys config keys", () => {
  const text = `apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  PORT: 8080
  DEBUG: true
  ok: "yes"
`;
  const d = checkSpec([{ file: "c.yaml", text }], undefined, "tolerant").diagnostics;
  assert.deepEqual(
    d.map((x) => x.message),
    [
      "c.yaml:6 (ConfigMap default/cfg) data[PORT]: 8080 json: cannot unmarshal number into Go struct field ConfigMap.data of type string (quote the value)",
      "c.yaml:7 (ConfigMap default/cfg) data[DEBUG]: true json: cannot unmarshal bool into Go struct field ConfigMap.data of type string (quote the value)",
    ],
  );
});

test("ownerReferences as apimachinery validates them; status and container lists of the wrong shape", () => {
  const pod = (meta: string, rest = "") => `apiVersion: v1
kind: Pod
metadata:
  name: web-0
  namespace: default
${meta}spec:
  containers:
  - name: c
    image: nginx
${rest}`;
  // An owner without its name or kind: podnet names the pod's workload from it.
  assert.deepEqual(
    errors(
      pod("  ownerReferences:\n  - apiVersion: apps/v1\n    kind: ReplicaSet\n    uid: u1\n    controller: true\n"),
    ),
    ['app.yaml:6 (Pod default/web-0) metadata.ownerReferences.name: "" name must not be empty'],
  );
  assert.deepEqual(
    errors(pod("  ownerReferences:\n  - apiVersion: apps/v1\n    kind: [ReplicaSet]\n    name: web\n    uid: u1\n")),
    ['app.yaml:6 (Pod default/web-0) metadata.ownerReferences.kind: ["ReplicaSet"] must be a string'],
  );
  // Two controllers: the API server's message, naming both.
  const two =
    "  ownerReferences:\n  - {apiVersion: apps/v1, kind: ReplicaSet, name: a, uid: u1, controller: true}\n" +
    "  - {apiVersion: apps/v1, kind: StatefulSet, name: b, uid: u2, controller: true}\n";
  assert.match(
    errors(pod(two))[0],
    /metadata\.ownerReferences: .* Only one reference can have Controller set to true\. Found "true" in references for ReplicaSet\/a and StatefulSet\/b$/,
  );
  // Lists podnet reads, given as something else: kubectl's invalid type, at the field.
  assert.deepEqual(errors(pod("", "status:\n  containerStatuses: running\n  conditions:\n  - null\n")), [
    "app.yaml:13 (Pod default/web-0) status.conditions[0]: null must be a mapping",
    'app.yaml:11 (Pod default/web-0) status.containerStatuses: "running" must be a list',
  ]);
  assert.deepEqual(errors(pod("", "    env: PATH=/bin\n")), [
    'app.yaml:10 (Pod default/web-0) spec.containers[0].env: "PATH=/bin" must be a list',
  ]);
});

test("HorizontalPodAutoscaler: replica bounds and the target (pkg/apis/autoscaling/validation), not network-relevant", () => {
  const hpa = (spec: string) =>
    `apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n${spec}`;
  assert.deepEqual(errors(hpa("  minReplicas: 0\n  maxReplicas: 3\n  scaleTargetRef: {kind: Deployment, name: web}")), [
    "app.yaml:6 (HorizontalPodAutoscaler default/web) spec.minReplicas: 0 must be greater than or equal to 1",
  ]);
  assert.deepEqual(errors(hpa("  minReplicas: 4\n  maxReplicas: 3\n  scaleTargetRef: {kind: Deployment}")), [
    "app.yaml:7 (HorizontalPodAutoscaler default/web) spec.maxReplicas: 3 must be greater than or equal to `minReplicas`",
    "app.yaml:8 (HorizontalPodAutoscaler default/web) spec.scaleTargetRef.name: Required value",
  ]);
  // maxReplicas is an int32 without a default: absent, Go reads 0.
  assert.deepEqual(errors(hpa("  scaleTargetRef: {kind: Deployment, name: web}")), [
    "app.yaml:5 (HorizontalPodAutoscaler default/web) spec.maxReplicas: 0 must be greater than 0",
  ]);
  const tolerant = checkSpec(
    [{ file: "app.yaml", text: hpa("  maxReplicas: 0\n  scaleTargetRef: {kind: Deployment, name: web}") }],
    undefined,
    "tolerant",
  );
  assert.deepEqual(
    tolerant.diagnostics.map((d) => d.severity),
    ["warning"],
  );
});

test("topologySpreadConstraints (validateTopologySpreadConstraints): positive maxSkew, a key, a known action, no repeats", () => {
  const pod = (cons: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: [{name: a, image: busybox}]\n  topologySpreadConstraints:\n${cons}`;
  assert.deepEqual(
    errors(
      pod(
        "  - {maxSkew: 0, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway}\n  - {maxSkew: 1, whenUnsatisfiable: Maybe}\n  - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway, minDomains: 2}",
      ),
    ),
    [
      "app.yaml:8 (Pod default/p) spec.topologySpreadConstraints[0].maxSkew: 0 must be greater than zero",
      'app.yaml:8 (Pod default/p) spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}: "{zone, ScheduleAnyway}" is given twice: one constraint per topologyKey and whenUnsatisfiable',
      "app.yaml:9 (Pod default/p) spec.topologySpreadConstraints[1].topologyKey: is required",
      'app.yaml:9 (Pod default/p) spec.topologySpreadConstraints[1].whenUnsatisfiable: "Maybe" must be one of DoNotSchedule, ScheduleAnyway',
      "app.yaml:10 (Pod default/p) spec.topologySpreadConstraints[2].minDomains: 2 can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway",
    ],
  );
});

test("trafficDistribution: PreferClose, PreferSameZone, PreferSameNode (validateServiceTrafficDistribution, v1.34)", () => {
  for (const v of ["PreferClose", "PreferSameZone", "PreferSameNode"])
    assert.deepEqual(errors(svc("a", `  trafficDistribution: ${v}\n  ports:\n    - port: 80`)), [], v);
  assert.deepEqual(errors(svc("a", "  trafficDistribution: preferSameZone\n  ports:\n    - port: 80")), [
    'app.yaml:6 (Service default/a) spec.trafficDistribution: "preferSameZone" Unsupported value: "preferSameZone": supported values: "PreferClose", "PreferSameZone", "PreferSameNode"',
  ]);
});

test("EndpointSlice hints: at most 8 zones, no duplicates, label values (validateHints)", () => {
  const slice = (hints: string) => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: s
  labels: {kubernetes.io/service-name: s}
addressType: IPv4
endpoints:
  - addresses: [10.0.0.1]
    hints:
${hints}`;
  assert.deepEqual(errors(slice("      forZones: [{name: zone-a}, {name: zone-b}]")), []);
  const nine = Array.from({ length: 9 }, (_, i) => `{name: z${i}}`).join(", ");
  assert.deepEqual(errors(slice(`      forZones: [${nine}]`)), [
    "app.yaml:10 (EndpointSlice default/s) endpoints[0].hints.forZones: Too many: 9: must have at most 8 items",
  ]);
  assert.deepEqual(errors(slice("      forZones: [{name: a}, {name: a}, {name: -x-}]")), [
    'app.yaml:10 (EndpointSlice default/s) endpoints[0].hints.forZones[1].name: "a" Duplicate value: "a"',
    "app.yaml:10 (EndpointSlice default/s) endpoints[0].hints.forZones[2].name: \"-x-\" a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
  ]);
  // forNodes (v1.33+): node names (ValidateNodeName), at most 8, no duplicates.
  assert.deepEqual(errors(slice("      forZones: [{name: zone-a}]\n      forNodes: [{name: worker-1}]")), []);
  assert.deepEqual(errors(slice(`      forNodes: [${nine}]`)), [
    "app.yaml:10 (EndpointSlice default/s) endpoints[0].hints.forNodes: Too many: 9: must have at most 8 items",
  ]);
  const bad = errors(slice("      forNodes: [{name: w1}, {name: w1}, {name: Worker_1}]"));
  assert.equal(bad.length, 2, bad.join("\n"));
  assert.equal(
    bad[0],
    'app.yaml:10 (EndpointSlice default/s) endpoints[0].hints.forNodes[1].name: "w1" Duplicate value: "w1"',
  );
  assert.match(bad[1], /forNodes\[2\]\.name: "Worker_1" must be a lowercase RFC 1123 subdomain/);
});

test("allocateLoadBalancerNodePorts and loadBalancerClass: only on a LoadBalancer; the class a qualified name", () => {
  assert.deepEqual(
    errors(
      svc(
        "a",
        "  type: LoadBalancer\n  allocateLoadBalancerNodePorts: false\n  loadBalancerClass: example.com/lb\n  ports:\n    - port: 80",
      ),
    ),
    [],
  );
  assert.deepEqual(
    errors(
      svc("a", "  allocateLoadBalancerNodePorts: true\n  loadBalancerClass: example.com/lb\n  ports:\n    - port: 80"),
    ),
    [
      "app.yaml:6 (Service default/a) spec.allocateLoadBalancerNodePorts: true may only be used when `type` is 'LoadBalancer'",
      "app.yaml:7 (Service default/a) spec.loadBalancerClass: \"example.com/lb\" may only be used when `type` is 'LoadBalancer'",
    ],
  );
  const bad = errors(svc("a", "  type: LoadBalancer\n  loadBalancerClass: a/b/c\n  ports:\n    - port: 80"));
  assert.equal(bad.length, 1);
  assert.match(bad[0], /^app\.yaml:7 \(Service default\/a\) spec\.loadBalancerClass: "a\/b\/c" /);
});

test("probes: one handler; an httpGet/tcpSocket port a number or a port name; grpc a number (validateProbe)", () => {
  const pod = (probes: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: web\n${probes}`;
  assert.deepEqual(
    errors(
      pod(
        "      readinessProbe: {httpGet: {path: /, port: http}}\n      livenessProbe: {tcpSocket: {port: 8080}}\n      startupProbe: {grpc: {port: 9090}}\n",
      ),
    ),
    [],
  );
  assert.deepEqual(errors(pod("      readinessProbe: {httpGet: {port: HTTP_1}, tcpSocket: {port: 80}}\n")), [
    "app.yaml:8 (Pod default/p) spec.containers[0].readinessProbe.tcpSocket: may not specify more than 1 handler type",
    'app.yaml:8 (Pod default/p) spec.containers[0].readinessProbe.httpGet.port: "HTTP_1" is not a valid port name: must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
  ]);
  assert.deepEqual(
    errors(pod("      livenessProbe: {tcpSocket: {port: 0}}\n      startupProbe: {periodSeconds: 3}\n")),
    [
      "app.yaml:8 (Pod default/p) spec.containers[0].livenessProbe.tcpSocket.port: 0 is not a valid port (1-65535)",
      "app.yaml:9 (Pod default/p) spec.containers[0].startupProbe: must specify a handler type",
    ],
  );
  // A number written as text is a port name, and a name needs a letter (IsValidPortName).
  assert.deepEqual(errors(pod('      readinessProbe: {tcpSocket: {port: "8080"}}\n')), [
    'app.yaml:8 (Pod default/p) spec.containers[0].readinessProbe.tcpSocket.port: "8080" is not a valid port name: must contain at least one letter (a-z)',
  ]);
});
