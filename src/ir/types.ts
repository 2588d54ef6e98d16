// The Dataplane IR: everything the kernel of every node and pod namespace holds, as
// plain data. The contract between plumbing/ + proxy/ (which produce it) and sim/ +
// linux/ (which consume it). Nothing downstream may know a fact that is not here.
//
// Scale: a 5,000-node cluster shares one kube-proxy ruleset of ~100k rules. A node's
// netfilter is therefore a list of *layers*: shared layers are the same object for
// every node; a node's own layers hold only what differs (flannel's masquerade,
// KUBE-SVL chains, policy chains).
// Merge rule (iptables and nftables alike): a chain (or set) exists when any layer
// declares it; its rules (elements) are the concatenation over the layers, in layer
// order; a built-in chain's policy comes from the first layer that gives one.

/** A network namespace as `ip` sees it. Node and pod namespaces share this shape. */
export interface NetNs {
  /** Stable name: "node/worker-1", "pod/default/user-app-…", "underlay". */
  id: string;
  links: Link[];
  addresses: Address[];
  routes: Route[]; // all tables; `table` says which
  neighbours: Neighbour[];
  fdb: FdbEntry[];
  sysctls: Record<string, string>; // "net.ipv4.ip_forward": "1", "net.ipv4.conf.cali…proxy_arp": "1"
  netfilter: Netfilter;
}

export type LinkKind = "loopback" | "veth" | "bridge" | "vxlan" | "geneve" | "ipip" | "dummy" | "ethernet";

export interface Link {
  name: string;
  kind: LinkKind;
  mtu: number;
  mac: string; // "aa:bb:cc:dd:ee:ff"
  up: boolean;
  /** Bridge port: the bridge this link is enslaved to. */
  master?: string;
  /** veth: the other end (namespace id + link name). */
  peer?: { ns: string; name: string };
  /** `external`: collect-metadata mode (Cilium): the VNI and remote come per packet from BPF, no local/dev. */
  vxlan?: {
    vni: number;
    port: number;
    local: string;
    dev: string;
    learning: boolean;
    gbp?: boolean;
    external?: boolean;
  };
  /** Geneve in collect-metadata mode (Cilium's cilium_geneve). */
  geneve?: { port: number; external: boolean };
  ipip?: { local?: string; remote?: string };
  bridge?: { hairpin?: boolean };
  /** Bridge port hairpin mode (the CNI bridge plugin's hairpinMode). */
  hairpin?: boolean;
  /** eBPF programs attached at tc (clsact) ingress / egress (Cilium). */
  tc?: TcHooks;
}

export interface Address {
  dev: string;
  cidr: string; // "10.244.1.1/24"
  scope?: "global" | "link" | "host";
  broadcast?: string;
}

export interface Route {
  table: "main" | "local" | number;
  type: "unicast" | "local" | "broadcast" | "blackhole" | "unreachable" | "prohibit";
  dst: string; // "default" or a CIDR ("10.244.2.0/24", "10.244.1.5/32" printed without /32)
  via?: string;
  dev?: string;
  onlink?: boolean;
  scope?: "global" | "link" | "host";
  /** A number for protocols without a name in rt_protos (Calico Felix: 80). */
  proto?: "kernel" | "boot" | "static" | "bird" | "dhcp" | number;
  src?: string;
  metric?: number;
  /** `mtu N` (a route metric: Cilium's RouteMTU, the underlay minus the tunnel overhead). */
  mtu?: number;
}

export interface Neighbour {
  dev: string;
  ip: string;
  lladdr: string;
  state: "PERMANENT" | "REACHABLE" | "NOARP";
}

export interface FdbEntry {
  dev: string;
  mac: string;
  /** VXLAN: the remote VTEP's underlay address. */
  dst?: string;
  /** Bridge FDB: the bridge the port belongs to. */
  master?: string;
  state: "permanent" | "static" | "dynamic";
  self?: boolean;
  vlan?: number;
}

// ---------------------------------------------------------------------------
// Netfilter

export interface Netfilter {
  /** Which backend the node's rules use. */
  mode: "iptables" | "nftables";
  /** iptables layers, merged as described at the top of this file. */
  iptables: IptLayer[];
  /** nftables layers: tables are identified by family+name and merged likewise. */
  nftables: NftLayer[];
}

// --- iptables: rules keep the CLI's own argument list, in order, so that they render
// exactly as kube-proxy writes them and parse back from iptables-save.

export type IptTableName = "raw" | "mangle" | "nat" | "filter" | "security";

