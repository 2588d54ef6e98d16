// Real-kernel test (root, BIRD) of `podnet fault add bgp-down NODE` on Calico BGP: BIRD's
// mesh protocols disabled on the node (birdc disable), so its peers withdraw the routes to
// its pods' block and pod traffic across stops; `fault clear` enables them again, and once
// the sessions are up the namespaces' routes are what they were. One cluster for the file.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadCluster } from "../load/cluster.js";
import { buildIR } from "../dataplane/build.js";
import { down, up } from "./cluster.js";
import { readFaults } from "./fault-store.js";
import { addFault, clearFaults } from "./faults.js";
import { netfilterRenderers } from "./netfilter.js";
import { readRecord, stillOurs } from "./state.js";
import { kernelSkip, rootSnapshot } from "./testing.js";

const EXAMPLE = fileURLToPath(new URL("../../../examples/demo", import.meta.url));
const skip = kernelSkip(["ip", "python3", "iptables-save", "nft", "curl", "bird", "birdc"]);
const cluster = `dbgp-${randomBytes(2).toString("hex")}`;
let dir = "";
let rootBefore: Record<string, string>;

const sh = (ns: string, cmd: string) => spawnSync("ip", ["netns", "exec", ns, "sh", "-c", cmd], { encoding: "utf8" });

before(async () => {
  if (skip) return;
  rootBefore = rootSnapshot();
  dir = mkdtempSync(join(tmpdir(), "podnet-dbgp-"));
  const config = join(dir, "cluster.yaml");
  writeFileSync(
    config,
    readFileSync(join(EXAMPLE, "cluster.yaml"), "utf8")
      .replace("cni: flannel", "cni: calico")
      .replace("backend: vxlan", "backend: bgp"),
  );
  const { state } = await loadCluster({ files: [EXAMPLE], config });
  await up({
    cluster,
    ir: buildIR(state),
    inputs: { files: [EXAMPLE], config },
    render: { netfilter: netfilterRenderers },
  });
});

after(async () => {
  if (skip) return;
  await down(cluster);
  rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(rootSnapshot(), rootBefore, "the root namespace is as it was");
});

test("bgp-down: the node's routes are withdrawn from its peers; clear brings them back as they were", {
  skip,
}, async (t) => {
  const rec = readRecord(cluster)!;
  const pod = (name: string) => rec.pods!.find((p) => p.name === name)!;
  const [web0, web1] = [pod("web-0"), pod("web-1")];
  assert.notEqual(web0.node, web1.node);
  const nodes = rec.nodes!;
  const ns0 = nodes.find((n) => n.name === web0.node)!.netns;
  const ns1 = nodes.find((n) => n.name === web1.node)!.netns;
  const routes = () => nodes.map((n) => sh(n.netns, "ip -4 route show table all").stdout).join("\n");
  const curl = () => sh(web1.netns!, `curl -s -o /dev/null -m 3 http://${web0.ip}:80/`).status === 0;
  const birdOn1 = () => sh(ns1, "ip -4 route show proto bird").stdout;
  assert.ok(curl(), "web-1 reaches web-0");
  const was = { routes: routes(), bird: rec.processes.filter((p) => p.role === "bird" && stillOurs(p)).length };

  const f = await addFault(cluster, `bgp-down ${web0.node}`);
  t.diagnostic(`${f.fault}: ${f.actions.length - 1} BIRD protocols disabled`);
  // The peer withdraws the routes to the node's blocks (BIRD: at once, as the session closes).
  const addr0 = nodes.find((n) => n.name === web0.node)!.address;
  let w = "";
  for (let i = 0; i < 50 && (w = birdOn1()).includes(`via ${addr0} `); i++)
    await new Promise((r) => setTimeout(r, 100));
  assert.ok(!w.includes(`via ${addr0} `), `${web1.node} has no route via ${web0.node} (${addr0}) left:\n${w}`);
  assert.equal(sh(ns0, "ip -4 route show proto bird | grep -v blackhole").stdout, "", `${web0.node} learned nothing`);
  assert.ok(!curl(), "web-1 cannot reach web-0");

  await clearFaults(cluster);
  assert.deepEqual(readFaults(cluster), []);
  assert.equal(routes(), was.routes, "every node's routes as before the fault");
  assert.equal(readRecord(cluster)!.processes.filter((p) => p.role === "bird" && stillOurs(p)).length, was.bird);
  assert.ok(curl(), "web-1 reaches web-0 again");
});
