// Expected values: the Kubernetes docs ("Discovering services: Environment variables",
// e.g. REDIS_PRIMARY_SERVICE_HOST=10.0.0.11 … REDIS_PRIMARY_PORT_6379_TCP_ADDR) and
// kubelet's envvars.FromServices.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fixtureState } from "../dns/testing.js";
import { serviceEnvFor, serviceEnvVars } from "./env.js";
import { cluster, objectsFromYaml } from "./testing.js";
import { applyObjects } from "./changes.js";
import { buildState } from "./build.js";
import { parseSpec } from "../manifest/parse.js";
import { containerEnv, formatEnv } from "../views/env.js";
import type { ClusterState } from "./state.js";

test("the docs' redis-primary example", () => {
  const s = fixtureState({
    services: [{ name: "redis-primary", clusterIP: "10.0.0.11", ports: [{ port: 6379 }] }],
  }).services.find((x) => x.name === "redis-primary")!;
  assert.deepEqual(serviceEnvVars(s), [
    { name: "REDIS_PRIMARY_SERVICE_HOST", value: "10.0.0.11" },
    { name: "REDIS_PRIMARY_SERVICE_PORT", value: "6379" },
    { name: "REDIS_PRIMARY_PORT", value: "tcp://10.0.0.11:6379" },
    { name: "REDIS_PRIMARY_PORT_6379_TCP", value: "tcp://10.0.0.11:6379" },
    { name: "REDIS_PRIMARY_PORT_6379_TCP_PROTO", value: "tcp" },
    { name: "REDIS_PRIMARY_PORT_6379_TCP_PORT", value: "6379" },
    { name: "REDIS_PRIMARY_PORT_6379_TCP_ADDR", value: "10.0.0.11" },
  ]);
});

test("named ports get _SERVICE_PORT_<NAME>; every port its link variables", () => {
  const s = fixtureState({
    services: [
      {
        name: "web-api",
        clusterIP: "10.96.5.5",
        ports: [
          { name: "http", port: 80 },
          { name: "dns-udp", port: 53, protocol: "UDP" },
        ],
      },
    ],
  }).services.find((x) => x.name === "web-api")!;
  const env = Object.fromEntries(serviceEnvVars(s).map((e) => [e.name, e.value]));
  assert.equal(env.WEB_API_SERVICE_PORT, "80");
  assert.equal(env.WEB_API_SERVICE_PORT_HTTP, "80");
  assert.equal(env.WEB_API_SERVICE_PORT_DNS_UDP, "53");
  assert.equal(env.WEB_API_PORT, "tcp://10.96.5.5:80");
  assert.equal(env.WEB_API_PORT_53_UDP, "udp://10.96.5.5:53");
  assert.equal(env.WEB_API_PORT_53_UDP_PROTO, "udp");
});

test("visible: the pod's namespace (created before it), always default/kubernetes; not headless or ExternalName", () => {
  const st = fixtureState({
    namespaces: ["production"],
    services: [
      { name: "early", clusterIP: "10.96.7.1", ports: [{ port: 80 }], created: 1 },
      { name: "late", clusterIP: "10.96.7.2", ports: [{ port: 80 }], created: 50 },
      { name: "headless", clusterIP: "None", ports: [{ port: 80 }] },
      { name: "ext", type: "ExternalName", externalName: "example.com" },
      { namespace: "production", name: "other-ns", clusterIP: "10.96.7.3", ports: [{ port: 80 }] },
    ],
  });
  const names = serviceEnvFor(st.services, "default", 10, true).map((e) => e.name);
  assert.ok(names.includes("EARLY_SERVICE_HOST"));
  assert.ok(names.includes("KUBERNETES_SERVICE_HOST"));
  assert.ok(names.includes("KUBE_DNS_SERVICE_HOST") === false); // kube-system
  assert.ok(
    !names.some(
      (n) => n.startsWith("LATE_") || n.startsWith("HEADLESS_") || n.startsWith("EXT_") || n.startsWith("OTHER_NS_"),
    ),
  );
  const prod = serviceEnvFor(st.services, "production", 10, true).map((e) => e.name);
  assert.ok(prod.includes("OTHER_NS_SERVICE_HOST"));
  assert.ok(prod.includes("KUBERNETES_SERVICE_PORT_HTTPS"));
});