export interface IptOpt {
  /** "-m", "-p", "-s", "-d", "-i", "-o", "--dport", "--comment", "--probability", "--to-destination" … */
  opt: string;
  args: string[];
  /** A `!` before the option. */
  neg?: boolean;
}

export interface IptRule {
  opts: IptOpt[];
  /** -j TARGET (or -g CHAIN with goto); absent for a rule with no target (counts only). */
  target?: string;
  targetOpts?: IptOpt[];
  goto?: boolean;
  /** Where the rule came from when parsed from a file (for error messages and traces). */
  line?: number;
  /** Set by the rule's producer on a DROP/REJECT that stands for a reason (see DropTag). */
  drop?: DropTag;
}

export interface IptChain {
  name: string;
  /** Built-in chains only: the policy. */
  policy?: "ACCEPT" | "DROP";
  rules: IptRule[];
}

export interface IptLayer {
  /** "kube-proxy", "flannel", "cni-bridge", "podnet-policy", "node" — for display. */
  owner: string;
  /** What the layer is for (see NfRole); absent when unknown (a parsed iptables-save dump). */
  role?: NfRole;
  tables: Partial<Record<IptTableName, Record<string, IptChain>>>;
}

// --- nftables: rules are libnftables JSON expressions (man libnftables-json), the
// same structure `nft -j list ruleset` prints, so that both the interpreter and the
// kernel backend read one documented format, and text rendering is mechanical.

export type NftFamily = "ip" | "ip6" | "inet" | "arp" | "bridge" | "netdev";

export interface NftChain {
  name: string;
  type?: "filter" | "nat" | "route";
  hook?: "prerouting" | "input" | "forward" | "output" | "postrouting" | "ingress";
  prio?: number;
  policy?: "accept" | "drop";
  rules: NftRule[];
  /** A NetworkPolicy table's per-pod chain (see PolicyChainTag). */
  isolates?: PolicyChainTag;
}

export interface NftRule {
  /** libnftables JSON statements, e.g. {match:{op:"==",left:{payload:{protocol:"ip",field:"daddr"}},right:"10.96.0.1"}} */
  expr: NftStmt[];
  comment?: string;
  /** Set by the rule's producer when its drop/reject verdict (its own or a vmap's) stands for a reason. */
  drop?: DropTag;
}

// The libnftables JSON objects podnet produces and reads (man libnftables-json, sections
// STATEMENTS and EXPRESSIONS: https://manpages.debian.org/testing/libnftables1/libnftables-json.5.en.html).
// Each object is told apart by its one key, as in the JSON; `OneKey` declares the other
// members' keys absent, so that readers test `e.payload` as they would the JSON itself.

type KeysOf<T> = T extends unknown ? keyof T : never;
/** A union of one-key objects in which every member may be read by every member's key (absent: undefined). */
export type OneKey<T> = T extends unknown ? T & { [K in Exclude<KeysOf<NftObjects>, keyof T>]?: undefined } : never;

/** A verdict statement; also the value of a verdict map element. */
export type NftVerdictObj =
  | { accept: null }
  | { drop: null }
  | { continue: null }
  | { return: null }
  | { jump: { target: string } }
  | { goto: { target: string } };

type NftBinop<K extends string> = { [P in K]: [NftExpr, NftExpr] };

/** An anonymous set's item: a value, or a map's [key, value] pair. */
export type NftSetItem = NftExpr | [NftExpr, NftExpr];

/** The compound expressions (objects). */
type NftExprObjects =
  | { payload: { protocol: string; field: string } }
  | { meta: { key: string } }
  | { ct: { key: string; dir?: string } }
  | { fib: { result: string; flags?: string[] } }
  | { numgen: { mode: "random" | "inc"; mod: number; offset?: number } }
  | { concat: NftExpr[] }
  | { prefix: { addr: string; len: number } }
  | { range: [NftExpr, NftExpr] }
  /** An anonymous set `{ a, b }` or map `{ k : v }` (a single value need not be a list). */
  | { set: NftSetItem[] | string | number }
  /** A set element with a comment. */
  | { elem: { val: NftExpr; comment?: string } }
  | NftBinop<"&">
  | NftBinop<"|">
  | NftBinop<"^">
  | NftBinop<"<<">
  | NftBinop<">>">
  | NftVerdictObj;

