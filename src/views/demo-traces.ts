// The demo's trace sections (issue: the packet-level model): a packet between two pods
// on one node, across nodes over VXLAN and then host-gw, order-app calling
// http://user-service through DNS and kube-proxy, and a NodePort from outside.
// Each shows the condensed walk: one line per step, the deciding object beside it.

import type { ClusterState, PodState } from "../control/state.js";
import { modelSession, type TracePath, type TraceResult } from "../questions/trace.js";
import { addDemoSection, shell, type DemoContext } from "./demo.js";

/** Steps worth a line in the demo (the full trace has every rule it walked). */
const SHOWN = new Set([
  "ORIGINATED",
  "ROUTED",
  "ARP",
  "BRIDGED",
  "VETH",
  "ENCAPSULATED",
  "DECAPSULATED",
  "NAT",
  "POLICY",
  "DELIVERED",
  "REFUSED",
  "DROPPED",
]);

export function condensedPath(p: TracePath, indent = "  "): string {
  const out: string[] = [];
  for (const h of p.hops) {
    out.push(`${indent}${h.ns}`);
    for (const s of h.steps) {
      if (!SHOWN.has(s.action) && !s.decided) continue;
      const obj =
        s.object && (s.action === "ROUTED" || s.action === "ENCAPSULATED" || s.action === "NAT")
          ? `   [${s.object.text}]`
          : "";
      out.push(`${indent}${s.decided ? "✗ " : "  "}${s.action.padEnd(12)} ${s.detail}${obj}`);
    }
  }
  const d = p.disposition;
  out.push(`${indent}=> ${d.verdict}${d.reason ? ` (${d.reason})` : ""}: ${d.detail}`);
  return out.join("\n") + "\n";
}

function condensed(r: TraceResult): string {
  let text = "";
  if (r.dns?.hosts) text += `  DNS: ${r.flow.host} → ${r.dns.answer} from /etc/hosts\n`;
  else if (r.dns) {
    text += `  DNS: ${r.dns.walk.map((q) => `${q.name} → ${q.rcode}${q.answers.length ? " " + q.answers.join(",") : ""}`).join("; ")}\n`;
  }
  if (r.paths.length === 1) return text + condensedPath(r.paths[0]);
  text += `  ${r.paths.length} paths, one per endpoint kube-proxy may pick:\n`;
  r.paths.forEach(
    (p) => (text += `   - p=${p.probability.toFixed(4)} ${p.choices.join("; ")} → ${p.disposition.verdict}\n`),
  );
  return text + `  the first of them:\n` + condensedPath(r.paths[0], "    ");
}

function running(state: ClusterState): PodState[] {
  return state.pods.filter((p) => p.podIP && p.phase === "Running" && !p.spec.hostNetwork && p.namespace === "default");
}

function trace(_ctx: DemoContext, state: ClusterState, from: string, to: string, port?: number): TraceResult {
  return modelSession(state).trace({ from, to, port }, { noDnsPath: true });
}

const pair = (state: ClusterState, sameNode: boolean): [PodState, PodState] | undefined => {
  const pods = running(state);
  for (const a of pods)
    for (const b of pods)
      if (a !== b && (a.nodeName === b.nodeName) === sameNode && b.spec.containers.some((c) => c.ports?.length))
        return [a, b];
  return undefined;
};
const portOf = (p: PodState) => p.spec.containers.find((c) => c.ports?.length)!.ports![0].containerPort;

addDemoSection(
  {
    id: "trace-same-node",
    title: "A packet between two pods on one node",
    run(ctx) {
      const pr = pair(ctx.state, true);
      if (!pr) return "(no two pods share a node)\n";
      const [a, b] = pr;
      return (
        `Both pods sit on ${a.nodeName}. The packet leaves ${a.name}'s eth0, crosses its veth pair into the node, and\n` +
        `the cni0 bridge switches it (by MAC, from its FDB) to ${b.name}'s veth: no routing between nodes at all.\n\n` +
        shell(
          `podnet trace ${a.namespace}/${a.name} ${b.namespace}/${b.name} -p ${portOf(b)}`,
          condensed(trace(ctx, ctx.state, `${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`, portOf(b))),
        )
      );
    },
  },
  "delete-pod",
);

