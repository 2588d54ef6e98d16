// hostPort: the CNI `portmap` plugin (containernetworking/plugins plugins/meta/portmap,
// v1.1.1 as Debian 12 ships it: iptables only), chained after the flavor's plugin in both
// flannel's and Calico's conflists with "capabilities": {"portMappings": true}. kubelet
// passes every container port to the runtime; containerd keeps those with a hostPort > 0
// as runtimeConfig.portMappings (protocol lower-cased). hostNetwork pods get no CNI call.
// What the plugin writes in the nat table, per pod (portmap.go, chain.go, utils.go):
//   PREROUTING, OUTPUT:  -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT   (appended)
//   CNI-HOSTPORT-DNAT:   -p tcp -m comment --comment "dnat name: \"NET\" id: \"CID\""
//                        -m multiport --dports 80,443 -j CNI-DN-<hash>       (<= 15 ports a rule)
//   CNI-DN-<hash>:       per mapping: hairpin (-s the pod's network) and localhost
//                        (-s 127.0.0.1) -j CNI-HOSTPORT-SETMARK, then -j DNAT to pod:port
//   CNI-HOSTPORT-SETMARK: -j MARK --set-xmark 0x2000/0x2000 (markMasqBit 13)
//   POSTROUTING:         -m comment --comment "CNI portfwd requiring masquerade"
//                        -j CNI-HOSTPORT-MASQ (prepended: before kube-proxy's and the CNI's)
//   CNI-HOSTPORT-MASQ:   -m mark --mark 0x2000/0x2000 -j MASQUERADE
// and route_localnet=1 on the host interface that routes to the pod (getRoutableHostIF).
// Rules are written in iptables-save's order (-p first, `--destination-ports` printed as
// `--dports`, `-p tcp --dport` with its implicit `-m tcp`), as `podnet rules` prints them.

import { createHash } from "node:crypto";
import type { PodState } from "../control/state.js";
import type { IptChain, IptLayer, IptRule } from "../ir/types.js";
import { iptRule } from "./ipt.js";

export const HOSTPORT_DNAT = "CNI-HOSTPORT-DNAT";
export const HOSTPORT_SETMARK = "CNI-HOSTPORT-SETMARK";
export const HOSTPORT_MASQ = "CNI-HOSTPORT-MASQ";
/** 1 << markMasqBit (13, the plugin's default). */
const MARK = "0x2000/0x2000";

/** One runtimeConfig.portMappings entry (containerd toCNIPortMappings). */
export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: "tcp" | "udp" | "sctp";
  hostIP?: string;
}

/** A pod as the plugin sees it: its sandbox ID, its address with its prefix, its mappings. */
export interface PortmapPod {
  containerID: string;
  /** The container's address with the prefix its IPAM gave ("10.244.1.5/24", Calico "/32"). */
  containerNet: string;
  mappings: PortMapping[];
}

/** The conflist's network name (the `name` portmap hashes): kube-flannel.yml's "cbr0", Calico's "k8s-pod-network". */
export function cniNetworkName(cni: string): string {
  return cni === "flannel" ? "cbr0" : cni === "calico" ? "k8s-pod-network" : `podnet-${cni}`;
}

/** The mappings containerd passes for a pod: every container port with a hostPort > 0. */
export function portMappingsOf(pod: PodState): PortMapping[] {
  if (pod.spec.hostNetwork) return [];
  const out: PortMapping[] = [];
  for (const c of pod.spec.containers ?? [])
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      const m: PortMapping = {
        hostPort: p.hostPort,
        containerPort: p.containerPort,
        protocol: (p.protocol ?? "TCP").toLowerCase() as PortMapping["protocol"],
      };
      // hostIP: read as given (the manifest types leave it out: only portmap uses it).
      const hostIP = (p as { hostIP?: unknown }).hostIP;
      if (typeof hostIP === "string" && hostIP !== "" && hostIP !== "0.0.0.0") m.hostIP = hostIP;
      out.push(m);
    }
  return out;
}

/** utils.MustFormatChainNameWithPrefix: "CNI-" + prefix + hex(sha512(name + id)), cut to 28. */
export function dnatChainName(network: string, containerID: string): string {
  return `CNI-DN-${createHash("sha512")
    .update(network + containerID)
    .digest("hex")}`.slice(0, 28);
}