type NftStmtObjects =
  | NftVerdictObj
  | { match: { op: "==" | "!=" | "in" | "<" | ">" | "<=" | ">="; left: NftExpr; right: NftExpr } }
  | { vmap: { key: NftExpr; data: NftExpr } }
  | { map: { key: NftExpr; data: NftExpr } }
  | { mangle: { key: NftExpr; value: NftExpr } }
  | { masquerade: null | { flags?: string | string[] } }
  | { dnat: { addr: string; port?: number } }
  | { snat: { addr: string; port?: number } }
  | { reject: null | { type: string; expr?: string } }
  /** A dynamic set update (`update @set { ip saddr }`); not the anonymous set expression. */
  | { set: { op: "add" | "update"; elem: NftExpr; set: string } }
  | { counter: null }
  /** `log [prefix P] [group N]`: non-terminal; with a group, the packet goes to NFLOG group N (nfnetlink_log). */
  | { log: { prefix?: string; group?: number } }
  | { notrack: null };

type NftObjects = NftExprObjects | NftStmtObjects;

/**
 * An expression: an immediate (an address, port, protocol or interface name, mark, a
 * "@set" reference, true/false for `exists`/`missing`), a list (ct state { new, … }, a
 * concatenated key's components) or a compound object.
 */
export type NftExpr = string | number | boolean | NftExpr[] | NftExprObj;
/** A compound expression (an object), readable by every key. */
export type NftExprObj = OneKey<NftExprObjects>;

/** One statement of a rule. */
export type NftStmt = OneKey<NftStmtObjects>;
/** A verdict, readable by every statement key. */
export type NftVerdict = OneKey<NftVerdictObj>;

export interface NftSet {
  name: string;
  /** "map" for maps and verdict maps; "set" otherwise. */
  kind: "set" | "map";
  /** Key type: "ipv4_addr", or a concatenation ["ipv4_addr","inet_proto","inet_service"]. */
  type: string | string[];
  /** Maps: "verdict" or a data type. */
  map?: string | string[];
  flags?: string[]; // "interval", "dynamic", "timeout"
  timeout?: number;
  comment?: string;
  /** Elements: a key (or concatenation) and, for maps, its value (a verdict object for vmaps). */
  elem: { key: NftExpr; value?: NftExpr; comment?: string }[];
}

export interface NftTable {
  family: NftFamily;
  name: string;
  comment?: string;
  chains: Record<string, NftChain>;
  sets: Record<string, NftSet>;
  /** What the table is for (see NfRole). */
  role?: NfRole;
  /**
   * A NetworkPolicy table: the names of its verdict maps from a local pod's IP to its
   * ingress / egress chain (a map is left out when no local pod is isolated on that side).
   */
  policyMaps?: { ingress: string; egress: string };
}

export interface NftLayer {
  owner: string;
  tables: NftTable[];
}

// --- Tags: what a table, layer, chain or rule stands for, set by the code that writes it,
// so that consumers (the interpreter's verdicts and their words) read facts, never names or
// comments. Optional: IR without them (a parsed dump) is still valid, only less explained.

/** Who wrote a table or layer: Service proxying, the CNI's own rules, or NetworkPolicy. */
export type NfRole = "kube-proxy" | "cni" | "policy";

/**
 * What a DROP/REJECT stands for. SERVICE_BACKEND_NOT_FOUND: kube-proxy's rule for a Service without
 * endpoints (`local`: without endpoints on this node, externalTrafficPolicy Local).
 * POLICY_DENIED: a NetworkPolicy chain's final drop (no rule allowed the packet).
 */
export type DropTag =
  | { reason: "SERVICE_BACKEND_NOT_FOUND"; local?: boolean }
  /** `rule`: a policy rule denies (Calico's action Deny), not the chain's end. */
  | { reason: "POLICY_DENIED"; rule?: true };

/**
 * A NetworkPolicy chain of one pod and side: `pod` ("ns/name"); `by`: the policies that
 * isolate it, in words; `firstRule`: the index of its first policy rule (rules before it
 * are not a policy's, such as ingress's "from the pod's own node").
 */
export interface PolicyChainTag {
  side: "ingress" | "egress";
  pod: string;
  by: string;
  firstRule: number;
}

// ---------------------------------------------------------------------------
// IPVS (model only: the kernel here has no IPVS)

export interface IpvsVirtualServer {
  protocol: "TCP" | "UDP" | "SCTP";
  address: string;
  port: number;
  scheduler: "rr" | "wrr" | "lc" | "sh";
  persistenceTimeout?: number;
  reals: { address: string; port: number; weight: number }[];
  service: string; // "ns/name:port"
}

// ---------------------------------------------------------------------------
// The whole cluster

