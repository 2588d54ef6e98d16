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
import { addClusterOptions, loadFromFlags, type ClusterFlags } from "./cluster-opts.js";
import { modelSession } from "../questions/trace.js";
import { UsageError } from "./errors.js";

interface UiFlags extends ClusterFlags {
  port: string;
  name?: string;
  allowExec?: boolean;
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

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
export function commandFor(r: ExecRequest, podIP: (ref: string) => string | undefined): string[] {
  const to = r.to;
  if (/^https?:\/\//.test(to))
    return ["curl", "-sS", "-m", "5", "-o", "/dev/null", "-w", "%{http_code} %{remote_ip}:%{remote_port}\\n", to];
  let host = to;
  let port = r.port;
  if (to.startsWith("svc/")) {
    const parts = to.slice(4).split("/");
    host = parts.length === 2 ? `${parts[1]}.${parts[0]}` : parts[0];
  } else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(to)) {
    [host] = to.split(":");
    port = Number(to.split(":")[1]);
  } else if (!/^\d+\.\d+\.\d+\.\d+$/.test(to)) {
    host = podIP(to) ?? to;
  }
  if (r.protocol === "icmp") return ["ping", "-c", "1", "-W", "2", host];
  if (r.protocol === "udp" && port === 53)
    return ["dig", "+time=2", "+tries=1", `@${host}`, "kubernetes.default.svc.cluster.local"];
  return [
    "curl",
    "-sS",
    "-m",
    "5",
    "-o",
    "/dev/null",
    "-w",
    "%{http_code} %{remote_ip}:%{remote_port}\\n",
    `http://${host}${port ? `:${port}` : ""}/`,
  ];
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
