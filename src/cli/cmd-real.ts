// The real network: `podnet up`, `down`, `status`, `exec` (Linux, root).
import { type Command, Option } from "commander";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { SAFE_ALPHABET } from "../control/hash.js";
import { UsageError } from "./errors.js";
import { lookupPod } from "./resolve-target.js";
import type { DataplaneIR } from "../ir/types.js";
import {
  ClusterExistsError,
  clusterNamespaces,
  down,
  downAll,
  knownClusters,
  lockCluster,
  status,
  up,
  type StatusReport,
  type UpReport,
} from "../linux/cluster.js";
import { bpfMissing } from "../linux/bpf.js";
import { createRunner } from "../linux/exec.js";
import type { HeldLock } from "../linux/lock.js";
import { guardCommand, stateDir, validateClusterName } from "../linux/names.js";
import { loadNetfilterRenderers } from "../linux/netfilter.js";
import { readChanges, readRecord, type ClusterRecord } from "../linux/state.js";
import type { RenderOptions } from "../linux/render.js";
import { birdPaths } from "../linux/bird.js";

const collect = (v: string, prev: string[]) => [...prev, v];
const shq = (a: string) => (/^[A-Za-z0-9_.,:=/@%+-]+$/.test(a) ? a : "'" + a.replace(/'/g, "'\\''") + "'");

function requireRoot(cmd: string): void {
  if (process.platform !== "linux")
    throw new UsageError(`podnet ${cmd} builds Linux network namespaces: it runs on Linux only`);
  if (typeof process.getuid === "function" && process.getuid() !== 0)
    throw new UsageError(
      `podnet ${cmd} needs root (creating network namespaces needs CAP_SYS_ADMIN): run it with sudo`,
    );
}

function clusterName(n: string | undefined, fallback: string): string {
  try {
    return validateClusterName(n ?? fallback);
  } catch (e) {
    throw new UsageError(`--name: ${(e as Error).message}`);
  }
}

interface Loaded {
  ir: DataplaneIR;
  name: string;
  containers: Map<string, string[]>;
  /** The manifest and config texts as read (stdin read once), to snapshot for the running cluster. */
  sources?: {
    files: { file: string; text: string | Uint8Array }[];
    config?: { file: string; text: string | Uint8Array };
  };
}

async function loadIR(o: { filename: string[]; config?: string; seed?: string; fixture?: boolean }): Promise<Loaded> {
  if (o.fixture) {
    const { fixtureIR } = await import("../linux/fixture.js");
    return { ir: fixtureIR("fixture"), name: "fixture", containers: new Map() };
  }
  const { readSources, readConfigFile, loadSpecFromArgs } = await import("../load/input.js");
  const { parseSpec } = await import("../manifest/parse.js");
  const { buildState } = await import("../control/build.js");
  const { buildIR } = await import("../dataplane/build.js");
  // Read once (stdin can be read only once) and keep the texts: the running cluster's
  // DNS servers and its later changes recompute the state from a snapshot of them.
  const files = o.filename.length ? await readSources(o.filename) : undefined;
  const config = o.config ? readConfigFile(o.config) : undefined;
  const spec = files ? parseSpec(files, config) : await loadSpecFromArgs({ config: o.config });
  const state = buildState(spec, { seed: o.seed });
  const containers = new Map(
    state.pods.map((p) => [`${p.namespace}/${p.name}`, (p.spec.containers ?? []).map((c) => c.name)]),
  );
  return { ir: buildIR(state), name: state.config.name ?? "demo", containers, sources: { files: files ?? [], config } };
}

/**
 * Writes the inputs' texts under the cluster's state dir (/run/podnet/NAME/inputs/) and
 * returns the recorded inputs pointing there: later edits of the user's files (or a
 * manifest given on stdin) do not change what the running cluster recomputes. No
 * manifests: the embedded example (part of the installed package) as given.
 */
function snapshotInputs(
  cluster: string,
  src: NonNullable<Loaded["sources"]>,
  seed?: string,
): { files: string[]; config?: string; seed?: string; given?: string[] } {
  const dir = join(stateDir(cluster), "inputs");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = src.files.map((f, i) => {
    const p = join(dir, `${String(i).padStart(3, "0")}-${basename(f.file).replace(/[^A-Za-z0-9_.-]/g, "_")}`);
    writeFileSync(p, f.text);
    return p;
  });
  let config: string | undefined;
  if (src.config) {
    config = join(dir, "cluster-config.yaml");
    writeFileSync(config, src.config.text);
  }
  return { files, config, seed, given: src.files.map((f) => f.file) };
}

/** kubectl-style columns: each padded to its widest cell plus 3 spaces. */
function table(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows
    .map(
      (r) =>
        r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i] + 3)))
          .join("")
          .trimEnd() + "\n",
    )
    .join("");
}

