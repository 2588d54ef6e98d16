// The compiled policy tables load into the kernel's nftables (`nft -f` in a scratch
// namespace) for every conformance case, and read back (`nft -j list ruleset`) with
// the rules and set elements the IR holds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSpec } from "../manifest/parse.js";
import { buildState } from "../control/build.js";
import { renderNft } from "../ir/render-nft.js";
import { compilePolicies, POLICY_TABLE } from "./compile.js";
import { CALICO_CASES, CASES, conformanceManifests, resolvePlaceholders } from "./conformance.js";
import { runIn, withScratchNetns } from "../testing/kernel.js";

const CLUSTER = `apiVersion: podnet.dev/v1alpha1\nkind: Cluster\nname: netpol\nnodes: [{name: control-plane, role: control-plane}, {name: worker-1}, {name: worker-2}]\n`;

test("policy tables load with nft -f and read back as the IR holds them", (t) => {
  withScratchNetns(t, (ns) => {
    const base = buildState(
      parseSpec([{ file: "m.yaml", text: conformanceManifests() }], { file: "c.yaml", text: CLUSTER }),
      {},
    );
    const ipOf = (ref: string) => base.pods.find((p) => `${p.namespace}/${p.name}` === ref)!.podIP!;
    let loaded = 0;
    for (const c of CASES) {
      const pols = resolvePlaceholders(c, ipOf)
        .map(
          (p) =>
            `---\n${JSON.stringify({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: p.name, namespace: p.namespace }, spec: p.spec })}`,
        )
        .join("\n");
      const st = buildState(
        parseSpec([{ file: "m.yaml", text: conformanceManifests() + pols + "\n" }], { file: "c.yaml", text: CLUSTER }),
        {},
      );
      for (const [node, layer] of compilePolicies(st)) {
        const text = renderNft([layer]);
        const r = runIn(ns, ["nft", "-f", "-"], text);
        assert.equal(r.status, 0, `${c.name} on ${node}: ${r.stderr}\n${text}`);
        const back = JSON.parse(runIn(ns, ["nft", "-j", "list", "table", "inet", POLICY_TABLE]).stdout)
          .nftables as any[];
        const rules = back.filter((o) => o.rule).map((o) => o.rule);
        const want = Object.values(layer.tables[0].chains).reduce((n, ch) => n + ch.rules.length, 0);
        assert.equal(rules.length, want, `${c.name} on ${node}: rule count`);
        const map = back.find((o) => o.map?.name === "ingress-pods")?.map;
        const wantMap = layer.tables[0].sets["ingress-pods"];
        assert.equal((map?.elem ?? []).length, wantMap?.elem.length ?? 0, `${c.name}: ingress-pods elements`);
        runIn(ns, ["nft", "delete", "table", "inet", POLICY_TABLE]);
        loaded++;
      }
    }
    assert.ok(loaded > 0);
  });
});

// Calico's own policies: one chain per tier, goto for Pass, `!=` sets for notNets and
// notSelector, port ranges less notPorts (compile.ts calicoTierChains).
test("Calico's tiered policy tables load with nft -f and read back as the IR holds them", (t) => {
  withScratchNetns(t, (ns) => {
    const config = { file: "c.yaml", text: `${CLUSTER}networking: {cni: calico, backend: vxlan}\n` };
    let loaded = 0;
    for (const c of CALICO_CASES) {
      const docs = [
        ...c.policies.map((p) =>
          JSON.stringify({
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: p.name, namespace: p.namespace },
            spec: p.spec,
          }),
        ),
        ...c.objects.map((o) => JSON.stringify(o)),
      ];
      const text = `${conformanceManifests()}${docs.map((d) => `---\n${d}\n`).join("")}`;
      const st = buildState(parseSpec([{ file: "m.yaml", text }], config), {});
      for (const [node, layer] of compilePolicies(st)) {
        const nft = renderNft([layer]);
        const r = runIn(ns, ["nft", "-f", "-"], nft);
        assert.equal(r.status, 0, `${c.name} on ${node}: ${r.stderr}\n${nft}`);
        const back = JSON.parse(runIn(ns, ["nft", "-j", "list", "table", "inet", POLICY_TABLE]).stdout).nftables as {
          rule?: unknown;
          chain?: unknown;
        }[];
        const want = Object.values(layer.tables[0].chains).reduce((n, ch) => n + ch.rules.length, 0);
        assert.equal(back.filter((o) => o.rule).length, want, `${c.name} on ${node}: rule count`);
        assert.equal(
          back.filter((o) => o.chain).length,
          Object.keys(layer.tables[0].chains).length,
          `${c.name}: chains`,
        );
        runIn(ns, ["nft", "delete", "table", "inet", POLICY_TABLE]);
        loaded++;
      }
    }
    assert.ok(loaded > 0);
  });
});
