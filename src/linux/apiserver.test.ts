// The API server's answers to a client without credentials. Expected texts from
// kubernetes/kubernetes: staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go
// (forbiddenMessage), staging/src/k8s.io/apimachinery/pkg/api/errors/errors.go (NewForbidden,
// NewUnauthorized), plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go
// (system:public-info-viewer: /healthz /livez /readyz /version /version/).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { get as httpsGet } from "node:https";
import { type AddressInfo, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { APISERVER_VERSION, apiserverAnswer, apiserverCert, apiserverListener } from "./apiserver.js";
import { haveTool } from "./testing.js";
import { DEFAULT_NODE_INFO } from "../views/common.js";

const curl = { "user-agent": "curl/7.88.1" };

test("apiserver: /version is public, the cluster's version as version.Info", () => {
  const a = apiserverAnswer("GET", "/version", curl);
  assert.equal(a.status, 200);
  assert.equal(a.type, "application/json");
  const v = JSON.parse(a.body);
  assert.deepEqual(Object.keys(v), [
    "major",
    "minor",
    "gitVersion",
    "gitCommit",
    "gitTreeState",
    "buildDate",
    "goVersion",
    "compiler",
    "platform",
  ]);
  // The same version the nodes' kubelets report.
  assert.equal(v.gitVersion, DEFAULT_NODE_INFO.kubeletVersion);
  assert.equal(`v${v.major}.${v.minor}.0`, v.gitVersion);
  assert.deepEqual(v, APISERVER_VERSION);
  for (const p of ["/healthz", "/livez", "/readyz"]) assert.deepEqual(apiserverAnswer("GET", p, {}).body, "ok");
});

test("apiserver: anonymous requests elsewhere are 403 with the authorizer's message", () => {
  const root = apiserverAnswer("GET", "/", curl);
  assert.equal(root.status, 403);
  assert.deepEqual(JSON.parse(root.body), {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: 'forbidden: User "system:anonymous" cannot get path "/"',
    reason: "Forbidden",
    details: {},
    code: 403,
  });
  const pods = JSON.parse(apiserverAnswer("GET", "/api/v1/namespaces/default/pods", curl).body);
  assert.equal(
    pods.message,
    'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"',
  );
  assert.deepEqual(pods.details, { kind: "pods" });
  const one = JSON.parse(apiserverAnswer("GET", "/apis/apps/v1/namespaces/kube-system/deployments/coredns", {}).body);
  assert.equal(
    one.message,
    'deployments.apps "coredns" is forbidden: User "system:anonymous" cannot get resource "deployments" in API group "apps" in the namespace "kube-system"',
  );
  assert.deepEqual(one.details, { name: "coredns", group: "apps", kind: "deployments" });
  const nodes = JSON.parse(apiserverAnswer("GET", "/api/v1/nodes?watch=true", {}).body);
  assert.equal(
    nodes.message,
    'nodes is forbidden: User "system:anonymous" cannot watch resource "nodes" in API group "" at the cluster scope',
  );
  const ns = JSON.parse(apiserverAnswer("DELETE", "/api/v1/namespaces/default", {}).body);
  assert.equal(
    ns.message,
    'namespaces "default" is forbidden: User "system:anonymous" cannot delete resource "namespaces" in API group "" at the cluster scope',
  );
  // Discovery is for authenticated users only (system:discovery).
  assert.equal(apiserverAnswer("GET", "/api", {}).status, 403);
});

test("apiserver: credentials it cannot check are 401 Unauthorized", () => {
  const a = apiserverAnswer("GET", "/version", { authorization: "Bearer abc" });
  assert.equal(a.status, 401);
  assert.deepEqual(JSON.parse(a.body), {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: "Unauthorized",
    reason: "Unauthorized",
    code: 401,
  });
});

test("apiserver: Status JSON is pretty for curl and browsers, compact otherwise (negotiate.go isPrettyPrint)", () => {
  assert.match(apiserverAnswer("GET", "/", curl).body, /^\{\n {2}"kind"/);
  assert.equal(apiserverAnswer("GET", "/", { "user-agent": "kubectl/v1.31.0" }).body.split("\n").length, 2);
  assert.match(apiserverAnswer("GET", "/?pretty=true", {}).body, /^\{\n/);
  assert.equal(apiserverAnswer("GET", "/?pretty=false", curl).body.split("\n").length, 2);
});

test("apiserver: a node's own listener joins its supervisor, named like kubeadm's static pod", async () => {
  const { fixtureIR } = await import("./testing.js");
  const { supervisorConfigs } = await import("./supervisor.js");
  const ir = fixtureIR("s");
  const n = ir.nodes[0];
  n.listeners = [{ container: "kube-apiserver", port: 6443, protocol: "TCP", address: "0.0.0.0", portName: "https" }];
  const cfg = supervisorConfigs(ir, "s")[0];
  const api = cfg.pods.find((p) => p.host)!;
  assert.equal(`${api.namespace}/${api.name}`, `kube-system/kube-apiserver-${n.name}`);
  assert.equal(api.netns, cfg.nodeNetns);
  assert.deepEqual(
    api.listeners.map((l) => `${l.port}/${l.protocol}`),
    ["6443/TCP"],
  );
  // kubeadm's apiserver names: the node, the kubernetes Service's names and address, the node's address.
  assert.deepEqual(api.host!.sans.slice(0, 4), [n.name, "kubernetes", "kubernetes.default", "kubernetes.default.svc"]);
  assert.ok(api.host!.sans.includes(n.address));
  // Other nodes have none.
  assert.ok(
    supervisorConfigs(ir, "s")
      .slice(1)
      .every((c) => !c.pods.some((p) => p.host)),
  );
});

test("apiserver: plain HTTP to the TLS port gets Go's 400; TLS still answers", {
  skip: haveTool("openssl") ? false : "openssl is not installed",
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-api-"));
  const srv = apiserverListener(apiserverCert(dir, "n1", ["n1", "127.0.0.1"]), (e) => assert.fail(e));
  try {
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const { port } = srv.address() as AddressInfo;
    /** Everything the server sends to `req` until it closes. */
    const raw = (req: string) =>
      new Promise<string>((resolve, reject) => {
        const c = connect(port, "127.0.0.1", () => c.write(req));
        let out = "";
        c.setEncoding("latin1");
        c.on("data", (d) => (out += d));
        c.on("error", reject);
        c.on("close", () => resolve(out));
      });
    // go/src/net/http/server.go (conn.serve): the exact bytes, no headers, then close.
    const bad = "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
    for (const req of [
      "GET /version HTTP/1.1\r\nHost: x\r\n\r\n",
      "HEAD / HTTP/1.1\r\n\r\n",
      "POST /api HTTP/1.1\r\n\r\n",
      "PUT /x HTTP/1.1\r\n\r\n",
      "OPTIONS * HTTP/1.1\r\n\r\n",
    ])
      assert.equal(await raw(req), bad, req.split("\r")[0]);
    // tlsRecordHeaderLooksLikeHTTP knows only those five starts: others are not answered.
    assert.ok(!(await raw("DELETE / HTTP/1.1\r\n\r\n")).includes("400"));
    // A TLS client is served as before.
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsGet({ host: "127.0.0.1", port, path: "/healthz", rejectUnauthorized: false }, (res) => {
        let b = "";
        res.on("data", (d) => (b += d));
        res.on("end", () => resolve(`${res.statusCode} ${b}`));
      });
      req.on("error", reject);
    });
    assert.equal(body, "200 ok");
  } finally {
    srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