/** The one cluster meant when no --name is given. */
function defaultCluster(): string | null {
  const all = knownClusters();
  if (all.length === 0) return null;
  if (all.length > 1) throw new UsageError(`several clusters are up (${all.join(", ")}): say which with --name`);
  return all[0];
}

export function register(program: Command): void {
  registerUp(program);
  registerDown(program);
  registerStatus(program);
  registerExec(program);
  registerBgp(program);
}

function registerUp(program: Command): void {
  program
    .command("up")
    .description("build the cluster for real in Linux network namespaces (root)")
    .option("-f, --filename <path>", "manifests (file, directory, or - for stdin); repeatable", collect, [])
    .option("--config <file>", "cluster config (kind: Cluster)")
    .option("--seed <seed>", "seed for names and allocations")
    .option("--name <name>", "cluster name (default: the config's name)")
    .option("--dry-run", "print the kernel commands instead of running them (no root needed)")
    .option("--no-processes", "do not start the pods' servers")
    .addOption(new Option("--fixture", "use the backend's 2-node test IR").hideHelp())
    .action(upAction);
}

interface UpFlags {
  filename: string[];
  config?: string;
  seed?: string;
  name?: string;
  dryRun?: boolean;
  processes?: boolean;
  fixture?: boolean;
}

async function upAction(o: UpFlags): Promise<void> {
  if (!o.dryRun) requireRoot("up");
  const { ir, name: cfgName, containers, sources } = await loadIR(o);
  const name = clusterName(o.name, cfgName);
  const nf = await loadNetfilterRenderers();
  const render = { netfilter: nf.renderers };
  if (o.dryRun) return upDryRun(name, ir, render, nf.missing);
  // A flavor that forwards in eBPF (Cilium) needs its programs built (clang at build time).
  const noBpf = ir.nodes.some((n) => n.bpf) ? bpfMissing() : null;
  if (noBpf) throw new UsageError(noBpf);
  if (nf.missing.length)
    process.stderr.write(`warning: netfilter rules not loaded (renderer missing: ${nf.missing.join(", ")})\n`);
  // One `up` per name: the lock covers the existence check, the snapshot and bring-up.
  const lock = await lockCluster(name, "being brought up").catch((e: unknown) => {
    throw e instanceof ClusterExistsError ? new UsageError(e.message) : e;
  });
  try {
    await upLocked(o, name, ir, render, containers, sources, lock);
  } finally {
    lock.release();
  }
}

async function upLocked(
  o: UpFlags,
  name: string,
  ir: DataplaneIR,
  render: RenderOptions,
  containers: Loaded["containers"],
  sources: Loaded["sources"],
  lock: HeldLock,
): Promise<void> {
  // The snapshot goes into the state dir: never into that of a cluster that exists.
  if (readRecord(name) || clusterNamespaces(name).length)
    throw new UsageError(`cluster "${name}" exists; run "podnet down --name ${name}" first`);
  const inputs =
    o.fixture || !sources
      ? { files: o.filename, config: o.config, seed: o.seed, fixture: !!o.fixture }
      : snapshotInputs(name, sources, o.seed);
  // Ctrl-C during up: stop at the next step and roll back (a second one exits at once;
  // SIGKILL cannot be caught: `podnet down` cleans up after it).
  const ctl = new AbortController();
  const abort = () => {
    if (ctl.signal.aborted) process.exit(130);
    process.stderr.write("\ninterrupted: rolling back\n");
    ctl.abort(new Error("interrupted"));
  };
  process.on("SIGINT", abort);
  process.on("SIGTERM", abort);
  try {
    const rep = await up({
      cluster: name,
      ir,
      render,
      containers,
      signal: ctl.signal,
      supervise: o.processes !== false,
      inputs,
      lock,
      log: (s) => process.stderr.write(`podnet up: ${s}\n`),
    });
    printUp(name, ir, rep);
  } catch (e) {
    if (e instanceof ClusterExistsError) throw new UsageError(e.message);
    if (ctl.signal.aborted) {
      process.stderr.write(`podnet up: interrupted; what was created has been removed\n`);
      process.exitCode = 130;
      return;
    }
    throw new UsageError(`podnet up failed, everything it created was removed: ${(e as Error).message}`);
  } finally {
    process.off("SIGINT", abort);
    process.off("SIGTERM", abort);
  }
}

