// `podnet dns serve`: the cluster DNS on a real socket, reloading when its inputs change.
// `podnet resolve POD NAME`: the pod resolver's walk through its search list.
import { watch, statSync, type FSWatcher } from "node:fs";
import type { Command } from "commander";
import { loadCluster } from "../load/cluster.js";
import { cliWarn, FAULT_OPTION, loadFromFlags } from "./cluster-opts.js";
import { createZone, type PodsMode } from "../dns/zone.js";
import { startDnsServer } from "../dns/server.js";
import { formatWalk, resolveFromPod, type Libc } from "../dns/resolver.js";
import { parseHostPort } from "./args.js";
import { UsageError } from "./errors.js";
import { podKey } from "./resolve-target.js";

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];
const PODS = ["insecure", "verified", "disabled"];

function intOpt(v: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new UsageError(`${flag} must be an integer ${min}-${max}: "${v}"`);
  return Number(v);
}

export function register(program: Command): void {
  const dns = program.command("dns").description("the cluster DNS (CoreDNS's kubernetes plugin, served for real)");
  registerServe(dns);
  registerResolve(program);
}

function registerServe(dns: Command): void {
  dns
    .command("serve")
    .description(
      "answer DNS over UDP and TCP from the cluster's Services and endpoints; reloads when -f/--config files change",
    )
    .option(
      "-f, --filename <path>",
      "manifests: file, directory or - for stdin; repeatable (default: the embedded example)",
      collect,
    )
    .option("--config <file>", "cluster config (kind: Cluster)")
    .option("--seed <seed>", "seed for generated names and allocations")
    .option("--listen <addr>", "IP:PORT to listen on (UDP and TCP)", "127.0.0.1:5353")
    .option("--ttl <seconds>", "record TTL (default: the config's dns.ttl, kubeadm's 30; CoreDNS's own default is 5)")
    .option("--pods <mode>", "pods insecure|verified|disabled (default: the config's dns.pods, kubeadm's insecure)")
    .option("--upstream <ip:port>", "forward names outside the cluster zones here (repeatable)", collect)
    .action(serveAction);
}

interface ServeFlags {
  filename?: string[];
  config?: string;
  seed?: string;
  listen: string;
  ttl?: string;
  pods?: string;
  upstream?: string[];
}

async function serveAction(o: ServeFlags): Promise<void> {
  const upstream = o.upstream ?? [];
  if (o.pods !== undefined && !PODS.includes(o.pods))
    throw new UsageError(`--pods must be one of ${PODS.join("|")}: "${o.pods}"`);
  parseHostPort(o.listen, "--listen", true); // port 0: any free port
  for (const u of upstream) parseHostPort(u, "--upstream");
  const ttl = intOpt(o.ttl, "--ttl", 0, 3600);
  const files: string[] = o.filename ?? [];
  const load = () => loadCluster({ files, config: o.config, seed: o.seed, mode: "tolerant", warn: cliWarn });
  const { state } = await load();
  const zoneOptions = { ttl: ttl ?? state.config.dns.ttl, pods: (o.pods ?? state.config.dns.pods) as PodsMode };
  const server = await startDnsServer({
    zone: createZone(state, zoneOptions),
    zoneOptions,
    listen: o.listen,
    upstreams: upstream,
    onError: (e) => process.stderr.write(`dns: ${(e as Error)?.message ?? e}\n`),
  });
  const z = server.zone;
  process.stdout.write(
    `serving ${z.zone} in-addr.arpa ip6.arpa on ${server.address.host}:${server.address.port} (udp+tcp), ` +
      `${state.services.length} services, ttl ${z.ttl}, pods ${zoneOptions.pods}, serial ${z.serial}` +
      `${upstream.length ? `, forwarding to ${upstream.join(" ")}` : ""}\n`,
  );

  // Live reload: watch the inputs, debounce editor bursts, swap the zone only when the
  // new input loads; a bad edit keeps the old zone and prints the error.
  const watched = [...files.filter((f) => f !== "-"), ...(o.config ? [o.config] : [])];
  const stopWatching = watchInputs(watched, async () => {
    try {
      const next = await load();
      const nz = server.setState(next.state);
      process.stdout.write(`reloaded: ${next.state.services.length} services, serial ${nz.serial}\n`);
    } catch (e) {
      process.stderr.write(
        `reload failed, still serving serial ${server.zone.serial}:\n${(e as Error)?.message ?? e}\n`,
      );
    }
  });
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  stopWatching();
  await server.close();
}