export interface NodeNet {
  name: string;
  address: string;
  podCIDR: string;
  ns: NetNs;
  /** IPVS mode: the virtual servers (shared object across nodes where identical). */
  ipvs?: IpvsVirtualServer[];
  /** Calico: BGP peers (the full mesh) and the routes each advertises, for `podnet bgp` and BIRD. */
  bgp?: {
    asn: number;
    routerId: string;
    peers: { name: string; address: string; asn: number }[];
    originates: string[];
  };
  /**
   * Host processes (not pods) listening in the node's namespace: on a control-plane node,
   * kube-apiserver's secure port (TLS), which the `kubernetes` Service sends to.
   */
  listeners?: Listener[];
  /**
   * LoadBalancer IPs this node answers ARP for as the elected MetalLB layer 2 speaker
   * (also /32 addresses on its eth0; kept here so that a reader finds them without
   * building the node's namespace).
   */
  announces?: string[];
  /** Cilium: the node's BPF maps (see NodeBpf). */
  bpf?: NodeBpf;
}

export interface Listener {
  container: string;
  port: number;
  protocol: "TCP" | "UDP" | "SCTP";
  /** Address bound ("0.0.0.0"). */
  address: string;
  /** Port name from the container spec. */
  portName?: string;
  /** Not declared by the container: a Service sends here ("Service ns/name"), so the app is
   *  taken to listen (containerPort is informational; many images listen undeclared). */
  assumedFrom?: string;
}

export interface PodNet {
  namespace: string;
  name: string;
  node: string | null;
  ip: string | null;
  hostNetwork: boolean;
  /** The pod's own namespace (absent for hostNetwork pods: they live in the node's). */
  ns?: NetNs;
  /** Host side of the pod's interface ("veth1a2b3c4d" on cni0, or "cali…"). */
  hostIf?: string;
  /** What listens in the pod's namespace: one entry per container port. */
  listeners: Listener[];
  /** The ports of containers an observed status shows not running, and why ("CrashLoopBackOff"). */
  stopped?: (Listener & { reason: string })[];
  resolvConf: string;
  /** The /etc/hosts kubelet mounts (control/hosts.ts); absent when it mounts none. */
  hosts?: string;
  /** What `hostname` prints in the pod (hostNetwork: the node's name). */
  hostname?: string;
}

export interface Underlay {
  /** The namespace holding the node network's bridge (the "switch"). */
  ns: NetNs;
  subnet: string;
  mtu: number;
  /** Address used as "outside the cluster" (a client host on the underlay). */
  externalClient: string;
}

export interface DataplaneIR {
  cluster: string;
  cni: string;
  backend: string;
  proxyMode: string;
  podSubnet: string;
  serviceSubnet: string;
  underlay: Underlay;
  nodes: NodeNet[];
  pods: PodNet[];
}

// ---------------------------------------------------------------------------
// eBPF (Cilium): programs at tc hooks and the maps they read. Names, keys and values follow
// cilium/cilium bpf/ (bpf_lxc.c, bpf_host.c, bpf_overlay.c) and pkg/maps/*.

/** A program attached at a tc hook: Cilium's program name and the object it comes from. */
export interface BpfProg {
  /** "cil_from_container", "cil_to_container", "cil_from_netdev", "cil_to_netdev",
   *  "cil_from_overlay", "cil_to_overlay", "cil_from_host", "cil_to_host". */
  name: string;
  /** "bpf_lxc.o", "bpf_host.o", "bpf_overlay.o". */
  object: string;
  /** bpf_lxc: the endpoint the program was compiled for. */
  endpoint?: number;
  /** bpf_lxc answers the pod's ARP requests with the lxc device's MAC (enable-arp-passthrough off). */
  arpResponder?: boolean;
}

export interface TcHooks {
  ingress?: BpfProg;
  egress?: BpfProg;
}

/** A security identity: a cluster-wide number per label set (reserved ones below 256). */
export interface BpfIdentity {
  id: number;
  /** "k8s:app=web", "k8s:io.kubernetes.pod.namespace=default", "reserved:host" … */
  labels: string[];
}

/** cilium_lb4_services_v2: one frontend (VIP, port, protocol, scope) and its backend slots. */
export interface BpfLbService {
  address: string;
  port: number;
  protocol: "TCP" | "UDP" | "SCTP";
  /** Slot 0's rev_nat_index. */
  revNat: number;
  /** Backend ids in slot order (slot n = backends[n-1]). */
  backends: number[];
  /** "ClusterIP", "NodePort", "LoadBalancer", "ExternalIPs", "HostPort", "Local", "InternalLocal", "non-routable", "sessionAffinity". */
  flags: string[];
  /** "ns/name:port" (what the entry stands for; Cilium keeps it in the agent's service cache). */
  service: string;
  /** sessionAffinity ClientIP timeout in seconds. */
  affinityTimeout?: number;
}

