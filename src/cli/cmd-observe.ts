// `podnet observe --name N`: the running cluster's flow log, shaped as `hubble observe`'s.
// The kernel side (conntrack events and NFLOG drops per node) is src/linux/observe.ts; the
// flows and their compact lines src/views/flows.ts.
//
// -o json: one object per line, as `hubble observe -o json` prints GetFlowsResponse:
//   {"flow": {time, verdict, drop_reason_desc?, IP{source,destination,ipVersion},
//             l4{TCP{source_port,destination_port,flags}|UDP{…}|ICMPv4},
//             source/destination{namespace,pod_name,labels}, Type, node_name, is_reply?,
//             traffic_direction, trace_observation_point?, destination_service?,
//             ingress_denied_by?/egress_denied_by?, Summary},
//    "node_name": …, "time": …}
//   {"lost_events": {"source": "NFLOG"|"CONNTRACK"|"OBSERVER"|"PERF_EVENT_RING_BUFFER", "num_events_lost": n, "overruns"?: n}}
// Losses are always reported: compact prints `EVENTS LOST: …` lines as hubble does.
import type { Command } from "commander";
import { UsageError } from "./errors.js";
import { runningCluster } from "./running.js";
import { ensureObserver, readObserver, type ObserveStatus } from "../linux/observe.js";
import { liveState } from "../linux/live-state.js";
import type { ObservedEvent } from "../ir/flowlog.js";
import { buildIR } from "../dataplane/build.js";
import {
  compactLine,
  flowMatches,
  flowNames,
  toFlows,
  type FlowFilter,
  type FlowNames,
  type HubbleFlow,
  type Verdict,
} from "../views/flows.js";

const VERDICTS: Verdict[] = ["FORWARDED", "DROPPED", "TRANSLATED"];

interface Opts {
  name?: string;
  from?: string;
  to?: string;
  verdict?: string;
  namespace?: string;
  follow?: boolean;
  last?: string;
  output: string;
}

export function parseObserveOpts(o: Opts): { filter: FlowFilter; last: number; follow: boolean; json: boolean } {
  if (o.output !== "compact" && o.output !== "json") throw new UsageError(`-o: "${o.output}" is not compact or json`);
  const filter: FlowFilter = {};
  if (o.verdict !== undefined) {
    const v = o.verdict.toUpperCase() as Verdict;
    if (!VERDICTS.includes(v)) throw new UsageError(`--verdict: "${o.verdict}" is not one of ${VERDICTS.join(", ")}`);
    filter.verdict = v;
  }
  if (o.from) filter.from = o.from;
  if (o.to) filter.to = o.to;
  if (o.namespace) filter.namespace = o.namespace;
  if (o.follow && o.last !== undefined) throw new UsageError("--follow and --last: give one of them");
  let last = 20; // hubble observe's default without --follow
  if (o.last !== undefined) {
    if (!/^\d+$/.test(o.last) || Number(o.last) > 1_000_000)
      throw new UsageError(`--last: "${o.last}" is not a number of flows (0 to 1000000)`);
    last = Number(o.last);
  }
  return { filter, last, follow: !!o.follow, json: o.output === "json" };
}

/** Hubble's LostEvent lines: one per source that lost something. */
export function lostLines(s: ObserveStatus, json: boolean): string[] {
  const out: string[] = [];
  const add = (source: string, n: number, overruns = 0) => {
    if (n === 0 && overruns === 0) return;
    if (json)
      out.push(JSON.stringify({ lost_events: { source, num_events_lost: n, ...(overruns ? { overruns } : {}) } }));
    else out.push(`EVENTS LOST: ${source} ${n}${overruns ? ` (+${overruns} buffer overruns of unknown size)` : ""}`);
  };
  add("NFLOG", s.lost);
  add("CONNTRACK", s.conntrackLost ?? 0, s.overruns);
  add("OBSERVER", s.followerLost ?? 0);
  // Cilium nodes: the datapath's ring (Hubble's LostEventSource for it).
  add("PERF_EVENT_RING_BUFFER", s.bpfLost ?? 0);
  for (const e of s.readerErrors)
    out.push(json ? JSON.stringify({ lost_events: { source: "OBSERVER", error: e } }) : `EVENTS LOST: OBSERVER ${e}`);
  return out;
}

function flowLine(f: HubbleFlow, names: FlowNames, json: boolean): string {
  return json ? JSON.stringify({ flow: f, node_name: f.node_name, time: f.time }) : compactLine(f, names);
}

