import { test } from "node:test";
import assert from "node:assert/strict";
import { givenSlice } from "./endpoints.js";
import { cluster, deployment, podsOf, statefulSet } from "./testing.js";
import { endpointsFor } from "../views/objects.js";

const CFG = {
  dns: { replicas: 0 },
  nodes: [
    { name: "cp", role: "control-plane" },
    { name: "w1", labels: { "topology.kubernetes.io/zone": "z1" } },
    { name: "w2" },
  ],
};
const SUFFIX = "[bcdfghjklmnpqrstvwxz2456789]{5}";

test("a Service with a selector gets a slice <svc>-<5 chars> with ready endpoints, nodeName, zone, targetRef", () => {
  const s = cluster(
    deployment("web", 2) +
      `
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
`,
    CFG,
  );
  const slices = s.endpointSlices.filter((x) => x.serviceName === "web");
  assert.equal(slices.length, 1);
  const sl = slices[0];
  assert.match(sl.name, new RegExp(`^web-${SUFFIX}$`));
  assert.equal(sl.managedBy, "endpointslice-controller.k8s.io");
  assert.equal(sl.addressType, "IPv4");
  assert.deepEqual(sl.ports, [{ name: "http", port: 8080, protocol: "TCP" }]);
  const pods = podsOf(s, "web-");
  assert.deepEqual(
    sl.endpoints.map((e) => ({ ...e })),
    pods.map((p) => {
      const e: Record<string, unknown> = {
        addresses: [p.podIP],
        conditions: { ready: true, serving: true, terminating: false },
        targetRef: { kind: "Pod", namespace: "default", name: p.name, uid: p.uid },
        nodeName: p.nodeName,
      };
      if (p.nodeName === "w1") e.zone = "z1";
      return e;
    }),
  );
});

test("named targetPort is resolved per pod: pods are grouped by their resolved ports", () => {
  const m =
    deployment("v1", 2, { labels: { app: "web", v: "1" }, ports: "[{name: http, containerPort: 8080}]" }) +
    deployment("v2", 1, { labels: { app: "web", v: "2" }, ports: "[{name: http, containerPort: 9376}]" }) +
    deployment("v3", 1, { labels: { app: "web", v: "3" }, ports: "[{name: other, containerPort: 7000}]" }) +
    `
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}, {name: fixed, port: 81, targetPort: 5000}]
`;
  const s = cluster(m, CFG);
  const slices = s.endpointSlices.filter((x) => x.serviceName === "web");
  const byPorts = new Map(slices.map((x) => [x.ports.map((p) => `${p.name}:${p.port}`).join(","), x.endpoints.length]));
  assert.deepEqual(
    byPorts,
    new Map([
      ["http:8080,fixed:5000", 2],
      ["http:9376,fixed:5000", 1],
      // v3 has no port named http: it is an endpoint of the numeric port only.
      ["fixed:5000", 1],
    ]),
  );
  assert.equal(s.warnings.length, 0);
});

test("a targetPort name no selected pod has is a warning, not an error", () => {
  const s = cluster(
    deployment("web", 1) +
      `
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: htttp}]
`,
    CFG,
  );
  assert.equal(s.warnings.length, 1);
  assert.match(s.warnings[0], /\(Service default\/web\) spec\.ports\[0\]\.targetPort: "htttp"/);
  const sl = s.endpointSlices.find((x) => x.serviceName === "web")!;
  assert.deepEqual(sl.ports, []);
  assert.equal(sl.endpoints.length, 1);
});

test("at most 100 endpoints per slice", () => {
  const s = cluster(
    deployment("big", 150) +
      `
apiVersion: v1
kind: Service
metadata: {name: big}
spec:
  selector: {app: big}
  ports: [{port: 80, targetPort: 8080}]
`,
    { ...CFG, nodes: CFG.nodes.map((n) => ({ ...n, maxPods: 200 })) },
  );
  const slices = s.endpointSlices.filter((x) => x.serviceName === "big");
  assert.deepEqual(
    slices.map((x) => x.endpoints.length),
    [100, 50],
  );
  assert.notEqual(slices[0].name, slices[1].name);
});

