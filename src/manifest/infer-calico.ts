// Calico's pool settings in a live-cluster dump: the pool's CIDR, block size and
// encapsulation, wherever the install left them. First match wins:
//   1. the IPPool itself (crd.projectcalico.org/v1, or projectcalico.org/v3 from the Calico
//      API server): what Calico IPAM hands out (https://docs.tigera.io/calico/latest/reference/resources/ippool);
//   2. the Tigera operator's Installation `default` (operator.tigera.io/v1), spec.calicoNetwork.ipPools:
//      the pools the operator creates, `encapsulation` IPIP | IPIPCrossSubnet | VXLAN |
//      VXLANCrossSubnet | None (https://docs.tigera.io/calico/latest/reference/installation/api);
//   3. the calico-node container's CALICO_IPV4POOL_* variables, which create the default pool
//      at start on a manifest install (calico.yaml: CALICO_IPV4POOL_IPIP "Always",
//      CALICO_IPV4POOL_VXLAN "Never"; https://docs.tigera.io/calico/latest/reference/configure-calico-node);
//   4. the Nodes' tunnel address annotations calico-node writes when the pool encapsulates
//      (projectcalico.org/IPv4VXLANTunnelAddr, projectcalico.org/IPv4IPIPTunnelAddr).
// CrossSubnet (IPPool Always | CrossSubnet | Never; the operator's *CrossSubnet) encapsulates only
// between nodes in different subnets (https://docs.tigera.io/calico/latest/networking/configuring/vxlan-ipip):
// it sets networking.calicoCrossSubnet, which the Calico flavor applies per pair of nodes.
import { parseCidr4 } from "../net/ipv4.js";
import type { KubeObject } from "./types.js";

/** A setting's value and where it was read. */
export interface Found {
  value: string;
  from: string;
  o?: KubeObject;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]).filter(isObj) : []);
const v4Cidr = (s: string | undefined) => (s && parseCidr4(s) ? s : undefined);
const label = (o: KubeObject) =>
  `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;
const found = (value: string, o: KubeObject, field: string): Found => ({ value, from: `${label(o)} ${field}`, o });

/** One pool as some object describes it. */
export interface PoolFacts {
  cidr?: Found;
  blockSize?: Found;
  /** bgp | ipip | vxlan, and whether only across subnets. */
  encap?: Found & { crossSubnet: boolean };
}

/** The Calico pool settings found; a note when the dump does not say whether the pool is CrossSubnet. */
export interface CalicoPool extends PoolFacts {
  note?: string;
}

function fromIPPool(pools: KubeObject[]): PoolFacts | undefined {
  const pool = pools.find((o) => isObj(o.spec) && o.spec.disabled !== true && v4Cidr(str(o.spec.cidr)));
  if (!pool) return undefined;
  const on = (m: unknown) => m === "Always" || m === "CrossSubnet";
  const { vxlanMode, ipipMode } = pool.spec;
  const encap = on(vxlanMode)
    ? { ...found("vxlan", pool, `spec.vxlanMode: ${vxlanMode}`), crossSubnet: vxlanMode === "CrossSubnet" }
    : on(ipipMode)
      ? { ...found("ipip", pool, `spec.ipipMode: ${ipipMode}`), crossSubnet: ipipMode === "CrossSubnet" }
      : { ...found("bgp", pool, "spec.ipipMode/vxlanMode: Never"), crossSubnet: false };
  const bs = pool.spec.blockSize;
  return {
    cidr: found(pool.spec.cidr, pool, "spec.cidr"),
    blockSize: bs !== undefined ? found(String(bs), pool, "spec.blockSize") : undefined,
    encap,
  };
}

const INSTALLATION_ENCAP: Record<string, [string, boolean]> = {
  IPIP: ["ipip", false],
  IPIPCrossSubnet: ["ipip", true],
  VXLAN: ["vxlan", false],
  VXLANCrossSubnet: ["vxlan", true],
  None: ["bgp", false],
};

function fromInstallation(installations: KubeObject[]): PoolFacts | undefined {
  const inst = installations.find((o) => o.metadata.name === "default") ?? installations[0];
  const net = inst && isObj(inst.spec?.calicoNetwork) ? inst.spec.calicoNetwork : undefined;
  if (!inst || !net) return undefined;
  const pools = list(net.ipPools);
  const i = pools.findIndex((p) => v4Cidr(str(p.cidr)));
  if (i < 0) return undefined;
  const p = pools[i];
  const at = `spec.calicoNetwork.ipPools[${i}]`;
  const e = str(p.encapsulation);
  // The operator's default: IPIP with BGP, VXLAN without it (the API reference, IPPool.encapsulation).
  const dflt = net.bgp === "Disabled" ? "VXLAN" : "IPIP";
  const enc = e !== undefined && Object.hasOwn(INSTALLATION_ENCAP, e) ? e : e === undefined ? dflt : undefined;
  return {
    cidr: found(p.cidr as string, inst, `${at}.cidr`),
    blockSize: p.blockSize !== undefined ? found(String(p.blockSize), inst, `${at}.blockSize`) : undefined,
    encap: enc
      ? {
          ...found(
            INSTALLATION_ENCAP[enc][0],
            inst,
            e ? `${at}.encapsulation: ${e}` : `${at}.encapsulation (unset: the operator's default, ${dflt})`,
          ),
          crossSubnet: INSTALLATION_ENCAP[enc][1],
        }
      : undefined,
  };
}