/** The names for a running cluster's addresses; starts its observer if needed (says so on stderr when `say`). */
export async function observeNames(cluster: string, say?: (s: string) => void): Promise<FlowNames> {
  if (await ensureObserver(cluster)) say?.(`flow observer of "${cluster}" started; flows are recorded from now`);
  const state = await liveState(cluster);
  const ir = buildIR(state);
  // Nodes that tunnel pod traffic to other nodes: cross-node flows leave them to-overlay.
  const tunnels = ir.nodes.filter((n) => n.ns.links.some((l) => l.kind === "vxlan" || l.kind === "ipip"));
  const udpPorts = ir.nodes.flatMap((n) => n.ns.links.flatMap((l) => (l.vxlan ? [l.vxlan.port] : [])));
  return flowNames(state, { nodes: tunnels.map((n) => n.name), udpPorts });
}

/** The last `last` flows matching `filter`, in time order, and the observer's status. */
export async function recentFlows(
  cluster: string,
  names: FlowNames,
  filter: FlowFilter,
  last: number,
): Promise<{ flows: HubbleFlow[]; status?: ObserveStatus }> {
  const out: HubbleFlow[] = [];
  let status: ObserveStatus | undefined;
  // Filters apply before --last (hubble's server filters first): the whole ring then.
  const want = Object.keys(filter).length > 0 ? 1 << 20 : last;
  await readObserver(
    cluster,
    { last: want, follow: false },
    (e) => {
      for (const f of toFlows(e, names)) if (flowMatches(f, filter)) out.push(f);
    },
    (s) => (status = s),
  );
  // Nodes' readers flush in batches: in time order (stable: a NAT's TRANSLATED stays first).
  out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return { flows: last === 0 ? [] : out.slice(-last), status };
}

export function statusText(s: ObserveStatus): string {
  return `${s.seen} events on ${s.nodes} nodes since ${s.since} (ring ${s.ring})`;
}

export function register(program: Command): void {
  program
    .command("observe")
    .description(
      "the running cluster's flow log, as hubble observe (conntrack events and NFLOG drops per node; a Cilium node's BPF events; root)",
    )
    .option("--name <name>", "cluster name")
    .option("--from <pod>", "flows from this pod (ns/pod or pod)")
    .option("--to <pod|svc>", "flows to this pod or Service (ns/name or name)")
    .option("--verdict <verdict>", "FORWARDED | DROPPED | TRANSLATED")
    .option("--namespace <ns>", "flows with an end in this namespace")
    .option("-f, --follow", "follow new flows")
    .option("--last <n>", "the last N flows (default 20)")
    .option("-o, --output <format>", "compact|json", "compact")
    .action(async (o: Opts) => {
      const q = parseObserveOpts(o);
      const cluster = runningCluster(o.name, "podnet observe reads the nodes' netlink sockets");
      let names: FlowNames;
      try {
        names = await observeNames(cluster, (m) => process.stderr.write(`podnet observe: ${m}\n`));
      } catch (e) {
        if (e instanceof UsageError) throw e;
        throw new UsageError((e as Error).message);
      }
      let status: ObserveStatus | undefined;
      if (!q.follow) {
        const r = await recentFlows(cluster, names, q.filter, q.last).catch((e: Error) => {
          throw new UsageError(e.message);
        });
        status = r.status;
        process.stdout.write(r.flows.map((f) => `${flowLine(f, names, q.json)}\n`).join(""));
        if (status) for (const l of lostLines(status, q.json)) process.stdout.write(`${l}\n`);
      } else {
        let lastLost = "";
        const ac = new AbortController();
        process.once("SIGINT", () => ac.abort());
        await readObserver(
          cluster,
          { last: 0, follow: true },
          (e: ObservedEvent) => {
            for (const f of toFlows(e, names))
              if (flowMatches(f, q.filter)) process.stdout.write(`${flowLine(f, names, q.json)}\n`);
          },
          (s) => {
            status = s;
            const lost = lostLines(s, q.json).join("\n");
            if (lost && lost !== lastLost) process.stdout.write(`${lost}\n`);
            lastLost = lost;
          },
          ac.signal,
        ).catch((e: Error) => {
          throw new UsageError(e.message);
        });
      }
      if (status && !q.json) process.stderr.write(`podnet observe: ${statusText(status)}\n`);
    });
}
