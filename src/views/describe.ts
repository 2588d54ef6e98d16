// `kubectl describe pod|service|node` layouts (k8s.io/kubectl/pkg/describe): lines
// written with '\t' cells through the describe tabwriter (minwidth 0, padding 2), the
// same LEVEL_n indents (two spaces per level), and the Events table.

import type { ClusterState, KEvent, NodeState, PodState, ServiceState } from "../control/state.js";
import type { Labels, Toleration } from "../manifest/types.js";
import { age, formatLabels, nodeInfo, parseEventObject, rfc1123z, type NodeInfo, type ViewOptions } from "./common.js";
import { humanDuration } from "./duration.js";
import { configErrorState, describeEnv } from "./env.js";
import { nodeRoles } from "./get.js";
import { describeTabs } from "./tabwriter.js";

const L1 = "  ";
const L2 = "    ";
const L3 = "      ";

/** printLabelsMultiline: "Title:\tk=v", continuation lines "\tk2=v2", "<none>" when empty. */
function labelsMultiline(title: string, labels: Labels | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return `${title}:\t<none>\n`;
  return keys.map((k, i) => `${i === 0 ? `${title}:` : ""}\t${k}=${labels![k]}\n`).join("");
}

function eventsFor(state: ClusterState, kind: string, namespace: string, name: string): KEvent[] {
  return state.events
    .filter((e) => {
      const o = parseEventObject(e.object);
      return o.kind.toLowerCase() === kind && o.name === name && (kind === "node" || o.namespace === namespace);
    })
    .sort((a, b) => a.time - b.time);
}

/** DescribeEvents: "Events:\t<none>" or the Type/Reason/Age/From/Message table. The
 *  table is written after a Flush, so it is aligned on its own. */
export function describeEvents(state: ClusterState, events: KEvent[]): { main: string; table: string } {
  if (events.length === 0) return { main: "Events:\t<none>\n", table: "" };
  let t = `Events:\n${L1}Type\tReason\tAge\tFrom\tMessage\n${L1}----\t------\t----\t----\t-------\n`;
  for (const e of events)
    t += `${L1}${e.type}\t${e.reason}\t${humanDuration(state.clock - e.time)}\t${e.source ?? ""}\t${e.message.trim()}\n`;
  return { main: "", table: t };
}

function finish(state: ClusterState, body: string, events: KEvent[]): string {
  const ev = describeEvents(state, events);
  return describeTabs(body + ev.main) + (ev.table ? describeTabs(ev.table) : "");
}