test("a selector that matches nothing: one empty slice; Pending pods are not endpoints", () => {
  const s = cluster(
    deployment("stuck", 1, { spec: "      nodeSelector: {nope: x}" }) +
      `
apiVersion: v1
kind: Service
metadata: {name: stuck}
spec:
  selector: {app: stuck}
  ports: [{port: 80}]
`,
    CFG,
  );
  const slices = s.endpointSlices.filter((x) => x.serviceName === "stuck");
  assert.equal(slices.length, 1);
  assert.deepEqual(slices[0].endpoints, []);
});

test("not-ready pods: ready=false serving=false; publishNotReadyAddresses → ready=true, serving still false", () => {
  const pod = (name: string, status: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: db}}
spec: {containers: [{name: c, image: x}]}
status: ${status}
---`;
  const m =
    pod("ok", "{}") +
    pod("notready", "{conditions: [{type: Ready, status: 'False'}]}") +
    pod("leaving", "{}").replace(
      "metadata: {name: leaving,",
      "metadata: {deletionTimestamp: '2024-01-01T00:00:00Z', name: leaving,",
    ) +
    `
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: db-all}
spec:
  publishNotReadyAddresses: true
  selector: {app: db}
  ports: [{port: 5432}]
`;
  const s = cluster(m, CFG);
  const conds = (svc: string) =>
    Object.fromEntries(
      s.endpointSlices
        .filter((x) => x.serviceName === svc)
        .flatMap((x) => x.endpoints.map((e) => [e.targetRef!.name, e.conditions])),
    );
  assert.deepEqual(conds("db"), {
    ok: { ready: true, serving: true, terminating: false },
    notready: { ready: false, serving: false, terminating: false },
    // a terminating pod stays an endpoint: serving, not ready
    leaving: { ready: false, serving: true, terminating: true },
  });
  // podToEndpoint (kubernetes staging/src/k8s.io/endpointslice/utils.go): ready =
  // publishNotReadyAddresses || (serving && !terminating), serving = IsPodReady(pod).
  assert.deepEqual(conds("db-all"), {
    ok: { ready: true, serving: true, terminating: false },
    notready: { ready: true, serving: false, terminating: false },
    leaving: { ready: true, serving: true, terminating: true },
  });
  assert.equal(s.pods.find((p) => p.name === "notready")!.ready, false);
});

test("headless Service + StatefulSet: endpoints carry the pods' hostnames", () => {
  const s = cluster(
    `
apiVersion: v1
kind: Service
metadata: {name: nginx}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: web, port: 80}]
---` +
      statefulSet("web", 2, { ports: "[{name: web, containerPort: 80}]" }) +
      `
apiVersion: v1
kind: Service
metadata: {name: other}
spec:
  selector: {app: web}
  ports: [{port: 80}]
`,
    CFG,
  );
  const hl = s.endpointSlices.find((x) => x.serviceName === "nginx")!;
  assert.deepEqual(
    hl.endpoints.map((e) => e.hostname),
    ["web-0", "web-1"],
  );
  // hostname only when spec.subdomain names this Service
  const other = s.endpointSlices.find((x) => x.serviceName === "other")!;
  assert.deepEqual(
    other.endpoints.map((e) => e.hostname),
    [undefined, undefined],
  );
});

test("given Endpoints (v1) and EndpointSlices are used as given for Services without a selector", () => {
  const s = cluster(
    `
apiVersion: v1
kind: Service
metadata: {name: ext-db}
spec:
  ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: ext-db}
subsets:
  - addresses: [{ip: 10.1.2.3}, {ip: 10.1.2.4}]
    notReadyAddresses: [{ip: 10.1.2.5}]
    ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: ext-api}
