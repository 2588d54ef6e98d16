// Asking the running ingress controller (nginx in its pods) from outside the cluster: curl in
// the underlay's namespace (the LAN's outside client), to the controller Service's
// LoadBalancer IP (else its NodePort on the first node), with the URL's Host and SNI kept
// (`--connect-to`), certificates not checked (-k: the Secrets' are self-signed). The answer:
// the status, Location, and which pod served (the pod servers' X-Podnet-Pod and body).
// podnet's Gateway pods the same way, through their Service's port of the request's port.
import { execFile } from "node:child_process";
import type { ClusterState } from "../control/state.js";
import { INGRESS_NGINX, PODNET_GATEWAY } from "../control/system.js";
import type { ParsedRequest } from "../ingress/request.js";
import type { DataplaneIR } from "../ir/types.js";
import { guardCommand, nsName } from "./names.js";

/** Where the outside client sends requests for the controller: per scheme, an address and port. */
export interface ProxyEntry {
  netns: string;
  http: { ip: string; port: number };
  https: { ip: string; port: number };
  /** "LoadBalancer 192.168.1.241" or "NodePort on worker-1 192.168.1.2". */
  via: string;
  /** Per request port (the Gateway's listeners): where to send it; else http/https by scheme. */
  byPort?: Record<number, { ip: string; port: number }>;
}

/** podnet's Gateway Service from outside: each listener port at the LoadBalancer IP, else its NodePort. */
export function gatewayEntry(cluster: string, state: ClusterState, ir: DataplaneIR): ProxyEntry | string {
  const svc = state.services.find((s) => s.namespace === PODNET_GATEWAY.namespace && s.name === PODNET_GATEWAY.name);
  if (!svc)
    return `no Service ${PODNET_GATEWAY.namespace}/${PODNET_GATEWAY.name}: the cluster has no Gateway of podnet's`;
  if (!ir.underlay?.externalClient) return "the cluster has no outside client (underlay)";
  const netns = nsName(cluster, ir.underlay.ns.id);
  const lb = svc.loadBalancerIPs[0];
  const node = ir.nodes[0];
  const byPort: Record<number, { ip: string; port: number }> = {};
  for (const p of svc.ports) {
    if (p.protocol !== "TCP") continue;
    if (lb) byPort[p.port] = { ip: lb, port: p.port };
    else if (node && p.nodePort) byPort[p.port] = { ip: node.address, port: p.nodePort };
  }
  const first = Object.values(byPort)[0];
  if (!first) return `Service ${svc.namespace}/${svc.name} has no LoadBalancer IP and no NodePort`;
  return {
    netns,
    http: first,
    https: first,
    byPort,
    via: lb ? `LoadBalancer ${lb}` : `NodePort on ${node!.name} ${node!.address}`,
  };
}

/** The controller Service's address from outside, or why there is none. */
export function proxyEntry(cluster: string, state: ClusterState, ir: DataplaneIR): ProxyEntry | string {
  const svc = state.services.find((s) => s.namespace === INGRESS_NGINX.namespace && s.name === INGRESS_NGINX.name);
  if (!svc) return `no Service ${INGRESS_NGINX.namespace}/${INGRESS_NGINX.name}: the cluster has no ingress controller`;
  if (!ir.underlay?.externalClient) return "the cluster has no outside client (underlay)";
  const netns = nsName(cluster, ir.underlay.ns.id);
  const port = (name: string) => svc.ports.find((p) => p.name === name);
  const http = port("http");
  const https = port("https");
  if (!http || !https) return `Service ${INGRESS_NGINX.namespace}/${INGRESS_NGINX.name} has no http/https port`;
  const lb = svc.loadBalancerIPs[0];
  if (lb)
    return { netns, http: { ip: lb, port: http.port }, https: { ip: lb, port: https.port }, via: `LoadBalancer ${lb}` };
  const node = ir.nodes[0];
  if (!node || !http.nodePort || !https.nodePort)
    return `Service ${svc.namespace}/${svc.name} has no LoadBalancer IP and no NodePort`;
  return {
    netns,
    http: { ip: node.address, port: http.nodePort },
    https: { ip: node.address, port: https.nodePort },
    via: `NodePort on ${node.name} ${node.address}`,
  };
}

export interface ProxyAnswer {
  /** 0 when no HTTP answer came (error says why). */
  status: number;
  location: string | null;
  /** The pod that served ("ns/name", X-Podnet-Pod) and its address as its body says ("IP:PORT"). */
  pod: string | null;
  endpoint: string | null;
  error?: string;
}

/** Parses `curl -i` output (the last response: no redirects are followed). */
export function parseCurlAnswer(out: string): ProxyAnswer {
  const cut = out.search(/\r?\n\r?\n/);
  const head = cut < 0 ? out : out.slice(0, cut);
  const body = cut < 0 ? "" : out.slice(cut).trim();
  const lines = head.split(/\r?\n/);
  const m = /^HTTP\/[\d.]+ (\d{3})/.exec(lines[0] ?? "");
  if (!m) return { status: 0, location: null, pod: null, endpoint: null, error: "no HTTP answer" };
  const header = (name: string) => {
    const l = lines.find((x) => x.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    return l ? l.slice(l.indexOf(":") + 1).trim() : null;
  };
  let endpoint: string | null = null;
  try {
    const j = JSON.parse(body) as { podIP?: unknown; port?: unknown };
    if (typeof j.podIP === "string" && typeof j.port === "number") endpoint = `${j.podIP}:${j.port}`;
  } catch {
    /* not a pod server's JSON body */
  }
  return { status: Number(m[1]), location: header("location"), pod: header("x-podnet-pod"), endpoint };
}

/** One request to the controller from outside; never throws (errors are in the answer). */
export function askProxy(entry: ProxyEntry, p: ParsedRequest, timeoutS = 5): Promise<ProxyAnswer> {
  const r = p.request;
  const to = entry.byPort?.[r.port] ?? (r.scheme === "https" ? entry.https : entry.http);
  const url = `${r.scheme}://${r.host}:${r.port}${p.requestUri}`;
  // curl drops a header given as "Name:" and sends it empty when given as "Name;" (curl(1) -H).
  const headers = Object.entries(r.headers).flatMap(([k, v]) => ["-H", v === "" ? `${k};` : `${k}: ${v}`]);
  const argv = [
    "ip",
    "netns",
    "exec",
    entry.netns,
    "curl",
    "-s",
    "-k",
    "-i",
    "--max-time",
    String(timeoutS),
    "--connect-to",
    `${r.host}:${r.port}:${to.ip}:${to.port}`,
    "-X",
    r.method,
    ...headers,
    url,
  ];
  guardCommand(argv);
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const a = parseCurlAnswer(stdout ?? "");
      if (a.status === 0)
        a.error = `curl: ${(stderr || err?.message || "no HTTP answer").toString().trim().split("\n")[0]}`;
      resolve(a);
    });
  });
}
