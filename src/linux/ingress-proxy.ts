// The ingress controller pods' proxy, for real: Debian's nginx in each ingress-nginx
// controller pod's network namespace, its nginx.conf generated from the cluster's
// Ingresses (src/ingress/nginx-conf.ts), listening on the pod's ports 80 and 443 (the pod
// server leaves those to it, as it leaves CoreDNS's :53 to the DNS server). podnet's
// Gateway pods (controller podnet.dev/gateway) run nginx too, on their listener ports, its
// configuration generated from the Gateways and HTTPRoutes (src/ingress/gateway-conf.ts);
// same process model, same reload.
//
// Process: `ip netns exec <pod> python3 dns_watchdog.py <base> <state dir> nginx -c
// <base>/nginx.conf` — the same watchdog as the DNS servers' (restarts with backoff,
// counts restarts, dies with SIGTERM and takes nginx with it); nginx's master keeps its
// workers. The watchdog is the recorded process (role "nginx"); never the system nginx:
// its own configuration, pid file, logs and temp directories under /run/podnet/<cluster>/.
//
// Reload (`apply|scale --name`): a changed configuration is written beside the running one,
// checked by `nginx -t`, then moved in place and the master gets SIGHUP — nginx's graceful
// reload (new workers take new connections, the old ones finish theirs:
// https://nginx.org/en/docs/control.html#reconfiguration). A configuration nginx rejects is
// never installed: the old one keeps serving and the change fails (live.ts rolls it back).
// Done when the status server's /configuration-hash answers the new configuration's hash.
import { execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import type { ClusterState } from "../control/state.js";
import { INGRESS_NGINX, PODNET_GATEWAY } from "../control/system.js";
import { gatewayRouter } from "../ingress/gateway.js";
import { gatewayCertificateNeeds, gatewayConf } from "../ingress/gateway-conf.js";
import { FAKE_CERTIFICATE, ingressRouter } from "../ingress/nginx.js";
import {
  certificateNeeds,
  configurationHash,
  confHash,
  nginxConf,
  STATUS_PORT,
  type CertificateNeed,
} from "../ingress/nginx-conf.js";
import type { DataplaneIR, Listener, PodNet } from "../ir/types.js";
import { guardCommand, nsName, shortName, stateDir } from "./names.js";
import { ensureDir, openAppend, replaceFile } from "./safe-fs.js";
import { pythonScript } from "./scripts.js";
import { identify, stillOurs, stopProcess, type ClusterRecord, type ProcessRecord } from "./state.js";

/** A pod of podnet's Gateway controller (its Deployment in podnet-gateway). */
export function isGatewayPod(pod: { namespace: string; name: string }): boolean {
  return pod.namespace === PODNET_GATEWAY.namespace && pod.name.startsWith(`${PODNET_GATEWAY.name}-`);
}

/**
 * The ingress-nginx controller pods' HTTP and HTTPS ports, and the Gateway pods' listener
 * ports (TCP): nginx serves them, not the pod server.
 */
export function isIngressListener(
  pod: { namespace: string; name: string },
  l: Pick<Listener, "protocol" | "port">,
): boolean {
  if (l.protocol !== "TCP") return false;
  if (isGatewayPod(pod)) return true;
  return (
    pod.namespace === INGRESS_NGINX.namespace &&
    pod.name.startsWith(`${INGRESS_NGINX.name}-`) &&
    (l.port === 80 || l.port === 443)
  );
}

/** The nginx binary (Debian's /usr/sbin/nginx), or null when it is not installed. */
export function nginxBinary(): string | null {
  for (const p of ["/usr/sbin/nginx", "/usr/bin/nginx"]) if (existsSync(p)) return p;
  return null;
}

/** The controller pods of an IR (own namespace, scheduled) nginx serves. */
export function ingressPods(ir: DataplaneIR): PodNet[] {
  return ir.pods.filter((p) => p.ns && p.node && p.listeners.some((l) => isIngressListener(p, l)));
}

const podKey = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;

/** The directory of one controller pod's nginx (configuration, pid, logs, temp). */
export function nginxBase(cluster: string, key: string): string {
  return join(stateDir(cluster), `nginx-${shortName(key.replace(/\//g, "_"), 200)}`);
}

const confPath = (base: string) => join(base, "nginx.conf");

/** The certificate files of the cluster's TLS Secrets (made once per Secret and host list). */
function certificateFiles(cluster: string, needs: CertificateNeed[]): Map<string, { cert: string; key: string }> {
  const dir = join(stateDir(cluster), "tls");
  ensureDir(dir, 0o700, "/run");
  const out = new Map<string, { cert: string; key: string }>();
  for (const n of needs) {
    const id = n.id === FAKE_CERTIFICATE ? "fake" : shortName(n.id.replace(/\//g, "_"), 100);
    const tag = confHash(`${n.id} ${n.hosts.join(",")} ${n.pem ? confHash(n.pem.cert + n.pem.key) : "generated"}`);
    const files = { cert: join(dir, `${id}-${tag}.crt`), key: join(dir, `${id}-${tag}.key`) };
    if (!existsSync(files.cert) || !existsSync(files.key)) {
      if (n.pem) {
        replaceFile(files.key, n.pem.key, 0o600);
        replaceFile(files.cert, n.pem.cert);
      } else selfSigned(n, files);
    }
    out.set(n.id, files);
  }
  return out;
}

/**
 * A self-signed pair with openssl: the fake one as ingress-nginx's (O=Acme Co, CN=Kubernetes
 * Ingress Controller Fake Certificate, internal/net/ssl/ssl.go), a Secret's for its hosts.
 */
function selfSigned(n: CertificateNeed, files: { cert: string; key: string }): void {
  const fake = n.id === FAKE_CERTIFICATE;
  const cn = fake ? FAKE_CERTIFICATE : (n.hosts[0] ?? "localhost");
  const san = fake ? "DNS:ingress.local" : n.hosts.map((h) => `DNS:${h}`).join(",");
  // openssl writes into a private temporary directory; the state directory only through safe-fs.
  const tmp = mkdtempSync(join(tmpdir(), "podnet-tls-"));
  const out = { key: join(tmp, "tls.key"), cert: join(tmp, "tls.crt") };
  try {
    opensslSelfSigned(out, `/O=Acme Co/CN=${cn}`, 365, san);
    replaceFile(files.key, readFileSync(out.key, "utf8"), 0o600);
    replaceFile(files.cert, readFileSync(out.cert, "utf8"));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * `openssl req -x509`: a self-signed certificate and its EC P-256 key written to `out`;
 * `san` a subjectAltName value (DNS:a,DNS:b). Throws with openssl's error text.
 */
export function opensslSelfSigned(out: { key: string; cert: string }, subject: string, days: number, san?: string) {
  const argv = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  argv.push("-days", String(days), "-subj", subject);
  if (san) argv.push("-addext", `subjectAltName=${san}`);
  argv.push("-keyout", out.key, "-out", out.cert);
  execFileSync("openssl", argv, { stdio: ["ignore", "ignore", "pipe"] });
}

/** The configuration a pod's nginx serves now: its Gateways', or the Ingresses' (null: none to serve). */
export function proxyConfig(
  cluster: string,
  state: ClusterState,
  pod: { namespace: string; name: string },
  base: string,
) {
  if (!isGatewayPod(pod)) return ingressConfig(cluster, state, base);
  const router = gatewayRouter(state);
  if (typeof router === "string") return null;
  const certificates = certificateFiles(cluster, gatewayCertificateNeeds(router, state));
  return gatewayConf(router, state, { dir: base, certificates });
}

/** The configuration every controller pod's nginx serves now (null: no IngressClass nginx). */
export function ingressConfig(cluster: string, state: ClusterState, base: string): string | null {
  const router = ingressRouter(state);
  if (typeof router === "string") return null;
  const certificates = certificateFiles(cluster, certificateNeeds(router, state));
  return nginxConf(router, state, { dir: base, certificates });
}

function netnsOf(cluster: string, p: PodNet): string {
  return nsName(cluster, p.ns!.id);
}

/** `nginx -t` of a configuration file, in the pod's namespace; the error text, or null when nginx takes it. */
function testConfig(netns: string, nginx: string, conf: string, base: string): string | null {
  const argv = ["ip", "netns", "exec", netns, nginx, "-t", "-q", "-e", join(base, "error.log"), "-c", conf];
  guardCommand(argv);
  try {
    execFileSync(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    return null;
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    return (err.stderr?.toString() || err.message).trim().split("\n").slice(-3).join("; ");
  }
}

/** The configuration hash a pod's nginx answers on its status server (null: not answering). */
export function servedHash(netns: string): string | null {
  const argv = [
    "ip",
    "netns",
    "exec",
    netns,
    "curl",
    "-s",
    "--max-time",
    "1",
    `http://127.0.0.1:${STATUS_PORT}/configuration-hash`,
  ];
  guardCommand(argv);
  try {
    return (
      execFileSync(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "ignore"] })
        .toString()
        .trim() || null
    );
  } catch {
    return null;
  }
}

async function waitHash(netns: string, hash: string, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (servedHash(netns) === hash) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** Starts nginx (under its watchdog) in a controller pod's namespace; waits until it answers. */
export async function startNginx(
  cluster: string,
  state: ClusterState,
  pod: PodNet,
  onSpawn: (record: ProcessRecord) => void,
  timeoutMs = 15000,
): Promise<ProcessRecord | null> {
  const nginx = nginxBinary();
  if (!nginx) return null;
  const key = podKey(pod);
  const base = nginxBase(cluster, key);
  ensureDir(join(base, "tmp"), 0o700, "/run");
  const text = proxyConfig(cluster, state, pod, base);
  if (text === null) return null;
  const conf = confPath(base);
  replaceFile(conf, text);
  const netns = netnsOf(cluster, pod);
  const bad = testConfig(netns, nginx, conf, base);
  if (bad) throw new Error(`nginx rejects the configuration of ${key}: ${bad}`);
  const dir = stateDir(cluster);
  const argv = [
    "ip",
    "netns",
    "exec",
    netns,
    existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3",
    pythonScript("dns_watchdog.py"),
    base,
    dir,
    nginx,
    "-e",
    join(base, "error.log"),
    "-c",
    conf,
  ];
  guardCommand(argv);
  rmSync(`${base}.restarts`, { force: true });
  const log = openAppend(join(base, "watchdog.log"));
  const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ["ignore", log, log] });
  closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start nginx in ${key}`);
  let exited: string | null = null;
  child.on("exit", (code, sig) => (exited = `exited with ${sig ?? code}`));
  child.unref();
  let rec: ProcessRecord | null = null;
  const until = Date.now() + timeoutMs;
  const hash = configurationHash(text);
  while (Date.now() < until) {
    if (!rec) {
      rec = identify(pid, "nginx", conf, pod.node ?? undefined);
      if (rec) onSpawn(rec);
    }
    if (rec && servedHash(netns) === hash) return rec;
    if (exited) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  let tail = "";
  try {
    tail = readFileSync(join(base, "error.log"), "utf8").split("\n").slice(-5).join("\n");
  } catch {
    /* no log */
  }
  throw new Error(`nginx of ${key} (pid ${pid}) did not start: ${exited ?? "timeout"}\n${tail}`);
}

/** The worker processes of an nginx master (its children). */
function workers(master: number): number[] {
  try {
    return readFileSync(`/proc/${master}/task/${master}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** The master's PID (nginx.pid), when it is the running child of our watchdog. */
function masterPid(base: string): number | null {
  try {
    const pid = Number(readFileSync(join(base, "nginx.pid"), "utf8").trim());
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return cmd.includes(confPath(base)) ? pid : null;
  } catch {
    return null;
  }
}

export interface IngressSyncReport {
  started: string[];
  reloaded: string[];
  stopped: string[];
  /** Milliseconds from SIGHUP to the new configuration answering, per reloaded pod. */
  reloadMs: number[];
}

/**
 * Brings the controller pods' nginx to `state`: starts it in new controller pods, stops it
 * in pods that went, and reloads the others whose configuration changed — every new
 * configuration checked by `nginx -t` before any is installed (a rejected one changes
 * nothing and throws).
 */
export async function syncIngressProxies(
  cluster: string,
  state: ClusterState,
  ir: DataplaneIR,
  rec: ClusterRecord,
  save: () => void,
  log: (s: string) => void = () => {},
): Promise<IngressSyncReport> {
  const report: IngressSyncReport = { started: [], reloaded: [], stopped: [], reloadMs: [] };
  const nginx = nginxBinary();
  if (!nginx) return report;
  const pods = ingressPods(ir);
  const want = new Set(pods.map((p) => confPath(nginxBase(cluster, podKey(p)))));
  for (const p of rec.processes.filter((x) => x.role === "nginx" && !want.has(x.marker))) {
    await stopProcess(p);
    rec.processes = rec.processes.filter((x) => x !== p);
    report.stopped.push(p.marker);
  }
  save();
  // Check every changed configuration first: all or nothing.
  const reloads: { pod: PodNet; base: string; text: string; netns: string; pid: number }[] = [];
  for (const pod of pods) {
    const base = nginxBase(cluster, podKey(pod));
    const running = rec.processes.find((x) => x.role === "nginx" && x.marker === confPath(base) && stillOurs(x));
    if (!running) continue;
    const text = proxyConfig(cluster, state, pod, base);
    if (text === null) continue;
    let old = "";
    try {
      old = readFileSync(confPath(base), "utf8");
    } catch {
      /* absent: written below */
    }
    if (old === text) continue;
    const netns = netnsOf(cluster, pod);
    const next = join(base, "nginx.conf.next");
    replaceFile(next, text);
    const bad = testConfig(netns, nginx, next, base);
    if (bad) {
      rmSync(next, { force: true });
      for (const r of reloads) rmSync(join(r.base, "nginx.conf.next"), { force: true });
      throw new Error(`nginx rejects the new configuration of ${podKey(pod)} (the old one keeps serving): ${bad}`);
    }
    const pid = masterPid(base);
    if (pid === null) throw new Error(`nginx of ${podKey(pod)} has no running master (${join(base, "nginx.pid")})`);
    reloads.push({ pod, base, text, netns, pid });
  }
  for (const r of reloads) {
    replaceFile(confPath(r.base), r.text);
    rmSync(join(r.base, "nginx.conf.next"), { force: true });
    const old = new Set(workers(r.pid));
    const t0 = performance.now();
    process.kill(r.pid, "SIGHUP");
    // The master forks new workers once it has loaded the new configuration: they take the
    // new connections from then on (read in-process: spawning a probe costs more than the reload).
    while (!workers(r.pid).some((w) => !old.has(w)) && performance.now() - t0 < 10_000)
      await new Promise((x) => setTimeout(x, 2));
    report.reloadMs.push(Math.round(performance.now() - t0));
    // And the status server says which configuration answers (the proof it is the new one).
    if (!(await waitHash(r.netns, configurationHash(r.text) ?? "", 10_000)))
      throw new Error(`nginx of ${podKey(r.pod)} did not load its new configuration within 10 s`);
    report.reloaded.push(podKey(r.pod));
  }
  // New controller pods (a scale, the first Ingress): their nginx.
  for (const pod of pods) {
    const base = nginxBase(cluster, podKey(pod));
    if (rec.processes.some((x) => x.role === "nginx" && x.marker === confPath(base))) continue;
    await startNginx(cluster, state, pod, (p) => {
      rec.processes.push(p);
      save();
    });
    report.started.push(podKey(pod));
  }
  if (report.reloaded.length) log(`nginx reloaded in ${report.reloaded.join(", ")} (${report.reloadMs.join(", ")} ms)`);
  if (report.started.length) log(`nginx started in ${report.started.join(", ")}`);
  return report;
}

/** Stops the nginx of these pods (before their namespace goes). */
export async function stopNginxOf(cluster: string, rec: ClusterRecord, keys: string[]): Promise<void> {
  const markers = new Set(keys.map((k) => confPath(nginxBase(cluster, k))));
  for (const p of rec.processes.filter((x) => x.role === "nginx" && markers.has(x.marker))) {
    await stopProcess(p);
    rec.processes = rec.processes.filter((x) => x !== p);
  }
}