// DefaultTolerationSeconds admission adds these to every pod.
const DEFAULT_TOLERATIONS: (Toleration & { tolerationSeconds?: number })[] = [
  { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
  { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
];

function formatToleration(t: Toleration & { tolerationSeconds?: number }): string {
  let s = t.key ?? "";
  if (t.value) s += `=${t.value}`;
  if (t.effect) s += `:${t.effect}`;
  if (t.operator === "Exists" && !t.value) s += t.key || t.effect ? " op=Exists" : "op=Exists";
  if (t.tolerationSeconds !== undefined) s += ` for ${t.tolerationSeconds}s`;
  return s;
}

/** describeContainerPorts: "8080/TCP", several joined by ", " (named ports add "(name)"). */
function containerPorts(
  ports: { containerPort: number; protocol?: string; name?: string; hostPort?: number }[] | undefined,
): {
  ports: string;
  hostPorts: string;
} {
  const ps = ports ?? [];
  return {
    ports: ps.map((p) => `${p.containerPort}/${p.protocol ?? "TCP"}${p.name ? ` (${p.name})` : ""}`).join(", "),
    hostPorts: ps.map((p) => `${p.hostPort ?? 0}/${p.protocol ?? "TCP"}`).join(", "),
  };
}

export function describePod(state: ClusterState, p: PodState, opts: ViewOptions = {}): string {
  let b = "";
  b += `Name:\t${p.name}\n`;
  b += `Namespace:\t${p.namespace}\n`;
  b += `Priority:\t0\n`;
  b += `Service Account:\tdefault\n`;
  b += p.nodeName ? `Node:\t${p.nodeName}/${p.hostIP ?? ""}\n` : `Node:\t<none>\n`;
  if (p.nodeName) b += `Start Time:\t${rfc1123z(opts, p.created)}\n`;
  b += labelsMultiline("Labels", p.labels);
  b += labelsMultiline("Annotations", p.annotations);
  b += p.terminating
    ? `Status:\tTerminating (lasts ${age(state, p.created)})\nTermination Grace Period:\t30s\n`
    : `Status:\t${p.phase}\n`;
  b += `IP:\t${p.podIP ?? ""}\n`;
  if (p.podIP) b += `IPs:\n${L1}IP:\t${p.podIP}\n`;
  else b += `IPs:\t<none>\n`;
  if (p.owner) b += `Controlled By:\t${p.owner.kind}/${p.owner.name}\n`;
  b += `Containers:\n`;
  const running = p.phase === "Running";
  for (const c of p.spec.containers) {
    b += `${L1}${c.name ?? "<unnamed>"}:\n`;
    if (p.nodeName) b += `${L2}Container ID:\t${running ? `containerd://${p.containerID}` : ""}\n`;
    b += `${L2}Image:\t${c.image ?? ""}\n`;
    if (p.nodeName) b += `${L2}Image ID:\t\n`;
    const cp = containerPorts(c.ports);
    b += cp.ports.includes(",") ? `${L2}Ports:\t${cp.ports}\n` : `${L2}Port:\t${cp.ports || "<none>"}\n`;
    b += cp.hostPorts.includes(",")
      ? `${L2}Host Ports:\t${cp.hostPorts}\n`
      : `${L2}Host Port:\t${cp.hostPorts || "<none>"}\n`;
    if (c.command?.length) b += `${L2}Command:\n` + c.command.map((x) => `${L3}${x}\n`).join("");
    if (c.args?.length) b += `${L2}Args:\n` + c.args.map((x) => `${L3}${x}\n`).join("");
    if (p.nodeName) {
      const st = configErrorState(p, c.name, "");
      const waiting = st && "waiting" in st ? st.waiting : undefined;
      b +=
        running || (st && !waiting)
          ? `${L2}State:\tRunning\n${L3}Started:\t${rfc1123z(opts, p.created)}\n`
          : `${L2}State:\tWaiting\n${L3}Reason:\t${waiting?.reason ?? "ContainerCreating"}\n`;
      b += `${L2}Ready:\t${p.ready && running ? "True" : "False"}\n`;
      b += `${L2}Restart Count:\t0\n`;
    }
    b += describeEnv(p, c, L2, L3);
    b += `${L2}Mounts:\t<none>\n`;
  }
  b += `Conditions:\n${L1}Type\tStatus\n`;
  const conds: [string, boolean][] = p.nodeName
    ? [
        ["PodReadyToStartContainers", running],
        ["Initialized", true],
        ["Ready", p.ready && running],
        ["ContainersReady", p.ready && running],
        ["PodScheduled", true],
      ]
    : [["PodScheduled", false]];
  for (const [t, ok] of conds) b += `${L1}${t} \t${ok ? "True" : "False"} \n`;
  b += `Volumes:\t<none>\n`;
  b += `QoS Class:\tBestEffort\n`;
  b += labelsMultiline("Node-Selectors", p.spec.nodeSelector);
  const tols = [...(p.spec.tolerations ?? []), ...DEFAULT_TOLERATIONS];
  b += tols.map((t, i) => `${i === 0 ? "Tolerations:" : ""}\t${formatToleration(t)}\n`).join("");
  return finish(state, b, eventsFor(state, "pod", p.namespace, p.name));
}

/** kubectl's formatEndpointSlices for one service port: ready endpoints, at most 3. */
function serviceEndpoints(state: ClusterState, s: ServiceState, portName: string | undefined): string {
  const slices = state.endpointSlices.filter((x) => x.namespace === s.namespace && x.serviceName === s.name);
  if (slices.length === 0) return "<none>";
  const list: string[] = [];
  let more = false;
  let count = 0;
  const add = (v: string) => {
    count++;
    if (list.length < 3) list.push(v);
    else more = true;
  };
  for (const sl of slices) {
    const ready = sl.endpoints.filter((e) => e.conditions.ready !== false);
    if (sl.ports.length === 0) ready.forEach((e) => add(e.addresses[0]));
    else
      for (const port of sl.ports)
        if ((port.name ?? "") === (portName ?? ""))
          ready.forEach((e) =>
            add(`${e.addresses[0].includes(":") ? `[${e.addresses[0]}]` : e.addresses[0]}:${port.port}`),
          );
  }
  if (list.length === 0) return "<none>";
  return more ? `${list.join(",")} + ${count - 3} more...` : list.join(",");
}

export function describeService(state: ClusterState, s: ServiceState, _opts: ViewOptions = {}): string {
  let b = "";
  b += `Name:\t${s.name}\n`;
  b += `Namespace:\t${s.namespace}\n`;
  b += labelsMultiline("Labels", s.labels);
  b += `Annotations:\t<none>\n`;
  b += `Selector:\t${s.selector && Object.keys(s.selector).length ? formatLabels(s.selector) : ""}\n`;
  b += `Type:\t${s.type}\n`;
  if (s.type !== "ExternalName") {
    b += `IP Family Policy:\tSingleStack\n`;
    b += `IP Families:\tIPv4\n`;
  } else b += `IP Families:\t<none>\n`;
  b += `IP:\t${s.type === "ExternalName" ? "" : (s.clusterIP ?? "")}\n`;
  b += `IPs:\t${s.type !== "ExternalName" && s.clusterIP ? s.clusterIP : "<none>"}\n`;
  if (s.externalIPs.length) b += `External IPs:\t${s.externalIPs.join(",")}\n`;
  if (s.externalName) b += `External Name:\t${s.externalName}\n`;
  if (s.loadBalancerIPs.length)
    b += `LoadBalancer Ingress:\t${s.loadBalancerIPs.map((ip) => `${ip} (VIP)`).join(", ")}\n`;
  for (const p of s.ports) {
    const name = p.name || "<unset>";
    b += `Port:\t${name}\t${p.port}/${p.protocol}\n`;
    b += `TargetPort:\t${p.targetPort}/${p.protocol}\n`;
    if (p.nodePort) b += `NodePort:\t${name}\t${p.nodePort}/${p.protocol}\n`;
    b += `Endpoints:\t${serviceEndpoints(state, s, p.name)}\n`;
  }
  b += `Session Affinity:\t${s.sessionAffinity}\n`;
  if (s.type === "NodePort" || s.type === "LoadBalancer") b += `External Traffic Policy:\t${s.externalTrafficPolicy}\n`;
  if (s.type !== "ExternalName") b += `Internal Traffic Policy:\t${s.internalTrafficPolicy}\n`;
  if (s.healthCheckNodePort) b += `HealthCheck NodePort:\t${s.healthCheckNodePort}\n`;
  if (s.loadBalancerSourceRanges.length) b += `LoadBalancer Source Ranges:\t${s.loadBalancerSourceRanges.join(",")}\n`;
  return finish(state, b, eventsFor(state, "service", s.namespace, s.name));
}

const NO_NODE_INFO: NodeInfo = {
  kubeletVersion: "",
  osImage: "",
  kernelVersion: "",
  containerRuntimeVersion: "",
  architecture: "",
  operatingSystem: "",
};

export function describeNode(state: ClusterState, n: NodeState, opts: ViewOptions = {}): string {
  // A node read from a live cluster reports its own system info (empty where it said nothing).
  const info: NodeInfo = n.observed ? { ...NO_NODE_INFO, ...n.observed.nodeInfo } : nodeInfo(opts);
  let b = "";
  b += `Name:\t${n.name}\n`;
  b += `Roles:\t${nodeRoles(n.labels)}\n`;
  b += labelsMultiline("Labels", n.labels);
  b += `Annotations:\t<none>\n`;
  b += `CreationTimestamp:\t${rfc1123z(opts, 0)}\n`;
  b += n.taints.length
    ? n.taints
        .map((t, i) => `${i === 0 ? "Taints:" : ""}\t${t.key}${t.value ? `=${t.value}` : ""}:${t.effect}\n`)
        .join("")
    : `Taints:\t<none>\n`;
  b += `Unschedulable:\tfalse\n`;
  const addresses = n.observed?.addresses ?? [
    { type: "InternalIP", address: n.address },
    { type: "Hostname", address: n.name },
  ];
  b += `Addresses:\n${addresses.map((a) => `${L1}${a.type}:\t${a.address}\n`).join("")}`;
  b += `Capacity:\n${L1}pods:\t${n.maxPods}\n`;
  b += `Allocatable:\n${L1}pods:\t${n.maxPods}\n`;
  b += `System Info:\n`;
  b += `${L1}Kernel Version:\t${info.kernelVersion}\n`;
  b += `${L1}OS Image:\t${info.osImage}\n`;
  b += `${L1}Operating System:\t${info.operatingSystem}\n`;
  b += `${L1}Architecture:\t${info.architecture}\n`;
  b += `${L1}Container Runtime Version:\t${info.containerRuntimeVersion}\n`;
  b += `${L1}Kubelet Version:\t${info.kubeletVersion}\n`;
  b += `PodCIDR:\t${n.podCIDR}\n`;
  b += `PodCIDRs:\t${n.podCIDR}\n`;
  const pods = state.pods.filter((p) => p.nodeName === n.name && !p.terminating);
  b += `Non-terminated Pods:\t(${pods.length} in total)\n`;
  b += `${L1}Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n`;
  b += `${L1}---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n`;
  for (const p of pods)
    b += `${L1}${p.namespace}\t${p.name}\t\t0 (0%)\t0 (0%)\t0 (0%)\t0 (0%)\t${age(state, p.created)}\n`;
  return finish(state, b, eventsFor(state, "node", "", n.name));
}
