// The policy map's deny entries, from a fake PolicyOracle. Expected behaviour: Cilium's
// deny policies (https://docs.cilium.io/en/stable/security/policy/language/#deny-policies):
// deny takes precedence over allow, and applies without an allow policy isolating the
// endpoint (everything not denied then allowed); the agent resolves the precedence into the
// map state (pkg/policy/mapstate.go), the deny flag being policyFlagDeny (pkg/maps/policymap).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { PodState } from "../../control/state.js";
import type { BpfPolicyEntry } from "../../ir/types.js";
import type { FlavorContext, PolicyOracle, PortRanges } from "../flavor.js";
import { fixtureState } from "../testing.js";
import { ID_HOST, ID_UNKNOWN, identities, nodeBpf } from "./maps.js";
import { minusRanges } from "./policy-map.js";

const state = fixtureState({ cni: "cilium", backend: "vxlan", proxyMode: "none" });
const byName = (n: string) => state.pods.find((p) => p.name === n)!;
// Distinct label sets, so distinct identities: web (the subject), client, db.
const web = byName("app-worker-1-0");
const bystander = byName("app-worker-1-1");
const client = byName("app-control-plane-0");
const db = byName("app-worker-2-0");
web.labels = { app: "web" };
bystander.labels = { app: "bystander" };
client.labels = { app: "client" };
db.labels = { app: "db" };

const ports = (p: Partial<PortRanges>): PortRanges => ({ TCP: [], UDP: [], SCTP: [], ...p });
const ALL = ports({ TCP: [[1, 65535]], UDP: [[1, 65535]], SCTP: [[1, 65535]] });
const app = (peer: PodState | string) => (typeof peer === "string" ? undefined : peer.labels.app);

/** web: ingress isolated (client: every port; db: TCP 80-90), deny client TCP 8080 and db TCP 85;
 *  egress not isolated, deny to db UDP 53. Every other pod: no policy at all. */
function oracle(asked: PodState[]): PolicyOracle {
  return {
    allowed(dir, s, peer) {
      if (s !== web || dir === "egress") return null;
      if (app(peer) === "client") return [{ policy: "default/allow", rule: 0, conns: ALL }];
      if (app(peer) === "db") return [{ policy: "default/allow", rule: 1, conns: ports({ TCP: [[80, 90]] }) }];
      return [];
    },
    deniesAny: (_dir, s) => s === web,
    denied(dir, s, peer) {
      asked.push(s);
      if (s !== web) return [];
      if (dir === "ingress" && app(peer) === "client")
        return [{ policy: "default/lockdown", rule: 0, conns: ports({ TCP: [[8080, 8080]] }) }];
      if (dir === "ingress" && app(peer) === "db")
        return [{ policy: "default/lockdown", rule: 1, conns: ports({ TCP: [[85, 85]] }) }];
      if (dir === "egress" && app(peer) === "db")
        return [{ policy: "default/lockdown", rule: 0, conns: ports({ UDP: [[53, 53]] }) }];
      return [];
    },
  };
}

function build() {
  const asked: PodState[] = [];
  const podsByNode = new Map<string, PodState[]>();
  for (const p of state.pods) podsByNode.set(p.nodeName!, [...(podsByNode.get(p.nodeName!) ?? []), p]);
  const ctx: FlavorContext = {
    state,
    podsByNode,
    nodeByName: new Map(state.nodes.map((n) => [n.name, n])),
    underlayMtu: 1500,
    policy: oracle(asked),
  };
  const node = state.nodes.find((n) => n.name === "worker-1")!;
  const b = nodeBpf(ctx, node, { routerIP: "10.244.1.1", tunnel: undefined });
  const ep = (p: PodState) => b.endpoints.find((e) => e.pod === `default/${p.name}`)!;
  return { b, ep, asked };
}

const { b, ep, asked } = build();
const ids = identities(state);
const idOf = (p: PodState) => ids.byPod.get(p)!;
const ranges = (es: BpfPolicyEntry[]) => es.map((e) => [e.protocol, e.port ?? 1, e.endPort ?? e.port ?? 65535]);