spec:
  ports: [{port: 443}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ext-api-1
  labels: {kubernetes.io/service-name: ext-api}
addressType: IPv4
ports: [{name: "", port: 8443, protocol: TCP}]
endpoints:
  - addresses: [203.0.113.10]
    conditions: {ready: true}
`,
    CFG,
  );
  const db = s.endpointSlices.filter((x) => x.serviceName === "ext-db");
  assert.equal(db.length, 1);
  assert.match(db[0].name, new RegExp(`^ext-db-${SUFFIX}$`));
  // The EndpointSliceMirroring controller's name (pkg/controller/endpointslicemirroring).
  assert.equal(db[0].managedBy, "endpointslicemirroring-controller.k8s.io");
  assert.deepEqual(db[0].ports, [{ name: "pg", port: 5432, protocol: "TCP" }]);
  assert.deepEqual(
    db[0].endpoints.map((e) => [e.addresses[0], e.conditions.ready]),
    [
      ["10.1.2.3", true],
      ["10.1.2.4", true],
      ["10.1.2.5", false],
    ],
  );
  const api = s.endpointSlices.filter((x) => x.serviceName === "ext-api");
  assert.equal(api.length, 1);
  assert.equal(api[0].name, "ext-api-1");
  assert.deepEqual(api[0].endpoints[0].addresses, ["203.0.113.10"]);
});

// The v1 Endpoints beside the slices: the endpoints controller adds each pod once per
// Service port it resolves (FindPort), then RepackSubsets groups the ports whose address
// sets are equal (kubernetes/kubernetes pkg/controller/endpoint/endpoints_controller.go,
// pkg/api/v1/endpoints/util.go).
const endpointsOf = (s: ReturnType<typeof cluster>, name: string) =>
  endpointsFor(s, s.services.find((x) => x.name === name && x.namespace === "default")!).subsets.map((ss) => ({
    ips: ss.addresses.map((a) => a.ip),
    notReady: ss.notReadyAddresses.map((a) => a.ip),
    ports: ss.ports.map((p) => `${p.name}:${p.port}/${p.protocol}`),
  }));
const ipsOf = (s: ReturnType<typeof cluster>, prefix: string) =>
  podsOf(s, prefix)
    .map((p) => p.podIP!)
    .sort();

test("Endpoints with a named targetPort: a pod without the name is left out of that port only", () => {
  const m =
    deployment("v1", 2, { labels: { app: "web", v: "1" }, ports: "[{name: http, containerPort: 8080}]" }) +
    deployment("v2", 1, { labels: { app: "web", v: "2" }, ports: "[{name: http, containerPort: 9376}]" }) +
    // The name with another protocol does not count (FindPort matches name AND protocol).
    deployment("v3", 1, {
      labels: { app: "web", v: "3" },
      ports: "[{name: http, containerPort: 7000, protocol: UDP}]",
    }) +
    `
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}, {name: fixed, port: 81, targetPort: 5000}]
`;
  const s = cluster(m, CFG);
  const all = [...ipsOf(s, "v1-"), ...ipsOf(s, "v2-"), ...ipsOf(s, "v3-")].sort();
  const subsets = endpointsOf(s, "web");
  assert.equal(subsets.length, 3);
  for (const want of [
    { ips: ipsOf(s, "v1-"), notReady: [], ports: ["http:8080/TCP"] },
    { ips: ipsOf(s, "v2-"), notReady: [], ports: ["http:9376/TCP"] },
    { ips: all, notReady: [], ports: ["fixed:5000/TCP"] },
  ])
    assert.ok(
      subsets.some((x) => JSON.stringify(x) === JSON.stringify(want)),
      `${JSON.stringify(want)} in ${JSON.stringify(subsets)}`,
    );
  // The EndpointSlice controller: one slice per exact port list.
  const slices = s.endpointSlices.filter((x) => x.serviceName === "web");
  assert.deepEqual(
    slices.map((x) => [x.ports.map((p) => `${p.name}:${p.port}`).join(","), x.endpoints.length]).sort(),
    [
      ["fixed:5000", 1],
      ["http:8080,fixed:5000", 2],
      ["http:9376,fixed:5000", 1],
    ],
  );
});

test("Endpoints: ports with the same pods share a subset; a pod that resolves no port is absent", () => {
  const m =
    deployment("a", 1, {
      labels: { app: "web" },
      ports: "[{name: http, containerPort: 8080}, {name: admin, containerPort: 9000}]",
    }) +
    deployment("b", 1, { labels: { app: "web" }, ports: "[{name: metrics, containerPort: 9100}]" }) +
    `
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}, {name: admin, port: 9000, targetPort: admin}]
`;
  const s = cluster(m, CFG);
  assert.deepEqual(endpointsOf(s, "web"), [
    { ips: ipsOf(s, "a-"), notReady: [], ports: ["http:8080/TCP", "admin:9000/TCP"] },
  ]);
  // The slice controller keeps the port-less pod, in a slice with no ports.
  const portless = s.endpointSlices.find((x) => x.serviceName === "web" && x.ports.length === 0)!;
  assert.deepEqual(
    portless.endpoints.map((e) => e.addresses[0]),
    ipsOf(s, "b-"),
  );
});

test("Endpoints of a headless Service without ports: the addresses, no ports", () => {
  const s = cluster(
    deployment("db", 2) +
      `
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, selector: {app: db}}
`,
    CFG,
  );
  assert.deepEqual(endpointsOf(s, "db"), [{ ips: ipsOf(s, "db-"), notReady: [], ports: [] }]);
});

// trafficDistribution PreferClose: the EndpointSlice controller hints each endpoint for its
// own zone (kubernetes staging/src/k8s.io/endpointslice/trafficdist/trafficdist.go), unless
// the topology annotation asks for the topology cache's hints (endpointslice reconciler.go).
const ZONED = {
  dns: { replicas: 0 },
  nodes: [
    { name: "cp", role: "control-plane" },
    { name: "w1", labels: { "topology.kubernetes.io/zone": "z1" } },
    { name: "w2", labels: { "topology.kubernetes.io/zone": "z2" } },
    { name: "w3" },
  ],
};
const zonedService = (extra: string) => `
apiVersion: v1
kind: Service
metadata: {name: web${extra.includes("annotations") ? ", " + extra : ""}}
spec:
  selector: {app: web}
  ${extra.includes("annotations") ? "trafficDistribution: PreferClose" : extra}
  ports: [{port: 80}]
