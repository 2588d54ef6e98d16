// `npm run bench:kernel -- ingress` (Linux, root; nginx installed): the ingress controller's
// nginx reloaded by `apply --name` (issue 18 §8: ≤ 1 s, no failed request during it).
// A cluster with BENCH_INGRESS_HOSTS Ingress hosts; a request loop from the outside client
// through the LoadBalancer IP runs the whole time (curl, one connection per request);
// BENCH_INGRESS_RELOADS times an Ingress with a new host is applied. Printed: nginx's reload
// (SIGHUP → the new configuration answering), the whole `apply --name` command, the time
// until the new host answers from outside, and the loop's requests and failures.
// Everything runs inside podnet namespaces and is removed at the end.
//
// `npm run bench:kernel -- external` (issue 18 §6): two ways of reaching the same backend pod
// from a client pod of a running cluster — the external domain through the ingress
// controller's LoadBalancer IP (kube-proxy to a controller pod, nginx, a new connection to
// the endpoint) vs the Service's cluster name (CoreDNS-compatible lookup, kube-proxy DNAT
// straight to the pod). A Python client in the pod's namespace alternates the two,
// BENCH_EXTERNAL_REQUESTS times each, each a fresh TCP connection and one `GET` with
// `Connection: close`; per request: connect (SYN → established) and request (request sent →
// whole answer read), the Service name's getaddrinfo separately. p50/p99 and the ratios.
// BENCH_INGRESS_NAME / BENCH_EXTERNAL_NAME name the clusters.
//
// Figures (2026-12-04, 2 shared cores at load average 26–32, flannel, 2 nodes):
//   ingress (50 hosts, 5 applies): nginx reload median 618 ms, max 825 ms; 204 requests, 0 failed.
//   external (500 each): connect p50 193 µs vs 334 µs; connect + request p50 3.92 ms vs
//   1.65 ms = 2.38×, p99 31.0 vs 20.4 ms = 1.52×; the Service name's lookup p50 8.7 ms.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildIR } from "../src/dataplane/build.js";
import { nginxBinary } from "../src/linux/ingress-proxy.js";
import { liveState } from "../src/linux/live-state.js";
import { nsName } from "../src/linux/names.js";

const HOSTS = Number(process.env.BENCH_INGRESS_HOSTS ?? 50);
const RELOADS = Number(process.env.BENCH_INGRESS_RELOADS ?? 5);
const NAME = process.env.BENCH_INGRESS_NAME ?? "fbench";
const LB = "192.168.1.241";
const bin = fileURLToPath(new URL("../../bin/podnet.js", import.meta.url));

const config = (name: string) => `apiVersion: podnet.dev/v1alpha1
kind: Cluster
name: ${name}
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
    writeFileSync(join(dir, "cluster.yaml"), config(NAME));
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

const EXT_NAME = process.env.BENCH_EXTERNAL_NAME ?? "fbench-ext";
const EXT_REQUESTS = Number(process.env.BENCH_EXTERNAL_REQUESTS ?? 500);

// One backend pod (so both ways reach the same pod), a client pod, an Ingress for it.
const EXT_MANIFESTS = `${APP.replace("replicas: 3", "replicas: 1")}apiVersion: apps/v1
kind: Deployment
metadata: {name: client}
spec:
  replicas: 1
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec:
      containers: [{name: client, image: example/client:1}]
---
${ingress("shop", "shop.example.com")}`;

// The client: alternates external / service; prints one JSON line.
const CLIENT = `
import json, socket, sys, time
lb, host, name, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def one(ip, hosthdr):
    t0 = time.perf_counter()
    s = socket.create_connection((ip, 80), timeout=5)
    t1 = time.perf_counter()
    s.sendall(("GET /api HTTP/1.1\\r\\nHost: %s\\r\\nConnection: close\\r\\n\\r\\n" % hosthdr).encode())
    data = b""
    while True:
        b = s.recv(65536)
        if not b: break
        data += b
    t2 = time.perf_counter()
    s.close()
    pod = ""
    for line in data.split(b"\\r\\n"):
        if line.lower().startswith(b"x-podnet-pod:"): pod = line.split(b":", 1)[1].strip().decode()
    return (t1 - t0) * 1e6, (t2 - t1) * 1e6, int(data[9:12] or 0), pod