/** --dry-run: the kernel commands, as a shell script, instead of running them. */
async function upDryRun(name: string, ir: DataplaneIR, render: RenderOptions, missing: string[]): Promise<void> {
  const runner = createRunner({ dryRun: true });
  await up({ cluster: name, ir, runner, render, supervise: false });
  for (const c of runner.log)
    process.stdout.write(
      c.argv.map(shq).join(" ") + (c.input ? ` <<'EOF'\n${c.input.replace(/\n$/, "")}\nEOF\n` : "\n"),
    );
  if (missing.length) process.stdout.write(`# netfilter not rendered (missing ${missing.join(", ")})\n`);
}

/** The summary, the supervisors' events, and a first command to try. */
function printUp(name: string, ir: DataplaneIR, rep: UpReport): void {
  const events = rep.supervisors.flatMap((s) => s.events);
  process.stdout.write(
    `cluster "${name}" is up: ${ir.nodes.length} nodes, ${rep.pods} pods, ${rep.namespaces} namespaces, ` +
      `${rep.supervisors.length} pod supervisors (${rep.supervisors.reduce((a, s) => a + s.serving.length, 0)} listeners) in ${rep.ms} ms\n`,
  );
  for (const e of events) process.stdout.write(`${e.type}  ${e.reason}  ${e.object}  ${e.message}\n`);
  const from = ir.pods.find((p) => p.ns && p.namespace === "default") ?? ir.pods.find((p) => p.ns);
  const to = ir.pods.find(
    (p) =>
      p.ns &&
      p.namespace === from?.namespace &&
      p.node !== from?.node &&
      p.listeners.some((l) => l.protocol === "TCP" && l.port !== 53),
  );
  const port = to?.listeners.find((l) => l.protocol === "TCP" && l.port !== 53)?.port;
  if (from && to && port)
    process.stdout.write(`try:   podnet exec ${from.name} --name ${name} -- curl -s http://${to.ip}:${port}/\n`);
  process.stdout.write(`        podnet status --name ${name};  podnet down --name ${name}\n`);
}

function registerDown(program: Command): void {
  program
    .command("down")
    .description("remove a cluster's namespaces and processes (idempotent; also after a crash)")
    .option("--name <name>", "cluster name")
    .option("--all", "every podnet cluster on this machine")
    .action(async (o: { name?: string; all?: boolean }) => {
      requireRoot("down");
      if (o.all && o.name) throw new UsageError("give --name or --all, not both");
      const reps = o.all
        ? await downAll()
        : await (async () => {
            const n = o.name ? clusterName(o.name, "") : defaultCluster();
            return n ? [await down(n, undefined, (why) => process.stderr.write(`podnet down: ${why}\n`))] : [];
          })().catch((e: unknown) => {
            throw e instanceof ClusterExistsError ? new UsageError(e.message) : e;
          });
      if (reps.length === 0) process.stdout.write("no podnet cluster found\n");
      for (const r of reps) {
        process.stdout.write(
          `cluster "${r.cluster}": removed ${r.namespaces.length} namespaces, stopped ${r.processes.filter((p) => p.result === "stopped").length} processes\n`,
        );
        for (const p of r.processes.filter((p) => p.result === "not-ours"))
          process.stdout.write(`  pid ${p.pid} is no longer podnet's: left alone\n`);
        for (const l of r.leftovers) process.stdout.write(`  could not remove ${l}\n`);
        if (r.leftovers.length) process.exitCode = 1;
      }
    });
}

function registerStatus(program: Command): void {
  program
    .command("status")
    .description("the running cluster: nodes, pods, IPs, processes")
    .option("--name <name>", "cluster name")
    .option("-o, --output <format>", "text|json", "text")
    .action(async (o: { name?: string; output: string }) => {
      const n = o.name ? clusterName(o.name, "") : defaultCluster();
      if (!n) {
        process.stdout.write("no podnet cluster is up\n");
        return;
      }
      const st = status(n);
      const rec = readRecord(n);
      if (o.output === "json") {
        process.stdout.write(
          JSON.stringify({ ...st, nodes: rec?.nodes ?? [], pods: rec?.pods ?? [], changes: readChanges(n) }, null, 2) +
            "\n",
        );
        return;
      }
      const present = st.namespaces.filter((x) => x.present).length;
      process.stdout.write(
        `cluster ${n}: ${st.phase}${st.createdAt ? ` since ${st.createdAt}` : ""}, ${present}/${st.namespaces.length} namespaces present\n`,
      );
      printLastChange(n);
      printStatusTables(st, rec);
      if (rec) await printBgpSessions(n, rec);
      if (st.processes.length) {
        process.stdout.write(
          "\n" +
            table([
              ["PID", "ROLE", "NODE", "STATE", "RESTARTS"],
              ...st.processes.map((p) => [
                String(p.pid),
                p.role,
                p.node ?? "",
                !p.alive ? "gone" : p.health && !p.health.serving ? "restarting" : "running",
                p.health
                  ? `${p.health.restarts}${p.health.restarts && p.health.lastExit ? ` (last: ${p.health.lastExit})` : ""}`
                  : "",
              ]),
            ]),
        );
      }
    });
}