test("minusRanges: the allowed ports outside the denied ones", () => {
  assert.deepEqual(minusRanges([[1, 65535]], [[8080, 8080]]), [
    [1, 8079],
    [8081, 65535],
  ]);
  assert.deepEqual(
    minusRanges(
      [[80, 90]],
      [
        [88, 100],
        [70, 81],
      ],
    ),
    [[82, 87]],
  );
  assert.deepEqual(minusRanges([[80, 80]], [[1, 65535]]), []);
  assert.deepEqual(minusRanges([[80, 90]], []), [[80, 90]]);
});

test("an isolated side: the deny hits are deny entries, the identity's allows are allow minus deny", () => {
  const es = b.policy[ep(web).id].filter((e) => e.direction === "ingress");
  const of = (id: number, deny: boolean) => es.filter((e) => e.identity === id && !!e.deny === deny);
  assert.ok(ep(web).ingressEnforced);
  // client: deny TCP 8080; allow every other TCP port, all of UDP and SCTP.
  assert.deepEqual(of(idOf(client), true), [
    {
      identity: idOf(client),
      direction: "ingress",
      protocol: "TCP",
      port: 8080,
      deny: true,
      by: "default/lockdown ingressDeny rule 0",
    },
  ]);
  assert.deepEqual(ranges(of(idOf(client), false)), [
    ["TCP", 1, 8079],
    ["TCP", 8081, 65535],
    ["UDP", 1, 65535],
    ["SCTP", 1, 65535],
  ]);
  assert.ok(of(idOf(client), false).every((e) => e.by === "default/allow ingress rule 0"));
  // db: deny TCP 85 inside the allowed 80-90.
  assert.deepEqual(ranges(of(idOf(db), true)), [["TCP", 85, 85]]);
  assert.equal(of(idOf(db), true)[0].by, "default/lockdown ingressDeny rule 1");
  assert.deepEqual(ranges(of(idOf(db), false)), [
    ["TCP", 80, 84],
    ["TCP", 86, 90],
  ]);
  // allow-localhost stays; no allow-all on an isolated side.
  assert.ok(es.some((e) => e.identity === ID_HOST && e.by === "allow-localhost" && !e.deny));
  assert.ok(!es.some((e) => e.identity === ID_UNKNOWN));
});

test("a side no allow policy isolates keeps the allow-all and gets the deny entries", () => {
  const es = b.policy[ep(web).id].filter((e) => e.direction === "egress");
  assert.equal(ep(web).egressEnforced, false);
  assert.deepEqual(es, [
    { identity: ID_UNKNOWN, direction: "egress", by: "no NetworkPolicy selects the pod for egress" },
    {
      identity: idOf(db),
      direction: "egress",
      protocol: "UDP",
      port: 53,
      deny: true,
      by: "default/lockdown egressDeny rule 0",
    },
  ]);
});

test("no overlap between an identity's allow and deny entries (the LPM's longest match is the verdict)", () => {
  const es = b.policy[ep(web).id];
  for (const d of es.filter((e) => e.deny))
    for (const a of es.filter((e) => !e.deny && e.identity === d.identity && e.direction === d.direction)) {
      if (!a.protocol) continue; // any protocol: the deny's protocol makes it the longer prefix
      if (a.protocol !== d.protocol) continue;
      const [alo, ahi] = [a.port ?? 1, a.endPort ?? a.port ?? 65535];
      const [dlo, dhi] = [d.port ?? 1, d.endPort ?? d.port ?? 65535];
      assert.ok(ahi < dlo || dhi < alo, `${JSON.stringify(a)} overlaps ${JSON.stringify(d)}`);
    }
});

test("a pod no deny rule selects: no deny entries, and its peers never evaluated for denies", () => {
  assert.deepEqual(b.policy[ep(bystander).id], [
    { identity: ID_UNKNOWN, direction: "ingress", by: "no NetworkPolicy selects the pod for ingress" },
    { identity: ID_UNKNOWN, direction: "egress", by: "no NetworkPolicy selects the pod for egress" },
  ]);
  assert.ok(asked.length > 0 && asked.every((s) => s === web));
});
