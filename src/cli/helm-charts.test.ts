// podnet on `helm template` output of popular charts (examples/helm): the answers follow
// from the charts' NetworkPolicies, Services and hooks read with Kubernetes' semantics
// (https://kubernetes.io/docs/concepts/services-networking/network-policies/,
// https://helm.sh/docs/topics/charts_hooks/), not from podnet's output.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

const run = (...args: string[]) => spawnSync(process.execPath, ["bin/podnet.js", ...args], { encoding: "utf8" });

test("argo-cd: the chart's policies allow each component's callers on its named port, and no more", () => {
  const r = run("reach", "-n", "argocd", "-f", "examples/helm/argo-cd");
  assert.equal(r.status, 0, r.stderr);
  const to = (w: string) =>
    r.stdout
      .trim()
      .split("\n")
      .filter((l) => l.includes(` => argocd/${w}[`) && !l.includes("[External]"))
      .map((l) => l.replace(/\[\w+\]/g, "").replace(/argocd\//g, ""));
  // argocd-repo-server: from server and application-controller (the notifications and
  // applicationset controllers the policy also names are not deployed), on `port: repo-server`,
  // the container port named so: 8081.
  assert.deepEqual(to("argocd-repo-server"), [
    "argocd-application-controller => argocd-repo-server : TCP 8081",
    "argocd-server => argocd-repo-server : TCP 8081",
  ]);
  // argocd-redis: from application-controller, repo-server and server on `port: redis` (6379).
  assert.deepEqual(to("argocd-redis"), [
    "argocd-application-controller => argocd-redis : TCP 6379",
    "argocd-repo-server => argocd-redis : TCP 6379",
    "argocd-server => argocd-redis : TCP 6379",
  ]);
  // dex: http and grpc (5556, 5557) from the server; metrics (5558) from every namespace's pods.
  assert.ok(to("argocd-dex-server").includes("argocd-server => argocd-dex-server : TCP 5556-5558"));
  assert.ok(to("argocd-dex-server").includes("argocd-redis => argocd-dex-server : TCP 5558"));
  // The server's `ingress: [{}]` allows everything, the outside included, despite the default deny.
  assert.ok(r.stdout.includes("[External] => argocd/argocd-server[Deployment] : All Connections"));
  assert.ok(!/\[External\] => argocd\/argocd-(redis|repo-server|dex-server)/.test(r.stdout));
  // The redis-secret-init pre-install hook Job has completed: no pod, no workload.
  assert.ok(!r.stdout.includes("secret-init"));
});

test("postgresql: namespaceSelector on kubernetes.io/metadata.name lets shop in, not other", () => {
  const f = ["-f", "examples/helm/postgresql.yaml", "-f", "examples/helm/shop.yaml"];
  const allow = run("diagnose", "api", "pg-postgresql.db:5432", "-n", "shop", ...f);
  assert.equal(allow.status, 0, allow.stdout + allow.stderr);
  const deny = run("diagnose", "batch", "pg-postgresql.db:5432", "-n", "other", ...f, "-o", "json");
  assert.equal(deny.status, 3, deny.stderr);
  assert.equal(JSON.parse(deny.stdout).first_failure.code, "policy.ingress");
});

test("ingress-nginx: hook Jobs deleted on success leave only the controller; the Ingress routes to podinfo", () => {
  const f = ["-f", "examples/helm/ingress-nginx"];
  const pods = run("get", "pods", "-n", "ingress-nginx", "-o", "name", ...f);
  assert.equal(pods.status, 0, pods.stderr);
  assert.deepEqual(
    pods.stdout
      .trim()
      .split("\n")
      .map((l) => l.replace(/-[a-z0-9]+-[a-z0-9]+$/, "")),
    ["pod/ingress-nginx-controller"],
  );
  assert.match(pods.stderr, /\(Job ingress-nginx\/ingress-nginx-admission-create\) .*hook-succeeded\) \(ignored\)/);
  const route = run("route", "http://podinfo.local/", "-o", "json", ...f);
  assert.equal(route.status, 0, route.stderr);
  const d = JSON.parse(route.stdout);
  assert.equal(d.status, 200);
  assert.deepEqual(d.backend, { service: "default/podinfo", port: 9898 });
  // targetPort `http` is the container port 9898 of both replicas.
  assert.equal(d.endpoints.length, 2);
  assert.ok(d.endpoints.every((e: string) => e.endsWith(":9898")));
});

test("cert-manager: the webhook's egress policy allows the API server at 6443, behind kubernetes:443", () => {
  const r = run(
    "diagnose",
    "cert-manager-webhook",
    "kubernetes.default:443",
    "-n",
    "cert-manager",
    "-f",
    "examples/helm/cert-manager",
    "-o",
    "json",
  );
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const egress = JSON.parse(r.stdout).checks.find((c: { code: string }) => c.code === "policy.egress");
  assert.equal(egress.ok, true);
  assert.match(egress.evidence, /cert-manager\/cert-manager-webhook-allow-egress egress rule 0/);
});

test("a rule's several peers that miss for one reason: the reason once, the source's labels once", () => {
  // argo-cd's redis policy lets in three components by podSelector; dex is none of them.
  const argo = run("diagnose", "argocd-dex-server", "argocd-redis:6379", "-n", "argocd", "-f", "examples/helm/argo-cd");
  assert.equal(argo.status, 3, argo.stderr);
  const why = argo.stdout.split("\n").find((l) => l.trim().startsWith("why:"))!;
  assert.match(
    why,
    /its podSelectors \[app\.kubernetes\.io\/instance=argocd,app\.kubernetes\.io\/name=argocd-application-controller\], \[[^\]]+argocd-repo-server\] and \[[^\]]+argocd-server\] do not match argocd\/argocd-dex-server-\S+ \(labels [^)]+\)$/,
  );
  assert.equal(why.match(/app\.kubernetes\.io\/component=dex-server/g)?.length, 1);
  // postgresql's two podSelector peers select pods of db only: said once for other's client.
  const pg = run(
    "diagnose",
    "batch",
    "pg-postgresql.db:5432",
    "-n",
    "other",
    "-f",
    "examples/helm/postgresql.yaml",
    "-f",
    "examples/helm/shop.yaml",
  );
  const pgWhy = pg.stdout.split("\n").find((l) => l.trim().startsWith("why:"))!;
  assert.equal(pgWhy.match(/it has no namespaceSelector, so it selects pods of db only/g)?.length, 1, pgWhy);
  assert.match(pgWhy, /its namespaceSelector kubernetes\.io\/metadata\.name=shop does not match namespace other/);
});
