// Test kit of the edge proxies' kernel tests (ingress-proxy.kernel.test.ts,
// gateway-proxy.kernel.test.ts): a two-node flannel cluster up from files and taken down
// with its checks (no nginx left, no state directory, the root namespace unchanged), curl
// from the outside client's namespace with the Host and SNI kept (--connect-to), and a
// request loop running across a reload.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { rootSnapshot } from "./testing.js";

const bin = fileURLToPath(new URL("../../../bin/podnet.js", import.meta.url));

/** The built `podnet` command, run to completion. */
export const podnet = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

/** The cluster config of both tests: two flannel nodes and a LoadBalancer subnet. */
function clusterConfig(name: string): string {
  return `apiVersion: podnet.dev/v1alpha1
kind: Cluster
name: ${name}
nodes: [{name: worker-1}, {name: worker-2}]
networking: {cni: flannel, loadBalancerSubnet: 192.168.1.240/28}
`;
}

/**
 * `files` (name → text: m.yaml the manifests, others for the test) written into a temporary
 * folder with a cluster.yaml of two flannel nodes, `podnet up --name` from them, then
 * `body` with the folder; after it, also when it throws:
 * `down`, the folder removed, and the checks that nothing of the cluster's is left (no
 * process with its state directory in the command line, no state directory, the root
 * namespace's snapshot as before).
 */
export async function withProxyCluster(
  name: string,
  files: Record<string, string>,
  body: (dir: string) => Promise<void>,
): Promise<void> {
  const before = rootSnapshot();
  const dir = mkdtempSync(join(tmpdir(), `podnet-${name}-`));
  for (const [f, text] of Object.entries({ ...files, "cluster.yaml": clusterConfig(name) }))
    writeFileSync(join(dir, f), text);
  try {
    const u = podnet("up", "--name", name, "-f", join(dir, "m.yaml"), "--config", join(dir, "cluster.yaml"));
    assert.equal(u.status, 0, u.stderr);
    await body(dir);
  } finally {
    const d = podnet("down", "--name", name);
    rmSync(dir, { recursive: true, force: true });
    assert.equal(d.status, 0, d.stderr);
    const ours = readdirSync("/proc")
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(`/run/podnet/${name}/`);
        } catch {
          return false;
        }
      });
    assert.deepEqual(ours, []);
    assert.ok(!existsSync(`/run/podnet/${name}`));
    assert.deepEqual(rootSnapshot(), before);
  }
}

/** Where a request to a port of the URL goes (the address curl connects to instead). */
export type ConnectTo = (port: number) => { ip: string; port: number };

/** A reply: status (0 when none), headers with lower-cased names, body, and curl's stderr (-v: the TLS handshake). */
export interface CurlReply {
  status: number;
  headers: Map<string, string>;
  body: string;
  stderr: string;
}

/** One request with curl from `netns` (-k: self-signed certificates), Host and SNI the URL's. */
export function curlFrom(netns: string, url: string, to: ConnectTo, extra: string[] = []): CurlReply {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === "https:" ? 443 : 80));
  const dst = to(port);
  const r = spawnSync(
    "ip",
    [
      ...["netns", "exec", netns, "curl", "-s", "-i", "-k", "--max-time", "5"],
      ...["--connect-to", `${u.hostname}:${port}:${dst.ip}:${dst.port}`],
      ...extra,
      url,
    ],
    { encoding: "utf8" },
  );
  const [head, ...rest] = r.stdout.split(/\r\n\r\n/);
  const lines = head.split(/\r\n/);
  const headers = new Map(
    lines.slice(1).map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]),
  );
  return {
    status: Number(/^HTTP\/\S+ (\d+)/.exec(lines[0])?.[1] ?? 0),
    headers,
    body: rest.join("\r\n\r\n"),
    stderr: r.stderr,
  };
}

/**
 * GET http://shop.example.com/api from `netns` in a loop (a file in `dir` stops it) while
 * `during` runs, with half a second of requests before and after it: more than ten
 * requests, every one answered 200 (nginx's graceful reload drops none).
 */
export async function assertServedDuring(netns: string, dir: string, to: ConnectTo, during: () => void): Promise<void> {
  const stop = join(dir, "stop");
  const dst = to(80);
  const loop = spawn(
    "ip",
    [
      ...["netns", "exec", netns, "sh", "-c"],
      `while [ ! -e ${stop} ]; do curl -s -o /dev/null -w '%{http_code}\\n' --max-time 5 --connect-to shop.example.com:80:${dst.ip}:${dst.port} http://shop.example.com/api; done`,
    ],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  let out = "";
  loop.stdout.on("data", (d) => (out += d));
  const done = new Promise((r) => loop.on("exit", r));
  try {
    await new Promise((r) => setTimeout(r, 500));
    during();
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    writeFileSync(stop, "");
    await done;
  }
  const codes = out.trim().split("\n");
  assert.ok(codes.length > 10, `${codes.length} requests`);
  assert.deepEqual(
    codes.filter((c) => c !== "200"),
    [],
  );
}