test("enableServiceLinks: false keeps only the kubernetes Service's variables", () => {
  const st = fixtureState({ services: [{ name: "early", clusterIP: "10.96.7.1", ports: [{ port: 80 }] }] });
  const env = serviceEnvFor(st.services, "default", 10, false);
  assert.deepEqual(
    env.map((e) => e.name),
    [
      "KUBERNETES_SERVICE_HOST",
      "KUBERNETES_SERVICE_PORT",
      "KUBERNETES_SERVICE_PORT_HTTPS",
      "KUBERNETES_PORT",
      "KUBERNETES_PORT_443_TCP",
      "KUBERNETES_PORT_443_TCP_PROTO",
      "KUBERNETES_PORT_443_TCP_PORT",
      "KUBERNETES_PORT_443_TCP_ADDR",
    ],
  );
  assert.equal(env[0].value, "10.96.0.1");
  assert.equal(env[3].value, "tcp://10.96.0.1:443");
});

// ---- the container's own variables: kubelet's makeEnvironmentVariables
// (kubernetes/kubernetes pkg/kubelet/kubelet_pods.go), the Downward API
// (pkg/fieldpath, pkg/api/v1/resource/helpers.go), the expansion rules
// (third_party/forked/golang/expansion) and the kubelet's error texts.

const b64 = (s: string) => Buffer.from(s).toString("base64");
const objects = `
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data: {LOG_LEVEL: debug, "1st-key": one, my.dotted: dot, URL: "http://$(HOST)"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: override}
data: {LOG_LEVEL: info}
---
apiVersion: v1
kind: Secret
metadata: {name: db}
data: {password: ${b64("s3cr€t")}, user: ${b64("admin")}}
stringData: {user: root}
---
apiVersion: v1
kind: Service
metadata: {name: backend}
spec: {selector: {app: backend}, ports: [{port: 8080}]}
---`;
const podYaml = (containers: string, extra = "") => `
apiVersion: v1
kind: Pod
metadata: {name: p, labels: {app: web, tier: front}, annotations: {team: net}}
spec:
  nodeName: worker-1
${extra}
  containers:
${containers}
---`;
const envOf = (s: ClusterState, c?: string) =>
  Object.fromEntries(containerEnv(s.pods.find((p) => p.name === "p")!, c).map((e) => [e.name, e.value]));

test("envFrom: keys as given (no name check since KEP-4369), prefix, later source wins, env overrides", () => {
  const s = cluster(
    objects +
      podYaml(`    - name: app
      image: x
      envFrom:
        - configMapRef: {name: app-config}
        - configMapRef: {name: override}
        - prefix: DB_
          secretRef: {name: db}
      env:
        - {name: DB_user, value: "$(DB_user)-x"}`),
  );
  const env = envOf(s);
  assert.equal(env.LOG_LEVEL, "info");
  assert.equal(env["1st-key"], "one");
  assert.equal(env["my.dotted"], "dot");
  // A ConfigMap's values are not expanded (only `value` is).
  assert.equal(env.URL, "http://$(HOST)");
  // Secret data base64-decoded (UTF-8), stringData written over data.
  assert.equal(env.DB_password, "s3cr€t");
  assert.equal(env.DB_user, "root-x");
  const pod = s.pods.find((p) => p.name === "p")!;
  assert.equal(pod.phase, "Running");
});