/** How many changes since up, and the last one. */
function printLastChange(n: string): void {
  const changes = readChanges(n);
  if (!changes.length) return;
  const c = changes[changes.length - 1].change as {
    op: string;
    kind?: string;
    name?: string;
    replicas?: number;
    objects?: { kind: string; metadata: { name: string } }[];
  };
  const what =
    c.op === "apply"
      ? `apply ${(c.objects ?? []).map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`
      : `${c.op} ${c.kind}/${c.name}${c.op === "scale" ? ` --replicas ${c.replicas}` : ""}`;
  process.stdout.write(
    `${changes.length} changes since up (podnet apply|delete|scale --name ${n}); last at ${changes[changes.length - 1].at}: ${what}\n`,
  );
}

/** The nodes and pods with their namespaces (marked when missing from the kernel). */
function printStatusTables(st: StatusReport, rec: ClusterRecord | null): void {
  const pres = new Set(st.namespaces.filter((x) => x.present).map((x) => x.name));
  if (rec?.nodes?.length) {
    process.stdout.write(
      "\n" +
        table([
          ["NODE", "ADDRESS", "NETNS"],
          ...rec.nodes.map((x) => [x.name, x.address, x.netns + (pres.has(x.netns) ? "" : " (missing)")]),
        ]),
    );
  }
  if (rec?.pods?.length) {
    process.stdout.write(
      "\n" +
        table([
          ["NAMESPACE", "NAME", "IP", "NODE", "NETNS"],
          ...rec.pods.map((p) => [
            p.namespace,
            p.name,
            p.ip ?? "<none>",
            p.node ?? "<none>",
            (p.netns ?? "<none>") + (p.netns && !pres.has(p.netns) ? " (missing)" : ""),
          ]),
        ]),
    );
  }
}

/** Each BIRD's mesh sessions, asked over its control socket. */
async function printBgpSessions(n: string, rec: ClusterRecord): Promise<void> {
  const birds = rec.processes.filter((p) => p.role === "bird");
  if (!birds.length || !rec.nodes) return;
  process.stdout.write(`\nBGP (BIRD, node-to-node mesh)\n`);
  const runner = createRunner();
  for (const b of birds) {
    const node = rec.nodes.find((x) => x.name === b.node);
    if (!node) continue;
    const r = await runner.run(
      ["ip", "netns", "exec", node.netns, "birdc", "-r", "-s", birdPaths(n, node.name).ctl, "show", "protocols"],
      "",
      { allowFail: true },
    );
    const sessions = r.stdout
      .split("\n")
      .filter((l) => l.startsWith("Mesh_"))
      .map(
        (l) =>
          `${l.split(/\s+/)[0]} ${l.includes("Established") ? "Established" : l.split(/\s+/).slice(5).join(" ") || "down"}`,
      );
    process.stdout.write(`${node.name}\t${sessions.join(", ") || "(BIRD not answering)"}\n`);
  }
}

