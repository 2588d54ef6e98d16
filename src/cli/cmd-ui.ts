// `podnet ui`: the web view (cluster map, packet walk, node inspector, policy matrix)
// served on 127.0.0.1 over the same library functions the CLI uses.
// With --name it attaches to a cluster built by `podnet up`; only with --allow-exec
// (and root) may the page run the real request (curl / dig / ping in the source pod).

import { spawn } from "node:child_process";
import type { Command } from "commander";
import { status } from "../linux/cluster.js";
import { guardCommand, validateClusterName } from "../linux/names.js";
import { readRecord } from "../linux/state.js";
import { startUiServer, type ExecRequest, type ExecResult, type LiveInfo } from "../ui-server/server.js";
import { ApiInputError } from "../ui-server/api.js";
import { quoteValue } from "../manifest/diag.js";
import { isIPv4 } from "../net/ipv4.js";
import { addClusterOptions, loadFromFlags, type ClusterFlags } from "./cluster-opts.js";
import { modelSession } from "../questions/trace.js";
import { UsageError } from "./errors.js";
import { compactLine } from "../views/flows.js";
import { lostLines, observeNames, recentFlows, statusText } from "./cmd-observe.js";
import type { FlowsReply } from "../ui-server/server.js";

interface UiFlags extends ClusterFlags {
  port: string;
  name?: string;
  allowExec?: boolean;
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

/** /api/flows: `podnet observe --last N` for the Live panel (the observer starts on first use). */
function makeFlows(name: string): (last: number) => Promise<FlowsReply> {
  return async (last) => {
    const names = await observeNames(name);
    const { flows, status } = await recentFlows(name, names, {}, last);
    return {
      flows: flows.map((f) => ({ line: compactLine(f, names), verdict: f.verdict })),
      lost: status ? lostLines(status, false) : [],
      status: status ? statusText(status) : "no status from the observer",
    };
  };
}

export function liveInfo(name: string | undefined, allowExec: boolean): LiveInfo {
  if (!name)
    return { allowExec: false, status: "not attached: start podnet ui --name NAME on a cluster built with podnet up" };
  const st = status(name);
  const rec = readRecord(name);
  const pods = (rec?.pods ?? []).map((p) => ({ namespace: p.namespace, name: p.name, ip: p.ip, node: p.node }));
  const running = st.phase === "up";
  return {
    name,
    allowExec: allowExec && running && isRoot(),
    status: running ? (isRoot() ? "running" : "running (run podnet ui as root to execute requests)") : st.phase,
    pods,
  };
}

/** The command a person would type in the source pod for this flow. */
/** A host an exec command may name: an IPv4 address or a DNS name (never an option). */
function checkHost(host: string): string {
  if (isIPv4(host) || (host.length <= 253 && /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(host))) return host;
  throw new ApiInputError(`not an IPv4 address or DNS name: ${quoteValue(host)}`);
}

/**
 * The command /api/exec runs, in fixed shapes: every operand is checked (an IPv4 address or
 * a DNS name, a port 1-65535, an http(s) URL rebuilt from its parts) and comes after the
 * options: `ping … -- HOST`, `curl -g … --url URL` (-g: no [] {} globbing, --proto: http(s)
 * only), `dig … @IP NAME`. An operand can never be read as an option.
 */
export function commandFor(r: ExecRequest, podIP: (ref: string) => string | undefined): string[] {
  const to = r.to;
  const curl = (url: string) => [
    "curl",
    "-g",
    "--proto",
    "=http,https",
    "-sS",
    "-m",
    "5",
    "-o",
    "/dev/null",
    "-w",
    "%{http_code} %{remote_ip}:%{remote_port}\\n",
    "--url",
    url,
  ];
  if (/^https?:\/\//i.test(to)) {
    let u: URL;
    try {
      u = new URL(to);
    } catch {
      throw new ApiInputError(`not a URL: ${quoteValue(to)}`);
    }
    if (u.username || u.password) throw new ApiInputError("a URL with credentials is not run");
    const host = checkHost(u.hostname);
    const port = u.port === "" ? "" : `:${parsePortOrThrow(u.port)}`;
    const path = u.pathname + u.search;
    if (/[^\x21-\x7e]/.test(path))
      throw new ApiInputError(`the URL's path must be printable ASCII: ${quoteValue(path)}`);
    return curl(`${u.protocol}//${host}${port}${path}`);
  }
  let host = to;
  let port = r.port;
  if (to.startsWith("svc/")) {
    const parts = to.slice(4).split("/");
    host = parts.length === 2 ? `${parts[1]}.${parts[0]}` : parts[0];
  } else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(to)) {
    [host] = to.split(":");
    port = parsePortOrThrow(to.split(":")[1]);
  } else if (!/^\d+\.\d+\.\d+\.\d+$/.test(to)) {
    host = podIP(to) ?? to;
  }
  checkHost(host);
  if (port !== undefined) parsePortOrThrow(String(port));
  if (r.protocol === "icmp") return ["ping", "-c", "1", "-W", "2", "--", host];
  if (r.protocol === "udp" && port === 53) {
    if (!isIPv4(host)) throw new ApiInputError(`dig needs the server's IPv4 address: ${quoteValue(host)}`);
    return ["dig", "+time=2", "+tries=1", `@${host}`, "kubernetes.default.svc.cluster.local"];
  }
  return curl(`http://${host}${port ? `:${port}` : ""}/`);
}