`;

test("trafficDistribution PreferClose: each endpoint with a zone is hinted for it", () => {
  const s = cluster(deployment("web", 6) + zonedService("trafficDistribution: PreferClose"), ZONED);
  const eps = s.endpointSlices.find((x) => x.serviceName === "web")!.endpoints;
  assert.ok(
    eps.some((e) => e.nodeName === "w3"),
    "a pod on the node without a zone",
  );
  for (const e of eps) {
    const zone = e.nodeName === "w1" ? "z1" : e.nodeName === "w2" ? "z2" : undefined;
    assert.equal(e.zone, zone);
    assert.deepEqual(e.hints, zone ? { forZones: [{ name: zone }] } : undefined, e.nodeName);
  }
});

test("trafficDistribution PreferSameZone is PreferClose; PreferSameNode hints each endpoint for its node and zone", () => {
  // trafficdist.go (v1.34): preferSameZoneHeuristic for both zone names; preferSameNodeHeuristic
  // adds the endpoint's node (forNodes), and its zone when it has one.
  const zoneOf = (n?: string) => (n === "w1" ? "z1" : n === "w2" ? "z2" : undefined);
  const same = cluster(deployment("web", 6) + zonedService("trafficDistribution: PreferSameZone"), ZONED);
  for (const e of same.endpointSlices.find((x) => x.serviceName === "web")!.endpoints) {
    const zone = zoneOf(e.nodeName);
    assert.deepEqual(e.hints, zone ? { forZones: [{ name: zone }] } : undefined, e.nodeName);
  }
  const node = cluster(deployment("web", 6) + zonedService("trafficDistribution: PreferSameNode"), ZONED);
  const eps = node.endpointSlices.find((x) => x.serviceName === "web")!.endpoints;
  assert.ok(eps.some((e) => e.nodeName === "w3"));
  for (const e of eps) {
    const zone = zoneOf(e.nodeName);
    assert.deepEqual(
      e.hints,
      zone ? { forZones: [{ name: zone }], forNodes: [{ name: e.nodeName! }] } : { forNodes: [{ name: e.nodeName! }] },
      e.nodeName,
    );
  }
});

test("no trafficDistribution, or topology-mode Auto with a worker that has no zone: no hints", () => {
  for (const extra of ["", 'annotations: {service.kubernetes.io/topology-mode: "Auto"}']) {
    const s = cluster(deployment("web", 4) + zonedService(extra), ZONED);
    const eps = s.endpointSlices.find((x) => x.serviceName === "web")!.endpoints;
    assert.ok(eps.length > 0 && eps.some((e) => e.zone));
    assert.ok(
      eps.every((e) => e.hints === undefined),
      extra,
    );
    // Auto: the topology cache stops at w3, a worker without a zone, and podnet says why.
    assert.equal(
      s.warnings.filter((w) => /topology-mode Auto: .* no zone hints, as a Ready node .* has no zone label/.test(w))
        .length,
      extra ? 1 : 0,
      s.warnings.join("\n"),
    );
  }
});

test("a given EndpointSlice's hints are kept as given (what kube-proxy reads)", () => {
  const s = cluster(
    `