test("configMapKeyRef and secretKeyRef; optional and missing: the variable is not set", () => {
  const s = cluster(
    objects +
      podYaml(`    - name: app
      image: x
      env:
        - {name: LEVEL, valueFrom: {configMapKeyRef: {name: app-config, key: LOG_LEVEL}}}
        - {name: PASS, valueFrom: {secretKeyRef: {name: db, key: password}}}
        - {name: NO_KEY, valueFrom: {configMapKeyRef: {name: app-config, key: nope, optional: true}}}
        - {name: NO_CM, valueFrom: {configMapKeyRef: {name: absent, key: k, optional: true}}}
        - {name: NO_SECRET, valueFrom: {secretKeyRef: {name: absent, key: k, optional: true}}}
      envFrom:
        - configMapRef: {name: absent, optional: true}`),
  );
  const env = envOf(s);
  assert.equal(env.LEVEL, "debug");
  assert.equal(env.PASS, "s3cr€t");
  for (const n of ["NO_KEY", "NO_CM", "NO_SECRET"]) assert.equal(n in env, false, n);
});

test("a missing required ConfigMap, Secret or key: CreateContainerConfigError with kubelet's text", () => {
  const cases: [string, string][] = [
    ["envFrom: [{configMapRef: {name: absent}}]", 'configmap "absent" not found'],
    ["envFrom: [{secretRef: {name: absent}}]", 'secret "absent" not found'],
    ["env: [{name: A, valueFrom: {configMapKeyRef: {name: absent, key: k}}}]", 'configmap "absent" not found'],
    [
      "env: [{name: A, valueFrom: {configMapKeyRef: {name: app-config, key: k}}}]",
      "couldn't find key k in ConfigMap default/app-config",
    ],
    ["env: [{name: A, valueFrom: {secretKeyRef: {name: db, key: k}}}]", "couldn't find key k in Secret default/db"],
  ];
  for (const [env, message] of cases) {
    const s = cluster(objects + podYaml(`    - name: app\n      image: x\n      ${env}`));
    const pod = s.pods.find((p) => p.name === "p")!;
    assert.equal(pod.phase, "Pending", env);
    assert.equal(pod.ready, false);
    assert.equal(pod.reason, "CreateContainerConfigError");
    assert.equal(pod.message, message);
    assert.ok(pod.podIP, "the sandbox exists: the pod has its address");
    const ev = s.events.find((e) => e.object === "pod/default/p" && e.reason === "Failed")!;
    assert.deepEqual([ev.type, ev.message, ev.source], ["Warning", `Error: ${message}`, "kubelet"]);
    assert.throws(() => containerEnv(pod), /CreateContainerConfigError/);
  }
});

test("Downward API fieldRef: every field env may read", () => {
  const fields = [
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "metadata.labels['tier']",
    "metadata.labels['absent']",
    "metadata.annotations['team']",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
  ];
  const env = fields.map((f, i) => `        - {name: F${i}, valueFrom: {fieldRef: {fieldPath: "${f}"}}}`).join("\n");
  const s = cluster(podYaml(`    - name: app\n      image: x\n      env:\n${env}`));
  const pod = s.pods.find((p) => p.name === "p")!;
  const got = envOf(s);
  const worker1 = s.nodes.find((n) => n.name === "worker-1")!.address;
  assert.deepEqual(
    fields.map((_, i) => got[`F${i}`]),
    ["p", "default", pod.uid, "front", "", "net", "worker-1", "default", worker1, worker1, pod.podIP, pod.podIP],
  );
  assert.ok(pod.podIP && pod.podIP !== "");
});

test("spec.serviceAccountName: the given name (or the deprecated serviceAccount)", () => {
  const one = (spec: string) =>
    envOf(
      cluster(
        podYaml(
          "    - {name: app, image: x, env: [{name: SA, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}}]}",
          spec,
        ),
      ),
    ).SA;
  assert.equal(one("  serviceAccountName: builder"), "builder");
  assert.equal(one("  serviceAccount: legacy"), "legacy");
});