function parsePortOrThrow(text: string): number {
  const n = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new ApiInputError(`port must be an integer 1-65535: ${quoteValue(text)}`);
  return n;
}

export function makeExec(name: string) {
  return async (r: ExecRequest): Promise<ExecResult> => {
    const rec = readRecord(name);
    if (!rec?.pods || status(name).phase !== "up") throw new Error(`cluster "${name}" is not up`);
    const ref = r.from.startsWith("pod/") ? r.from.slice(4) : r.from;
    const [ns, pn] = ref.includes("/") ? ref.split("/", 2) : ["default", ref];
    const pod = rec.pods.find((p) => p.namespace === ns && (p.name === pn || p.name.startsWith(pn + "-")));
    if (!pod?.netns) throw new Error(`source pod "${r.from}" is not running in cluster "${name}"`);
    const lookup = (x: string) => {
      const [a, b] = x.includes("/") ? x.split("/", 2) : ["default", x];
      return rec.pods!.find((p) => p.namespace === a && (p.name === b || p.name.startsWith(b + "-")))?.ip ?? undefined;
    };
    const cmd = commandFor(r, lookup);
    const argv = ["ip", "netns", "exec", pod.execNetns ?? pod.netns, ...cmd];
    guardCommand(argv);
    return await new Promise<ExecResult>((resolve) => {
      const ch = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], timeout: 15_000 });
      let stdout = "";
      let stderr = "";
      ch.stdout.on("data", (d) => (stdout += d));
      ch.stderr.on("data", (d) => (stderr += d));
      ch.on("error", (e) => resolve({ command: cmd, exitCode: 127, stdout, stderr: stderr + e.message }));
      ch.on("close", (code) => resolve({ command: cmd, exitCode: code ?? 1, stdout, stderr }));
    });
  };
}

export function register(program: Command): void {
  const cmd = program
    .command("ui")
    .description("serve the web view (cluster map, packet walk, node inspector, policy matrix) on 127.0.0.1")
    .option("--port <port>", "TCP port on 127.0.0.1 (0: any free port)", "7080")
    .option("--name <name>", "attach to a cluster built by podnet up (Live panel)")
    .option("--allow-exec", "with --name, as root: let the page run the real request in the source pod");
  addClusterOptions(cmd);
  cmd.action(async (o: UiFlags) => {
    const port = Number(o.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be an integer 0-65535: "${o.port}"`);
    if (o.allowExec && !o.name) throw new UsageError("--allow-exec needs --name NAME (a cluster built by podnet up)");
    let name: string | undefined;
    if (o.name) {
      try {
        name = validateClusterName(o.name);
      } catch (e) {
        throw new UsageError(`--name: ${(e as Error).message}`);
      }
    }
    const { state } = await loadFromFlags(o);
    const allowExec = !!o.allowExec;
    const srv = await startUiServer({
      session: modelSession(state),
      port,
      live: () => liveInfo(name, allowExec),
      exec: name && allowExec ? makeExec(name) : undefined,
      flows: name && isRoot() ? makeFlows(name) : undefined,
    }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "EADDRINUSE")
        throw new UsageError(`port ${port} on 127.0.0.1 is in use: choose another with --port`);
      throw e;
    });
    process.stdout.write(`podnet ui: serving ${state.config.name ?? "the cluster"} at ${srv.url}  (Ctrl-C to stop)\n`);
    if (allowExec)
      process.stdout.write(`  --allow-exec: the page may run curl/dig/ping inside pods of cluster "${name}"\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        srv.close().then(resolve);
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
  });
}