/** net.IPNet's network ("10.244.1.5/24" → "10.244.1.0/24"): iptables stores -s masked. */
function networkOf(cidr: string): string {
  const [ip, len] = cidr.split("/");
  const n = Number(len);
  const a = ip.split(".").reduce((x, o) => x * 256 + Number(o), 0);
  const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  const m = (a & mask) >>> 0;
  return `${[m >>> 24, (m >>> 16) & 255, (m >>> 8) & 255, m & 255].join(".")}/${n}`;
}

/**
 * The plugin's nat rules for the pods of one node, in sandbox order: `head` holds the
 * prepended POSTROUTING rule (merged before kube-proxy's layers), `tail` the rest (after
 * them: its PREROUTING/OUTPUT jumps are appended). Null when no pod maps a port.
 */
export function portmapLayers(network: string, pods: PortmapPod[]): { head: IptLayer; tail: IptLayer } | null {
  const withPorts = pods.filter((p) => p.mappings.length > 0);
  if (withPorts.length === 0) return null;
  const chain = (name: string, rules: IptRule[]): IptChain => ({ name, rules });
  const entry = iptRule("-m", "addrtype", "--dst-type", "LOCAL", "-j", HOSTPORT_DNAT);
  const nat: Record<string, IptChain> = {
    PREROUTING: chain("PREROUTING", [entry]),
    OUTPUT: chain("OUTPUT", [entry]),
    [HOSTPORT_DNAT]: chain(HOSTPORT_DNAT, []),
    [HOSTPORT_SETMARK]: chain(HOSTPORT_SETMARK, [
      iptRule("-m", "comment", "--comment", "CNI portfwd masquerade mark", "-j", "MARK", "--set-xmark", MARK),
    ]),
    [HOSTPORT_MASQ]: chain(HOSTPORT_MASQ, [iptRule("-m", "mark", "--mark", MARK, "-j", "MASQUERADE")]),
  };
  for (const p of withPorts) {
    const dn = dnatChainName(network, p.containerID);
    // trimComment: at most 255 characters.
    const comment = `dnat name: "${network}" id: "${p.containerID}"`.slice(0, 255);
    const byProto = new Map<string, number[]>();
    for (const m of p.mappings) {
      const l = byProto.get(m.protocol);
      if (l) l.push(m.hostPort);
      else byProto.set(m.protocol, [m.hostPort]);
    }
    for (const proto of [...byProto.keys()].sort())
      for (let i = 0, ports = byProto.get(proto)!; i < ports.length; i += 15)
        nat[HOSTPORT_DNAT].rules.push(
          iptRule(
            "-p",
            proto,
            "-m",
            "comment",
            "--comment",
            comment,
            "-m",
            "multiport",
            "--dports",
            ports.slice(i, i + 15).join(","),
            "-j",
            dn,
          ),
        );
    const [podIP] = p.containerNet.split("/");
    const rules: IptRule[] = [];
    for (const m of p.mappings) {
      const base = ["-p", m.protocol, "-m", m.protocol, "--dport", String(m.hostPort)];
      const dst = m.hostIP ? ["-d", `${m.hostIP}/32`] : [];
      // iptables-save prints -s/-d before the matches.
      const at = (src: string[]) => [...src, ...dst, ...base];
      rules.push(iptRule(...at(["-s", networkOf(p.containerNet)]), "-j", HOSTPORT_SETMARK));
      rules.push(iptRule(...at(["-s", "127.0.0.1/32"]), "-j", HOSTPORT_SETMARK));
      rules.push(iptRule(...at([]), "-j", "DNAT", "--to-destination", `${podIP}:${m.containerPort}`));
    }
    nat[dn] = chain(dn, rules);
  }
  const head: IptLayer = {
    owner: "portmap",
    role: "cni",
    tables: {
      nat: {
        POSTROUTING: chain("POSTROUTING", [
          iptRule("-m", "comment", "--comment", "CNI portfwd requiring masquerade", "-j", HOSTPORT_MASQ),
        ]),
      },
    },
  };
  return { head, tail: { owner: "portmap", role: "cni", tables: { nat } } };
}
