// `get` and `describe` of Calico's resources as kubectl shows them when the Calico API server
// serves them: the apiserver's default table (NAME, CREATED AT in RFC 3339), the names and
// short names the Calico API server registers, projectcalico.org/v3 and the real kinds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildState } from "../control/build.js";
import { parseSpec } from "../manifest/parse.js";
import { runDescribe } from "../cli/cmd-describe.js";
import { runGet } from "../cli/cmd-get.js";
import { findResource, getView } from "./get.js";

const ex = (d: string) => fileURLToPath(new URL(`../../../examples/${d}`, import.meta.url));
const dir = (d: string) =>
  readdirSync(d)
    .filter((f) => f.endsWith(".yaml") && f !== "cluster.yaml")
    .map((f) => ({ file: `${d}/${f}`, text: readFileSync(`${d}/${f}`, "utf8") }));
const demo = (cni: string) =>
  buildState(
    parseSpec([...dir(ex("demo")), ...dir(ex("calico-policies"))], {
      file: "cluster.yaml",
      text: readFileSync(`${ex("demo")}/cluster.yaml`, "utf8").replace("cni: flannel", `cni: ${cni}`),
    }),
  );
const opts = { startTime: Date.UTC(2026, 0, 2, 3, 4, 5) };

test("get: Calico's resources by their group-qualified and short names, NAME and CREATED AT", () => {
  const s = demo("calico");
  const get = (...args: string[]) => runGet(s, args, opts);
  assert.equal(
    get("networkpolicies.projectcalico.org").stdout,
    "NAME          CREATED AT\ntasks-allow   2026-01-02T03:04:05Z\n",
  );
  // kubectl's REST mapper takes a prefix of the group; `networkpolicies` alone is Kubernetes'.
  const all = runGet(s, ["networkpolicies.p"], { ...opts, allNamespaces: true }).stdout.split("\n");
  assert.match(all[0], /^NAMESPACE\s+NAME\s+CREATED AT$/);
  assert.match(all[1], /^default\s+tasks-allow\s+2026-01-02T03:04:05Z$/);
  assert.equal(findResource("networkpolicies")!.nameRef, "networkpolicy.networking.k8s.io");
  assert.equal(get("networkpolicies").stderr, "No resources found in default namespace.\n");
  for (const n of ["caliconetworkpolicies", "caliconetworkpolicy", "networkpolicy.projectcalico.org", "cnp"])
    assert.match(get(n).stdout, /^tasks-allow\s/m, n);
  assert.equal(
    runGet(s, ["gnp"], { ...opts, output: "name" }).stdout,
    "globalnetworkpolicy.projectcalico.org/security.platform-guard\n",
  );
  assert.equal(runGet(s, ["tiers"], opts).stdout, "NAME       CREATED AT\nsecurity   2026-01-02T03:04:05Z\n");
  assert.equal(runGet(s, ["netsets"], opts).stderr, "No resources found in default namespace.\n");
  assert.match(runGet(s, ["globalnetworksets"], opts).stdout, /^blocked-ranges\s+2026-01-02T03:04:05Z$/m);
  assert.match(
    runGet(s, ["caliconetworkpolicies", "nope"], opts).stderr,
    /^Error from server \(NotFound\): networkpolicies\.projectcalico\.org "nope" not found$/m,
  );
  // `cnp` is Cilium's short name too: Calico's on a Calico cluster only.
  assert.equal(findResource("cnp")!.kind, "CiliumNetworkPolicy");
  assert.equal(findResource("cnp", "calico")!.nameRef, "networkpolicy.projectcalico.org");
});

test("get -o yaml|json: the real kind and projectcalico.org/v3, types as Calico defaults them", () => {
  const s = demo("calico");
  const yaml = runGet(s, ["networkpolicies.projectcalico.org", "tasks-allow"], { ...opts, output: "yaml" }).stdout;
  assert.match(yaml, /^apiVersion: projectcalico\.org\/v3\nkind: NetworkPolicy\n/);
  assert.match(yaml, /^ {2}namespace: default$/m);
  assert.doesNotMatch(yaml, /NetworkPolicy\.projectcalico\.org/);
  const gnp = JSON.parse(runGet(s, ["gnp", "security.platform-guard"], { ...opts, output: "json" }).stdout);
  assert.equal(gnp.kind, "GlobalNetworkPolicy");
  assert.equal(gnp.metadata.namespace, undefined);
  assert.deepEqual(gnp.spec.types, ["Ingress", "Egress"]);
  const tier = JSON.parse(runGet(s, ["tiers"], { ...opts, output: "json" }).stdout);
  assert.deepEqual(
    tier.items.map((o: { apiVersion: string; kind: string }) => `${o.apiVersion} ${o.kind}`),
    ["projectcalico.org/v3 Tier"],
  );
  // Shown whatever the CNI (the API server serves them); enforced only by Calico.
  assert.match(getView(demo("flannel"), findResource("gnp")!, opts).stdout, /^security\.platform-guard\s/m);
});

test("describe: Calico's resources by kubectl's generic describer", () => {
  const s = demo("calico");
  const np = runDescribe(s, "networkpolicies.projectcalico.org", ["tasks-allow"], "default").stdout;
  assert.match(np, /^Name:\s+tasks-allow\nNamespace:\s+default\n/);
  assert.match(np, /^API Version:\s+projectcalico\.org\/v3\nKind:\s+NetworkPolicy$/m);
  assert.match(np, /^ {6}Namespace Selector:\s+env == 'production'$/m);
  const gnp = runDescribe(s, "gnp", [], "production").stdout;
  assert.match(gnp, /^Name:\s+security\.platform-guard\nLabels:/);
  assert.match(gnp, /^Kind:\s+GlobalNetworkPolicy$/m);
  assert.match(gnp, /^ {2}Tier:\s+security$/m);
  assert.match(
    runDescribe(s, "globalnetworkset/blocked-ranges", [], "default").stdout,
    /^Labels:\s+threat-feed=blocked$/m,
  );
  assert.match(runDescribe(s, "tier", ["security"], "default").stdout, /^Spec:\n {2}Order:\s+100$/m);
  assert.equal(
    runDescribe(s, "tiers", ["x"], "default").stderr,
    'Error from server (NotFound): tiers.projectcalico.org "x" not found\n',
  );
  assert.equal(runDescribe(s, "netsets", [], "default").stderr, "No resources found in default namespace.\n");
  // `networkpolicy` is Kubernetes'.
  assert.equal(runDescribe(s, "networkpolicy", [], "default").stderr, "No resources found in default namespace.\n");
});
