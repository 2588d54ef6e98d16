// `npm run bench:kernel -- ingress` (Linux, root; nginx installed): the ingress controller's
// nginx reloaded by `apply --name` (issue 18 §8: ≤ 1 s, no failed request during it).
// A cluster with BENCH_INGRESS_HOSTS Ingress hosts; a request loop from the outside client
// through the LoadBalancer IP runs the whole time (curl, one connection per request);
// BENCH_INGRESS_RELOADS times an Ingress with a new host is applied. Printed: nginx's reload
// (SIGHUP → the new configuration answering), the whole `apply --name` command, the time
// until the new host answers from outside, and the loop's requests and failures.
// Everything runs inside podnet namespaces and is removed at the end.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { nginxBinary } from "../src/linux/ingress-proxy.js";

const HOSTS = Number(process.env.BENCH_INGRESS_HOSTS ?? 50);
const RELOADS = Number(process.env.BENCH_INGRESS_RELOADS ?? 5);
const NAME = "fbench";
const LB = "192.168.1.241";
const bin = fileURLToPath(new URL("../../bin/podnet.js", import.meta.url));

const CONFIG = `apiVersion: podnet.dev/v1alpha1
kind: Cluster
name: ${NAME}
nodes: [{name: worker-1}, {name: worker-2}]
networking: {cni: flannel, loadBalancerSubnet: 192.168.1.240/28}
`;

const APP = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: example/web:1, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
`;

const ingress = (name: string, host: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ${name}}
spec:
  rules:
  - host: ${host}
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
`;

const podnet = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

function status(host: string): number {
  const r = spawnSync(
    "ip",
    [
      "netns",
      "exec",
      `podnet-${NAME}.underlay`,
      "curl",
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "--max-time",
      "2",
      "--connect-to",
      `${host}:80:${LB}:80`,
      `http://${host}/`,
    ],
    { encoding: "utf8" },
  );
  return Number(r.stdout || 0);
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? NaN;

export async function ingressBench(): Promise<void> {
  if (!nginxBinary()) {
    console.log("ingress: skipped (nginx is not installed: apt-get install nginx-light)");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "podnet-bench-ing-"));
  podnet("down", "--name", NAME);
  try {
    let m = APP;
    for (let i = 0; i < HOSTS; i++) m += ingress(`site-${i}`, `site-${i}.example.com`);
    writeFileSync(join(dir, "m.yaml"), m);
    writeFileSync(join(dir, "cluster.yaml"), CONFIG);
    const u = podnet("up", "--name", NAME, "-f", join(dir, "m.yaml"), "--config", join(dir, "cluster.yaml"));
    if (u.status !== 0) throw new Error(`podnet up failed: ${u.stderr}`);
    const stop = join(dir, "stop");
    const loop = spawn(
      "ip",
      [
        "netns",
        "exec",
        `podnet-${NAME}.underlay`,
        "sh",
        "-c",
        `while [ ! -e ${stop} ]; do curl -s -o /dev/null -w '%{http_code}\\n' --max-time 5 --connect-to site-0.example.com:80:${LB}:80 http://site-0.example.com/api; done`,
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    let out = "";
    loop.stdout.on("data", (d) => (out += d));
    const done = new Promise((r) => loop.on("exit", r));
    const reloadMs: number[] = [];
    const applyMs: number[] = [];
    const visibleMs: number[] = [];
    try {
      for (let k = 0; k < RELOADS; k++) {
        const host = `new-${k}.example.com`;
        writeFileSync(join(dir, `new-${k}.yaml`), ingress(`new-${k}`, host));
        const t0 = performance.now();
        const a = podnet("apply", "-f", join(dir, `new-${k}.yaml`), "--name", NAME);
        applyMs.push(performance.now() - t0);
        if (a.status !== 0) throw new Error(`apply --name failed: ${a.stderr}`);
        const r = /ingress nginx reloaded: .* \((\d+) ms\)/.exec(a.stdout);
        if (r) reloadMs.push(Number(r[1]));
        while (status(host) !== 200 && performance.now() - t0 < 30_000) await new Promise((x) => setTimeout(x, 5));
        visibleMs.push(performance.now() - t0);
      }
    } finally {
      writeFileSync(stop, "");
      await done;
    }
    const codes = out.trim().split("\n").filter(Boolean);
    const failed = codes.filter((c) => c !== "200").length;
    const f = (a: number[]) => `median ${median(a).toFixed(0)} ms, max ${Math.max(...a).toFixed(0)} ms`;
    console.log(
      `ingress (${HOSTS} hosts, ${RELOADS} applies): nginx reload ${f(reloadMs)} (target ≤ 1000 ms); apply --name ${f(applyMs)}; new host answering from outside ${f(visibleMs)}`,
    );
    console.log(
      `ingress: request loop during the applies: ${codes.length} requests, ${failed} failed (target 0)${failed ? `: ${[...new Set(codes.filter((c) => c !== "200"))].join(", ")}` : ""}`,
    );
  } finally {
    podnet("down", "--name", NAME);
    rmSync(dir, { recursive: true, force: true });
  }
}
