// Calico BGP for real: BIRD 2 in every node namespace, node-to-node full mesh on TCP
// 179, from the IR's NodeNet.bgp (asn, router id, peers, originated blocks). The
// routes to other nodes' blocks are learned over BGP and written to the kernel by
// BIRD (proto bird), not by podnet: the renderer skips the IR's proto-bird routes.
// The local blocks are originated as static blackholes, which BIRD also installs
// (`blackhole <block> proto bird`, as calico-node's BIRD does).

import { spawn } from "node:child_process";
import { closeSync, existsSync, readFileSync } from "node:fs";
import { openAppend, replaceFile } from "./safe-fs.js";
import { join } from "node:path";
import type { NodeNet } from "../ir/types.js";
import { guardCommand, nsName, shortName, stateDir } from "./names.js";
import { identify, type ProcessRecord } from "./state.js";
import { createRunner } from "./exec.js";

/** Calico's protocol names: "Mesh_192_168_1_2" for the peer 192.168.1.2. */
export function meshName(addr: string): string {
  return "Mesh_" + addr.replace(/\./g, "_");
}

/** bird.conf for one node (pure). */
export function birdConfig(node: NodeNet): string {
  const b = node.bgp;
  if (!b) throw new Error(`node ${node.name} has no BGP configuration in the IR`);
  const lines = [
    `# podnet: BIRD for node ${node.name} (Calico node-to-node mesh, AS ${b.asn})`,
    `router id ${b.routerId};`,
    ``,
    `protocol device { scan time 10; }`,
    ``,
    `# Local blocks: blackholes, installed and advertised (Calico: "blackhole <block> proto bird").`,
    `protocol static blocks {`,
    `  ipv4;`,
    ...b.originates.map((c) => `  route ${c} blackhole;`),
    `}`,
    ``,
    `# Learned and originated routes go to the kernel as proto bird, metric 0 (as calico-node's).`,
    `protocol kernel {`,
    `  ipv4 { import none; export where source = RTS_BGP || source = RTS_STATIC; };`,
    `  metric 0;`,
    `  scan time 10;`,
    `}`,
    ``,
    `template bgp mesh {`,
    `  local ${node.address} as ${b.asn};`,
    `  direct;`,
    `  hold time 9; keepalive time 3; connect retry time 1; error wait time 1, 5;`,
    `  ipv4 { import all; export where source = RTS_STATIC; next hop self; };`,
    `}`,
    ``,
    ...b.peers.map(
      (p) =>
        `protocol bgp ${meshName(p.address)} from mesh { neighbor ${p.address} as ${p.asn}; description "${p.name}"; }`,
    ),
    ``,
  ];
  return lines.join("\n");
}

export function birdPaths(cluster: string, nodeName: string) {
  const dir = stateDir(cluster);
  // The control socket's path must fit sun_path (107 bytes): /run/podnet/<≤40>/bird-<≤40>.ctl.
  const node = shortName(nodeName, 40);
  return {
    conf: join(dir, `bird-${node}.conf`),
    ctl: join(dir, `bird-${node}.ctl`),
    log: join(dir, `bird-${node}.log`),
  };
}

/** Starts BIRD (foreground, so the recorded PID is BIRD's) in the node's namespace. */
export async function startBird(
  cluster: string,
  node: NodeNet,
  onSpawn?: (r: ProcessRecord) => void,
  timeoutMs = 10000,
): Promise<ProcessRecord> {
  const p = birdPaths(cluster, node.name);
  replaceFile(p.conf, birdConfig(node));
  const argv = ["ip", "netns", "exec", nsName(cluster, node.ns.id), "bird", "-f", "-c", p.conf, "-s", p.ctl];
  guardCommand(argv);
  const log = openAppend(p.log);
  const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ["ignore", log, log] });
  closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start BIRD on node ${node.name}`);
  let exited: string | null = null;
  child.on("exit", (code, sig) => (exited = `exited with ${sig ?? code}`));
  child.unref();
  let rec: ProcessRecord | null = null;
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!rec) {
      rec = identify(pid, "bird", p.conf, node.name);
      if (rec) onSpawn?.(rec);
    }
    if (rec && existsSync(p.ctl)) return identify(pid, "bird", p.conf, node.name) ?? rec;
    if (exited) break;
    await new Promise((r) => setTimeout(r, 15));
  }
  let tail = "";
  try {
    tail = readFileSync(p.log, "utf8").split("\n").slice(-8).join("\n");
  } catch {
    /* none */
  }
  throw new Error(`BIRD on node ${node.name} (pid ${pid}) did not start: ${exited ?? "timeout"}\n${tail}`);
}

/** `birdc -r show protocols` (read-only), run in the node's namespace like everything else. */
export async function birdProtocols(
  cluster: string,
  node: NodeNet,
): Promise<{ name: string; state: string; info: string }[]> {
  const p = birdPaths(cluster, node.name);
  const r = await createRunner().run(
    ["ip", "netns", "exec", nsName(cluster, node.ns.id), "birdc", "-r", "-s", p.ctl, "show", "protocols"],
    "",
    { allowFail: true },
  );
  return r.stdout
    .split("\n")
    .filter((l) => /^Mesh_/.test(l))
    .map((l) => {
      const w = l.split(/\s+/);
      return { name: w[0], state: w[3] ?? "", info: w.slice(5).join(" ") };
    });
}

/** Waits until every node's mesh sessions are Established and the kernel holds the learned routes. */
export async function waitBgp(cluster: string, nodes: NodeNet[], timeoutMs = 30000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < until) {
    let all = true;
    for (const n of nodes) {
      if (!n.bgp) continue;
      const ps = await birdProtocols(cluster, n);
      const est = ps.filter((x) => x.info.includes("Established")).length;
      if (est < n.bgp.peers.length) {
        all = false;
        last = `${n.name}: ${est}/${n.bgp.peers.length} sessions established (${ps.map((x) => `${x.name} ${x.info}`).join("; ")})`;
        break;
      }
    }
    if (all) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`BGP did not converge: ${last}`);
}

/** A node's blocks or peers changed on a running cluster: new config, `birdc configure` (BIRD keeps its sessions). */
export async function reconfigureBird(cluster: string, node: NodeNet): Promise<void> {
  const p = birdPaths(cluster, node.name);
  replaceFile(p.conf, birdConfig(node));
  const r = await createRunner().run(
    ["ip", "netns", "exec", nsName(cluster, node.ns.id), "birdc", "-s", p.ctl, "configure"],
    "",
    { allowFail: true },
  );
  if (r.code !== 0 || /error/i.test(r.stdout))
    throw new Error(`BIRD on node ${node.name}: configure failed: ${(r.stdout + r.stderr).trim()}`);
}