function registerExec(program: Command): void {
  program
    .command("exec")
    .description("run a host command in a pod's network namespace, with its resolv.conf, hosts and hostname (root)")
    .argument("<pod>", "pod name, NAMESPACE/NAME, a workload's name (its first pod) or a unique prefix")
    .argument("<cmd...>", "the command (after --)")
    .option("--name <name>", "cluster name")
    .option("-n, --namespace <ns>", "the pod's Kubernetes namespace")
    .option("-c, --container <name>", "container (all containers of a pod share its network namespace)")
    .action(async (podArg: string, cmd: string[], o: { name?: string; namespace?: string; container?: string }) => {
      requireRoot("exec");
      const n = o.name ? clusterName(o.name, "") : defaultCluster();
      if (!n) throw new UsageError("no podnet cluster is up (podnet up)");
      const pod = recordedPod(n, podArg, o.namespace);
      if (!pod.netns) throw new UsageError(`pod ${pod.namespace}/${pod.name} is not running (no node)`);
      if (o.container && pod.containers.length && !pod.containers.includes(o.container))
        throw new UsageError(
          `container "${o.container}" is not in pod ${pod.namespace}/${pod.name} (containers: ${pod.containers.join(", ")})`,
        );
      // The pod's own UTS namespace with its hostname (kubelet's; hostNetwork pods: the
      // node's name), as the runtime gives a container: `unshare --uts` (util-linux), then
      // hostname(1) inside it, then the command. The machine's hostname is left alone.
      const uts = pod.hostname
        ? ["unshare", "--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"', pod.hostname, ...cmd]
        : cmd;
      const argv = ["ip", "netns", "exec", pod.execNetns ?? pod.netns, ...uts];
      guardCommand(argv);
      const r = spawnSync(argv[0], argv.slice(1), { stdio: "inherit" });
      if (r.error) throw new UsageError(`${cmd[0]}: ${r.error.message}`);
      process.exitCode = r.status ?? 1;
    });
}

/** A recorded pod's workload from its generated name, as the controllers make them
 *  (the record keeps no owners): `<deployment>-<pod-template-hash>-<5>`,
 *  `<replicaset|daemonset|job>-<5>`, `<statefulset>-<ordinal>`; the longest match wins. */
function nameWorkload(name: string): { kind: string; name: string } | undefined {
  const c = `[${SAFE_ALPHABET}]`;
  let m = new RegExp(`^(.+)-${c}{1,10}-${c}{5}$`).exec(name);
  if (m) return { kind: "Deployment", name: m[1] };
  m = new RegExp(`^(.+)-${c}{5}$`).exec(name);
  if (m) return { kind: "ReplicaSet", name: m[1] };
  m = /^(.+)-\d+$/.exec(name);
  if (m) return { kind: "StatefulSet", name: m[1] };
  return undefined;
}

/** The recorded pod by the one pod lookup (resolve-target.ts): name, NAMESPACE/NAME,
 *  a workload's name (its first pod: scheduled first, then by name), a unique prefix. */
export function recordedPod(n: string, podArg: string, namespace: string | undefined) {
  const rec = readRecord(n);
  if (!rec?.pods) throw new UsageError(`cluster "${n}" has no state (is it up? podnet status --name ${n})`);
  type Rec = NonNullable<typeof rec.pods>[number];
  return lookupPod(rec.pods, podArg, namespace, {
    workloadOf: (p: Rec) => nameWorkload(p.name),
    firstOrder: (a: Rec, b: Rec) =>
      !!a.node !== !!b.node ? (a.node ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    where: `in cluster "${n}"`,
  });
}

function registerBgp(program: Command): void {
  program
    .command("bgp")
    .description("a node's BGP sessions (BIRD) and the routes it learned, on the running cluster (Calico)")
    .argument("<node>", "node name")
    .option("--name <name>", "cluster name")
    .action(async (nodeName: string, o: { name?: string }) => {
      requireRoot("bgp");
      const n = o.name ? clusterName(o.name, "") : defaultCluster();
      if (!n) throw new UsageError("no podnet cluster is up (podnet up)");
      const rec = readRecord(n);
      const node = rec?.nodes?.find((x) => x.name === nodeName);
      if (!node)
        throw new UsageError(
          `node "${nodeName}" not found in cluster "${n}"${rec?.nodes ? ` (nodes: ${rec.nodes.map((x) => x.name).join(", ")})` : ""}`,
        );
      if (!rec!.processes.some((p) => p.role === "bird" && p.node === nodeName))
        throw new UsageError(`node "${nodeName}" runs no BGP speaker (the cluster's CNI is not Calico BGP)`);
      const runner = createRunner();
      const ctl = birdPaths(n, nodeName).ctl;
      const prot = await runner.run(
        ["ip", "netns", "exec", node.netns, "birdc", "-r", "-s", ctl, "show", "protocols"],
        "",
        { allowFail: true },
      );
      process.stdout.write(prot.stdout || prot.stderr);
      const routes = await runner.run(["ip", "-n", node.netns, "route", "show", "proto", "bird"], "", {
        allowFail: true,
      });
      process.stdout.write(`\n# ip route show proto bird (node ${nodeName})\n${routes.stdout}`);
    });
}