addDemoSection(
  {
    id: "trace-vxlan",
    title: "Across nodes: the VXLAN overlay (flannel), then host-gw",
    run(ctx) {
      const pr = pair(ctx.state, false);
      if (!pr) return "(no two pods on different nodes)\n";
      const [a, b] = pr;
      const from = `${a.namespace}/${a.name}`;
      const to = `${b.namespace}/${b.name}`;
      let text =
        `${a.name} is on ${a.nodeName}, ${b.name} on ${b.nodeName}. The node's route for ${b.nodeName}'s pod range points at\n` +
        `flannel.1; the kernel wraps the pod's packet in UDP (port 8472, VNI 1) between the two node addresses,\n` +
        `and ${b.nodeName} unwraps it and bridges it to the pod. The pod's MTU is 1450: VXLAN costs 50 bytes.\n\n`;
      text += shell(
        `podnet trace ${from} ${to} -p ${portOf(b)}`,
        condensed(trace(ctx, ctx.state, from, to, portOf(b))),
      );
      const hostgw: ClusterState = {
        ...ctx.state,
        config: { ...ctx.state.config, networking: { ...ctx.state.config.networking, backend: "host-gw" } },
      };
      text +=
        `\nThe same cluster with networking.backend: host-gw: no tunnel, the node routes the pod range straight to the\n` +
        `other node's address (the nodes must share a layer-2 segment), and pods keep the full 1500-byte MTU.\n\n`;
      text += shell(
        `podnet trace ${from} ${to} -p ${portOf(b)}   # backend: host-gw`,
        condensed(trace(ctx, hostgw, from, to, portOf(b))),
      );
      return text;
    },
  },
  "trace-same-node",
);

addDemoSection(
  {
    id: "trace-service",
    title: "order-app calls http://user-service",
    run(ctx) {
      const a = running(ctx.state).find((p) => p.name.startsWith("order-app-"));
      if (!a) return "(no order-app pod)\n";
      const from = `${a.namespace}/${a.name}`;
      return (
        `First DNS: the search list turns user-service into user-service.default.svc.cluster.local, answered with\n` +
        `the cluster IP. Then kube-proxy's rules on ${a.nodeName} (KUBE-SERVICES → KUBE-SVC-… → KUBE-SEP-…) pick an\n` +
        `endpoint at random and DNAT the packet to it; conntrack remembers, so replies are translated back.\n\n` +
        shell(`podnet trace ${from} http://user-service`, condensed(trace(ctx, ctx.state, from, "http://user-service")))
      );
    },
  },
  "trace-vxlan",
);

addDemoSection(
  {
    id: "trace-nodeport",
    title: "From outside: a NodePort",
    run(ctx) {
      const svc = ctx.state.services.find((s) => s.type === "NodePort" && s.ports.some((p) => p.nodePort));
      const node = ctx.state.nodes.find((n) => n.role === "worker") ?? ctx.state.nodes[0];
      if (!svc || !node) return "(no NodePort Service)\n";
      const np = svc.ports.find((p) => p.nodePort)!.nodePort!;
      return (
        `${svc.namespace}/${svc.name} opens port ${np} on every node. A client outside the cluster connects to\n` +
        `${node.name}'s address; KUBE-NODEPORTS marks the packet for masquerade and DNATs it to an endpoint, which\n` +
        `may live on another node, so the source is rewritten to the node's address (the reply must come back this way).\n\n` +
        shell(
          `podnet trace external ${node.address}:${np}`,
          condensed(trace(ctx, ctx.state, "external", `${node.address}:${np}`)),
        )
      );
    },
  },
  "trace-service",
);
