// The rendered rules load into the real kernel tools: `iptables-restore --test` and
// `nft -c -f`, inside a scratch network namespace (podnet-test-<random>) that is always
// deleted. nftables rules are also loaded for real and read back with `nft -j list
// ruleset`: the kernel's JSON must equal the IR's expressions (the IR's JSON shapes are
// libnftables'). Needs root and iptables/nft/ip; otherwise skipped, unless
// PODNET_REQUIRE_KERNEL=1, which turns a missing tool or non-root into a failure.
// (Test-only I/O: the proxy code itself stays pure.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { proxyModes } from "./index.js";
import { proxyLayers } from "./mode.js";
import { renderIptables } from "../ir/render-iptables.js";
import { mergeNft, renderNft } from "../ir/render-nft.js";
import * as T from "./testing.js";
import { runIn, withScratchNetns } from "../testing/kernel.js";

const run = runIn;
const withNetns = withScratchNetns;

const states = () => [T.richState(), T.richState({ masqueradeAll: true }), T.syntheticState(40, 30, 3)];

test("iptables: every node's rules pass iptables-restore --test", (t) => {
  withNetns(t, (ns) => {
    for (const st of states()) {
      const mode = proxyModes.iptables;
      const shared = mode.shared(st);
      for (const node of st.nodes) {
        const text = renderIptables(proxyLayers(shared, mode.perNode(st, node, shared)).iptables);
        const r = run(ns, ["iptables-restore", "--test"], text);
        assert.equal(r.status, 0, `node ${node.name}: ${r.stderr}`);
      }
    }
  });
});

/** Sort anonymous set members (the kernel keeps interval sets sorted). */
function norm(x: any): any {
  if (Array.isArray(x)) return x.map(norm);
  if (x && typeof x === "object") {
    const o: any = {};
    for (const [k, v] of Object.entries(x))
      o[k] =
        k === "set" && Array.isArray(v)
          ? v.map(norm).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))
          : norm(v);
    return o;
  }
  return x;
}

test("nftables: every node's rules pass nft -c -f and read back as the IR's JSON", (t) => {
  withNetns(t, (ns) => {
    for (const st of states()) {
      const mode = proxyModes.nftables;
      const shared = mode.shared(st);
      for (const node of st.nodes) {
        const layers = proxyLayers(shared, mode.perNode(st, node, shared)).nftables;
        const text = renderNft(layers);
        run(ns, ["nft", "flush", "ruleset"]);
        const c = run(ns, ["nft", "-c", "-f", "-"], text);
        assert.equal(c.status, 0, `node ${node.name}: ${c.stderr}`);
        const l = run(ns, ["nft", "-f", "-"], text);
        assert.equal(l.status, 0, l.stderr);
        const dump = JSON.parse(run(ns, ["nft", "-j", "list", "ruleset"]).stdout).nftables as any[];
        const [merged] = mergeNft(layers);
        const kernelRules = new Map<string, any[]>();
        for (const o of dump)
          if (o.rule)
            (kernelRules.get(o.rule.chain) ?? kernelRules.set(o.rule.chain, []).get(o.rule.chain)!).push(o.rule);
        for (const ch of merged.chains) {
          const got = (kernelRules.get(ch.name) ?? []).map((r) =>
            JSON.parse(JSON.stringify(norm({ expr: r.expr, comment: r.comment }))),
          );
          const want = ch.rules.map((r) => norm({ expr: r.expr, comment: r.comment }));
          assert.deepEqual(got, JSON.parse(JSON.stringify(want)), `chain ${ch.name}`);
        }
        const kernelSets = new Map<string, any>();
        for (const o of dump) if (o.set || o.map) kernelSets.set((o.set ?? o.map).name, o.set ?? o.map);
        for (const s of merged.sets) {
          const k = kernelSets.get(s.name);
          assert.ok(k, `set ${s.name} missing in the kernel`);
          const elems = (k.elem ?? []).map((e: any) => {
            let key = s.kind === "map" ? e[0] : e;
            let comment: string | undefined;
            if (key && key.elem) {
              comment = key.elem.comment;
              key = key.elem.val;
            }
            return JSON.stringify({ key, value: s.kind === "map" ? e[1] : undefined, comment });
          });
          const want = s.elem.map((e) => JSON.stringify({ key: e.key, value: e.value, comment: e.comment }));
          assert.deepEqual(elems.sort(), want.sort(), `set ${s.name}`);
        }
      }
    }
  });
});