/**
 * Calls `reload` after the watched files settle (150 ms after the last event; a reload
 * asked while one runs follows it). Returns the function that stops watching.
 */
function watchInputs(watched: string[], reload: () => Promise<void>): () => void {
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let loading = false;
  const run = async () => {
    if (loading) {
      timer = setTimeout(run, 200);
      return;
    }
    loading = true;
    try {
      await reload();
    } finally {
      loading = false;
    }
  };
  for (const p of watched) {
    try {
      const dir = statSync(p).isDirectory();
      watchers.push(
        watch(p, { recursive: dir }, () => {
          clearTimeout(timer);
          timer = setTimeout(run, 150);
        }),
      );
    } catch (e) {
      process.stderr.write(`not watching ${p}: ${(e as Error).message}\n`);
    }
  }
  return () => {
    for (const w of watchers) w.close();
    clearTimeout(timer);
  };
}

function registerResolve(program: Command): void {
  program
    .command("resolve")
    .description(
      "every query a pod's resolver sends for NAME (search list, ndots), with the answers; /etc/hosts first (hostAliases, its own name)",
    )
    .argument("<pod>", "pod: NAME, NAMESPACE/NAME, a workload's name (its first pod) or a unique name prefix")
    .argument(
      "<name>",
      "the name the application looks up (e.g. user-service, api.example.com, web-0.my-headless-service.)",
    )
    .option(
      "-f, --filename <path>",
      "manifests: file, directory or - for stdin; repeatable (default: the embedded example)",
      collect,
    )
    .option("--config <file>", "cluster config (kind: Cluster)")
    .option("--seed <seed>", "seed for generated names and allocations")
    .option("-n, --namespace <ns>", "the pod's namespace")
    .option(...FAULT_OPTION)
    .option("--type <type>", "A|AAAA|SRV|TXT|PTR|CNAME", "A")
    .option("--libc <libc>", "glibc|musl (Debian/Ubuntu images vs Alpine)", "glibc")
    .option("-o, --output <format>", "txt|json", "txt")
    .action(async (podRef: string, name: string, o) => {
      const type = String(o.type).toUpperCase();
      if (!["A", "AAAA", "SRV", "TXT", "PTR", "CNAME"].includes(type))
        throw new UsageError(`--type must be A|AAAA|SRV|TXT|PTR|CNAME: "${o.type}"`);
      if (o.libc !== "glibc" && o.libc !== "musl") throw new UsageError(`--libc must be glibc|musl: "${o.libc}"`);
      if (o.output !== "txt" && o.output !== "json") throw new UsageError(`--output must be txt|json: "${o.output}"`);
      const { state } = await loadFromFlags(o);
      // The one pod lookup of every command (resolve-target.ts), then the exact ns/name.
      const key = podKey(state, podRef, o.namespace);
      let r: ReturnType<typeof resolveFromPod>;
      try {
        r = resolveFromPod(state, key, name, { type, libc: o.libc as Libc });
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      if (o.output === "json") {
        const { pod, ...rest } = r;
        process.stdout.write(
          JSON.stringify({ pod: `${pod.namespace}/${pod.name}`, libc: o.libc, name, ...rest }, null, 2) + "\n",
        );
      } else process.stdout.write(formatWalk(r, name, o.libc as Libc) + "\n");
    });
}