function fromAgentEnv(agent: KubeObject | undefined): PoolFacts | undefined {
  if (!agent) return undefined;
  const spec = agent.kind === "Pod" ? agent.spec : agent.spec?.template?.spec;
  const c = list(spec?.containers).find((x) => x.name === "calico-node") ?? list(spec?.containers)[0];
  const env = new Map<string, string>();
  for (const e of list(c?.env)) if (typeof e.name === "string" && typeof e.value === "string") env.set(e.name, e.value);
  const var_ = (name: string) => env.get(name);
  const out: PoolFacts = {};
  const cidr = v4Cidr(var_("CALICO_IPV4POOL_CIDR"));
  if (cidr) out.cidr = found(cidr, agent, "env CALICO_IPV4POOL_CIDR");
  const bs = var_("CALICO_IPV4POOL_BLOCK_SIZE");
  if (bs) out.blockSize = found(bs, agent, "env CALICO_IPV4POOL_BLOCK_SIZE");
  const vx = var_("CALICO_IPV4POOL_VXLAN");
  const ip = var_("CALICO_IPV4POOL_IPIP");
  const on = (m: string | undefined) => m === "Always" || m === "CrossSubnet";
  if (on(vx))
    out.encap = { ...found("vxlan", agent, `env CALICO_IPV4POOL_VXLAN: ${vx}`), crossSubnet: vx === "CrossSubnet" };
  else if (on(ip))
    out.encap = { ...found("ipip", agent, `env CALICO_IPV4POOL_IPIP: ${ip}`), crossSubnet: ip === "CrossSubnet" };
  else if (vx !== undefined || ip !== undefined)
    out.encap = { ...found("bgp", agent, "env CALICO_IPV4POOL_IPIP/VXLAN: Never"), crossSubnet: false };
  return out;
}

function fromTunnelAnnotations(nodes: KubeObject[]): PoolFacts | undefined {
  for (const [key, value] of [
    ["projectcalico.org/IPv4VXLANTunnelAddr", "vxlan"],
    ["projectcalico.org/IPv4IPIPTunnelAddr", "ipip"],
  ]) {
    const n = nodes.find((o) => str(o.metadata.annotations?.[key]));
    // Always or CrossSubnet alike: calico-node gives a tunnel address in both.
    if (n) return { encap: { ...found(value, n, `annotation ${key}`), crossSubnet: false } };
  }
  return undefined;
}

/** Calico's pool settings: CIDR, block size and encapsulation, each from the first object that shows it. */
export function calicoPool(of: (kind: string) => KubeObject[], agent: KubeObject | undefined): CalicoPool {
  const sources = [fromIPPool(of("IPPool")), fromInstallation(of("Installation")), fromAgentEnv(agent)];
  const first = <K extends keyof PoolFacts>(k: K) => sources.find((s) => s?.[k] !== undefined)?.[k];
  const out: CalicoPool = { cidr: first("cidr"), blockSize: first("blockSize"), encap: first("encap") };
  if (!out.encap) {
    out.encap = fromTunnelAnnotations(of("Node"))?.encap;
    if (out.encap)
      out.note =
        `the Nodes' tunnel addresses show ${out.encap.value === "vxlan" ? "VXLAN" : "IPIP"} but not whether the pool ` +
        "encapsulates always or only across subnets (CrossSubnet): podnet encapsulates between every pair of nodes " +
        "(add ippools.crd.projectcalico.org, or installations.operator.tigera.io, to the kubectl get)";
  }
  return out;
}