apiVersion: v1
kind: Service
metadata: {name: ext}
spec:
  ports: [{port: 443}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ext-1
  labels: {kubernetes.io/service-name: ext}
addressType: IPv4
ports: [{name: "", port: 8443, protocol: TCP}]
endpoints:
  - addresses: [10.1.0.10]
    zone: z1
    hints: {forZones: [{name: z1}, {name: z2}]}
  - addresses: [10.1.0.11]
`,
    ZONED,
  );
  const eps = s.endpointSlices.find((x) => x.name === "ext-1")!.endpoints;
  assert.deepEqual(eps[0].hints, { forZones: [{ name: "z1" }, { name: "z2" }] });
  assert.equal(eps[1].hints, undefined);
});

test("a given slice's endpoint is the state's own when it is as served; else a copy, the given untouched", () => {
  const served = {
    addresses: ["10.244.1.5"],
    conditions: { ready: true, serving: true, terminating: false },
    nodeName: "kind-worker",
    targetRef: { kind: "Pod", name: "web-0", namespace: "default", uid: "u1" },
    zone: "z1",
  };
  const older = {
    addresses: ["10.244.1.6"],
    conditions: { ready: false }, // before serving/terminating existed (v1.20)
    nodeName: "kind-worker",
    targetRef: { kind: "Pod", name: "web-1", namespace: "default", uid: "u2" },
  };
  const extra = { ...structuredClone(served), deprecatedTopology: { a: "b" } };
  const slice = {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "web-abc", namespace: "default", labels: { "kubernetes.io/service-name": "web" } },
    addressType: "IPv4",
    endpoints: [served, older, extra],
    ports: [{ name: "http", port: 80, protocol: "TCP" }],
  };
  const before = structuredClone(slice);
  const s = givenSlice(slice as never);
  assert.equal(s.endpoints[0], served);
  assert.deepEqual(served, before.endpoints[0]); // the same values (its conditions now shared)
  assert.equal(givenSlice(structuredClone(before) as never).endpoints[0].conditions, served.conditions);
  // Another shape: the state's own object, the given as it was.
  assert.notEqual(s.endpoints[1], older);
  assert.deepEqual(s.endpoints[1].conditions, { ready: false, serving: false, terminating: false });
  assert.deepEqual(older, before.endpoints[1]);
  assert.notEqual(s.endpoints[2], extra);
  assert.deepEqual(extra, before.endpoints[2]);
});