test("resourceFieldRef: ceil(value / divisor); no limit: the node's allocatable; no request: the limit, else 0", () => {
  const ref = (name: string, resource: string, divisor?: string) =>
    `        - {name: ${name}, valueFrom: {resourceFieldRef: {resource: ${resource}${divisor ? `, divisor: ${divisor}` : ""}}}}`;
  const s = cluster(
    `
apiVersion: v1
kind: Node
metadata: {name: worker-1}
status: {allocatable: {cpu: "4", memory: 8Gi, ephemeral-storage: 100Gi, pods: "110"}}
---` +
      podYaml(`    - name: app
      image: x
      resources: {limits: {cpu: 250m, memory: 64Mi}}
      env:
${ref("CPU", "limits.cpu")}
${ref("CPU_M", "limits.cpu", "1m")}
${ref("MEM_MI", "limits.memory", "1Mi")}
${ref("MEM", "limits.memory")}
${ref("REQ_CPU_M", "requests.cpu", "1m")}
${ref("EPH", "limits.ephemeral-storage", "1Gi")}
${ref("EPH_REQ", "requests.ephemeral-storage")}
    - name: side
      image: x
      resources: {requests: {cpu: 100m}}
      env:
${ref("CPU", "limits.cpu")}
${ref("MEM_GI", "limits.memory", "1Gi")}
${ref("REQ_CPU", "requests.cpu", "1m")}
${ref("REQ_MEM", "requests.memory")}
        - {name: APP_CPU, valueFrom: {resourceFieldRef: {containerName: app, resource: limits.cpu, divisor: 1m}}}`),
  );
  assert.deepEqual(withoutKube(envOf(s)), {
    CPU: "1", // 250m rounded up to whole cores
    CPU_M: "250",
    MEM_MI: "64",
    MEM: String(64 * 2 ** 20),
    REQ_CPU_M: "250", // the API server copies the limit into the missing request
    EPH: "100", // no limit: the node's allocatable
    EPH_REQ: "0",
  });
  const side = withoutKube(envOf(s, "side"));
  assert.deepEqual(side, { CPU: "4", MEM_GI: "8", REQ_CPU: "100", REQ_MEM: "0", APP_CPU: "250" });
});

/** The variables a container sets itself (the kubernetes Service's links left out). */
function withoutKube(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith("KUBERNETES_")));
}

test("$(VAR): envFrom and earlier env first, then Service variables; unknown kept; $$ escapes; valueFrom never expanded", () => {
  const s = cluster(
    objects +
      podYaml(`    - name: app
      image: x
      envFrom: [{configMapRef: {name: app-config}}]
      env:
        - {name: A, value: "$(LOG_LEVEL)/$(BACKEND_SERVICE_HOST):$(BACKEND_SERVICE_PORT)"}
        - {name: B, value: "$(A)-$(LATER)-$(NOPE)"}
        - {name: LATER, value: "late"}
        - {name: ESC, value: "$$(A) $$$(A) cost $5 $(unclosed"}
        - {name: FROM, valueFrom: {configMapKeyRef: {name: app-config, key: URL}}}
        - {name: EMPTY, value: ""}`),
  );
  const env = envOf(s);
  const ip = s.services.find((x) => x.name === "backend")!.clusterIP;
  assert.equal(env.A, `debug/${ip}:8080`);
  assert.equal(env.B, `debug/${ip}:8080-$(LATER)-$(NOPE)`);
  assert.equal(env.ESC, `$(A) $debug/${ip}:8080 cost $5 $(unclosed`);
  assert.equal(env.FROM, "http://$(HOST)");
  assert.equal(env.EMPTY, "");
  // The container's own variables first (as set), then the Service variables it did not set.
  const names = formatEnv(containerEnv(s.pods.find((p) => p.name === "p")!))
    .split("\n")
    .map((l) => l.split("=")[0]);
  assert.deepEqual(names.slice(0, 4), ["LOG_LEVEL", "1st-key", "my.dotted", "URL"]);
  assert.ok(names.indexOf("BACKEND_SERVICE_HOST") > names.indexOf("EMPTY"));
});