/** cilium_lb4_backends_v3. */
export interface BpfLbBackend {
  id: number;
  address: string;
  port: number;
  protocol: "TCP" | "UDP" | "SCTP";
  state: "active" | "terminating";
  /** The node the backend runs on (for externalTrafficPolicy Local and the walk's words). */
  node?: string;
}

/** cilium_lb4_reverse_nat. */
export interface BpfRevNat {
  id: number;
  address: string;
  port: number;
}

/** cilium_ipcache_v2 (LPM): a prefix's identity and, for remote ones, the tunnel endpoint. */
export interface BpfIpcacheEntry {
  prefix: string;
  identity: number;
  /** The node IP to encapsulate to (absent: local, or not behind a tunnel). */
  tunnelEndpoint?: string;
}

/** cilium_lxc: a local endpoint. */
export interface BpfEndpoint {
  id: number;
  ip: string;
  ifName: string;
  mac: string;
  nodeMac: string;
  identity: number;
  /** "ns/name" of the pod. */
  pod: string;
  /** Policy enforcement per direction (a NetworkPolicy selects the pod for it). */
  ingressEnforced: boolean;
  egressEnforced: boolean;
}

/**
 * cilium_policy_v2_<endpoint>: {identity, direction, protocol, port range} → allow, or deny
 * (`deny`: Cilium's policyFlagDeny, pkg/maps/policymap; the datapath drops a match with
 * DROP_POLICY_DENY 181). Identity 0 ("reserved:unknown", ANY) with no port allows everything
 * (a direction without enforcement; deny entries of other identities still apply there).
 * An identity's allow and deny entries do not overlap (maps.ts), except beside an
 * any-protocol allow, which every deny entry of that identity out-specifies in the LPM.
 */
export interface BpfPolicyEntry {
  identity: number;
  direction: "ingress" | "egress";
  /** Absent: any protocol. */
  protocol?: "TCP" | "UDP" | "SCTP";
  /** Absent: any port; else the inclusive range. */
  port?: number;
  endPort?: number;
  /** A deny entry (CiliumNetworkPolicy ingressDeny/egressDeny): it takes precedence over allows. */
  deny?: true;
  /** Why (for the walk's words): "ns/pol ingress rule 0", "ns/pol ingressDeny rule 0",
   *  "allow-localhost", "no policy". */
  by: string;
}

/**
 * A BPF map that is nearly the same on every node (Cilium's ipcache and lb maps: each agent
 * fills them from the same cluster-wide caches, pkg/ipcache and pkg/loadbalancer). `cluster`
 * is one array, the same object in every node's NodeBpf (5,000 nodes × 150,000 ipcache
 * entries do not fit as copies); `local` is what this node has of its own (an entry whose key
 * is in `cluster` replaces it, the others are added); `omit` lists keys of `cluster` this node
 * has no entry for. ir/bpf.ts lists a node's whole map.
 */
export interface BpfNodeMap<T> {
  cluster: readonly T[];
  local: readonly T[];
  omit?: readonly string[];
}

/** The BPF state of one node. */
export interface NodeBpf {
  /** The router IP (cilium_host's address, CiliumInternalIP). */
  routerIP: string;
  /** Tunnel mode: the device and protocol; absent with native routing. */
  tunnel?: { dev: string; protocol: "vxlan" | "geneve"; port: number };
  /** kubeProxyReplacement: Services are load balanced in BPF (the lb maps are used). */
  kubeProxyReplacement: boolean;
  /** NodePort mode ("snat": replies return through the load-balancing node). */
  nodePortMode: "snat";
  /** Cluster-wide: the same array on every node. */
  identities: readonly BpfIdentity[];
  /** Keyed by frontend (address:port/protocol). */
  services: BpfNodeMap<BpfLbService>;
  /** Cluster-wide: the same array on every node. */
  backends: readonly BpfLbBackend[];
  /** Keyed by id. */
  revNat: BpfNodeMap<BpfRevNat>;
  /** Keyed by prefix. */
  ipcache: BpfNodeMap<BpfIpcacheEntry>;
  endpoints: BpfEndpoint[];
  /** By endpoint id. */
  policy: Record<number, BpfPolicyEntry[]>;
}