out = {"ext": [], "svc": [], "dns": [], "status": {}, "pods": {}}
for i in range(n + 20):
    c, r, st, pod = one(lb, host)
    t = time.perf_counter()
    ip = socket.getaddrinfo(name, 80, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
    d = (time.perf_counter() - t) * 1e6
    c2, r2, st2, pod2 = one(ip, name)
    if i < 20: continue  # warm-up (ARP, conntrack, nginx's first upstream connections)
    out["ext"].append([c, r]); out["svc"].append([c2, r2]); out["dns"].append(d)
    for k, v in (("ext", st), ("svc", st2)): out["status"].setdefault(k + " " + str(v), 0); out["status"][k + " " + str(v)] += 1
    out["pods"]["ext " + pod] = 1; out["pods"]["svc " + pod2] = 1
print(json.dumps(out))
`;

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
};

export async function externalBench(): Promise<void> {
  if (!nginxBinary()) {
    console.log("external: skipped (nginx is not installed: apt-get install nginx-light)");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "podnet-bench-ext-"));
  podnet("down", "--name", EXT_NAME);
  try {
    writeFileSync(join(dir, "m.yaml"), EXT_MANIFESTS);
    writeFileSync(join(dir, "cluster.yaml"), config(EXT_NAME));
    writeFileSync(join(dir, "client.py"), CLIENT);
    const u = podnet("up", "--name", EXT_NAME, "-f", join(dir, "m.yaml"), "--config", join(dir, "cluster.yaml"));
    if (u.status !== 0) throw new Error(`podnet up failed: ${u.stderr}`);
    const state = await liveState(EXT_NAME);
    const ir = buildIR(state);
    const client = ir.pods.find((p) => p.namespace === "default" && p.name.startsWith("client-") && p.ns);
    const lb = state.services.find((s) => s.namespace === "ingress-nginx" && s.name === "ingress-nginx-controller")
      ?.loadBalancerIPs[0];
    if (!client || !lb) throw new Error("no client pod or no LoadBalancer IP of the ingress controller");
    const web = ir.pods.find((p) => p.namespace === "default" && p.name.startsWith("web-"));
    const r = spawnSync(
      "ip",
      [
        ...["netns", "exec", nsName(EXT_NAME, client.ns!.id), "python3", join(dir, "client.py")],
        ...[lb, "shop.example.com", "web.default.svc.cluster.local", String(EXT_REQUESTS)],
      ],
      { encoding: "utf8", maxBuffer: 64 << 20 },
    );
    if (r.status !== 0) throw new Error(`client failed: ${r.stderr.slice(-500)}`);
    const o = JSON.parse(r.stdout) as {
      ext: [number, number][];
      svc: [number, number][];
      dns: number[];
      status: Record<string, number>;
      pods: Record<string, number>;
    };
    const f = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(0)} µs`);
    const row = (label: string, xs: [number, number][]) => {
      const c = xs.map((x) => x[0]);
      const t = xs.map((x) => x[0] + x[1]);
      return { label, c50: q(c, 0.5), c99: q(c, 0.99), t50: q(t, 0.5), t99: q(t, 0.99) };
    };
    const e = row("external domain → LoadBalancer IP → ingress nginx → pod", o.ext);
    const s = row("Service cluster name → ClusterIP → pod", o.svc);
    console.log(
      `external vs Service (${EXT_REQUESTS} requests each, alternated, from pod ${client.name}; backend ${web?.name ?? "?"}; statuses ${JSON.stringify(o.status)}; served by ${Object.keys(o.pods).join(", ")}):`,
    );
    for (const x of [e, s])
      console.log(
        `  ${x.label}: connect p50 ${f(x.c50)} p99 ${f(x.c99)}; connect + request p50 ${f(x.t50)} p99 ${f(x.t99)}`,
      );
    console.log(
      `  ratio external/Service: connect p50 ${(e.c50 / s.c50).toFixed(2)}×, connect + request p50 ${(e.t50 / s.t50).toFixed(2)}× p99 ${(e.t99 / s.t99).toFixed(2)}×; the Service name's DNS lookup (not in the above) p50 ${f(q(o.dns, 0.5))} p99 ${f(q(o.dns, 0.99))}`,
    );
  } finally {
    podnet("down", "--name", EXT_NAME);
    rmSync(dir, { recursive: true, force: true });
  }
}