test("a container kubelet cannot configure: a not-ready endpoint, Pending with the reason on its status", () => {
  const s = cluster(
    objects +
      `
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
---` +
      podYaml("    - {name: app, image: x, envFrom: [{configMapRef: {name: absent}}]}"),
  );
  const pod = s.pods.find((p) => p.name === "p")!;
  const eps = s.endpointSlices.filter((e) => e.serviceName === "web").flatMap((e) => e.endpoints);
  assert.deepEqual(
    eps.map((e) => [e.addresses[0], e.conditions]),
    [[pod.podIP, { ready: false, serving: false, terminating: false }]],
  );
});

test("a pod read from a live cluster: its environment from its observed fields; its status as observed", () => {
  const text = `apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: default}
data: {mode: live}
---
apiVersion: v1
kind: Pod
metadata: {name: seen, namespace: default, uid: 0b6f0c1e-1111-2222-3333-444455556666}
spec:
  nodeName: kind-worker
  containers:
    - name: app
      image: x
      env:
        - {name: IP, valueFrom: {fieldRef: {apiVersion: v1, fieldPath: status.podIP}}}
        - {name: UID, valueFrom: {fieldRef: {apiVersion: v1, fieldPath: metadata.uid}}}
        - {name: HOST, valueFrom: {fieldRef: {apiVersion: v1, fieldPath: status.hostIP}}}
        - {name: MODE, valueFrom: {configMapKeyRef: {name: cfg, key: mode}}}
    - name: broken
      image: x
      envFrom: [{configMapRef: {name: absent}}]
status:
  phase: Running
  hostIP: 172.18.0.3
  podIP: 10.244.1.7
  podIPs: [{ip: 10.244.1.7}]
  conditions: [{type: Ready, status: "True"}]
`;
  const s = buildState(parseSpec([{ file: "dump.yaml", text }], undefined, "tolerant"));
  const pod = s.pods.find((p) => p.name === "seen")!;
  assert.equal(pod.observed, true);
  const env = Object.fromEntries(containerEnv(pod).map((e) => [e.name, e.value]));
  assert.deepEqual(
    [env.IP, env.UID, env.HOST, env.MODE],
    ["10.244.1.7", "0b6f0c1e-1111-2222-3333-444455556666", "172.18.0.3", "live"],
  );
  // What the cluster says about it stands: podnet does not re-run kubelet's verdict; the
  // input lacks the ConfigMap, not the cluster.
  assert.equal(pod.phase, "Running");
  assert.equal(pod.reason, undefined);
  assert.throws(() => containerEnv(pod, "broken"), /input does not hold \(configmap "absent" not found\)/);
});

test("kubelet retries: once the ConfigMap is applied, the waiting container starts with it", () => {
  const s = cluster(
    `
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
---` +
      podYaml(
        "    - {name: app, image: x, env: [{name: MODE, valueFrom: {configMapKeyRef: {name: later, key: mode}}}]}",
      ),
  );
  assert.equal(s.pods.find((p) => p.name === "p")!.reason, "CreateContainerConfigError");
  // Still missing the key: still waiting, with the new text.
  const half = applyObjects(
    s,
    objectsFromYaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: later}\ndata: {other: x}\n"),
  ).state;
  const waiting = half.pods.find((p) => p.name === "p")!;
  assert.equal(waiting.message, "couldn't find key mode in ConfigMap default/later");
  const next = applyObjects(
    half,
    objectsFromYaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: later}\ndata: {mode: on}\n"),
  ).state;
  const pod = next.pods.find((p) => p.name === "p")!;
  assert.deepEqual([pod.phase, pod.ready, pod.reason], ["Running", true, undefined]);
  assert.equal(envOf(next).MODE, "on");
  const ep = next.endpointSlices.find((x) => x.serviceName === "web")!.endpoints;
  assert.deepEqual(
    ep.map((e) => e.conditions.ready),
    [true],
  );
  // The earlier state is left as it was.
  assert.equal(s.pods.find((p) => p.name === "p")!.phase, "Pending");
});
