// CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy, L3/L4
// (https://docs.cilium.io/en/stable/security/policy/language/; cilium/cilium pkg/policy/api,
// pkg/k8s/apis/cilium.io/utils/utils.go), compiled to the engine's rules:
// - a rule selects endpoints by their Cilium labels: the pod's labels, its namespace
//   (`io.kubernetes.pod.namespace`), its namespace's labels
//   (`io.cilium.k8s.namespace.labels.<key>`), its service account and cluster. Keys may carry
//   the `k8s:` or `any:` source; a CiliumNetworkPolicy selects in its own namespace only;
// - fromEndpoints/toEndpoints without a namespace key select in the policy's namespace (a
//   clusterwide policy's: any pod), fromCIDR/fromCIDRSet addresses outside the cluster,
//   fromEntities the reserved identities; the fields of a rule add up, toPorts narrows;
// - a rule with toPorts and no peer field allows every peer on those ports; an empty rule
//   (`- {}`) allows nothing but puts the endpoint in default deny;
// - an ingress or ingressDeny section puts the endpoints in default deny for ingress unless
//   enableDefaultDeny.ingress is false (likewise egress); deny rules win over allow rules.
// L7 rules are taken as their ports' allow (Cilium's proxy would filter requests further);
// toFQDNs, toServices, groups, nodes, ICMP and host policies (nodeSelector) are not modelled
// (validate/cilium-policy.ts warns).
import type { CiliumPolicyState, ClusterState } from "../control/state.js";
import type { CiliumPeerRule, CiliumRule, LabelSelector, LabelSelectorRequirement } from "../manifest/types.js";
import { ipToInt, parseCidr } from "../net/ipv4.js";
import { type FqdnSelector, fqdnAddresses } from "../manifest/cilium-fqdn.js";
import { ciliumRuleRefusal } from "../manifest/validate/cilium-policy.js";
import type { Proto } from "./portset.js";
import type { CPeer, CPolicy, CPort, CRule } from "./types.js";

/** A Cilium label key as podnet matches it: the `k8s:` and `any:` sources dropped. */
export function ciliumKey(k: string): string {
  return k.startsWith("k8s:") ? k.slice(4) : k.startsWith("any:") ? k.slice(4) : k;
}

export const NS_LABEL = "io.kubernetes.pod.namespace";

// The agent's default filter of identity-relevant labels (cilium/cilium pkg/labelsfilter
// filter.go defaultLabelPrefixCfg; https://docs.cilium.io/en/stable/operations/performance/scalability/identity-relevant-labels/):
// prefixes of a label key, the longest match decides, a key no prefix matches is kept. A
// selector on a filtered label (pod-template-hash, statefulset.kubernetes.io/pod-name)
// selects nothing in Cilium.
const LABEL_FILTER: [RegExp, boolean][] = [
  [/^io\.kubernetes\.pod\.namespace/, true],
  [/^io\.cilium\.k8s\.namespace\.labels/, true],
  [/^app\.kubernetes\.io/, true],
  [/^io\.kubernetes/, false],
  [/^kubernetes\.io/, false],
  [/^statefulset\.kubernetes\.io\/pod-name/, false],
  [/^apps\.kubernetes\.io\/pod-index/, false],
  [/^batch\.kubernetes\.io\/job-completion-index/, false],
  [/^batch\.kubernetes\.io\/controller-uid/, false],
  [/^.*beta\.kubernetes\.io/, false],
  [/^k8s\.io/, false],
  [/^pod-template-generation/, false],
  [/^pod-template-hash/, false],
  [/^controller-revision-hash/, false],
  [/^annotation.*/, false],
  [/^etcd_node/, false],
];

/** Whether a pod label is part of its Cilium identity (and so selectable by a policy). */
export function identityRelevant(key: string): boolean {
  let best = -1;
  let keep = true;
  for (const [re, include] of LABEL_FILTER) {
    const m = re.exec(key);
    if (m && m[0].length > best) {
      best = m[0].length;
      keep = include;
    }
  }
  return keep;
}
/** Prefix of a namespace's labels among its pods' Cilium labels (pkg/k8s/apis/cilium.io/const.go). */
export const NS_LABELS_PREFIX = "io.cilium.k8s.namespace.labels.";

/** A selector with its keys as ciliumKey gives them. */
function normalise(sel: LabelSelector | undefined | null): LabelSelector {
  const out: LabelSelector = {};
  if (!sel || typeof sel !== "object") return out;
  if (sel.matchLabels && typeof sel.matchLabels === "object") {
    // Without a prototype: a key such as `__proto__` is a label no pod has, not Object's.
    const ml: Record<string, string> = Object.create(null);
    for (const [k, v] of Object.entries(sel.matchLabels)) ml[ciliumKey(k)] = String(v);
    out.matchLabels = ml;
  }
  if (Array.isArray(sel.matchExpressions))
    out.matchExpressions = sel.matchExpressions
      .filter((e): e is LabelSelectorRequirement => !!e && typeof e === "object")
      .map((e) => ({ ...e, key: ciliumKey(String(e.key)) }));
  return out;
}

function hasKey(sel: LabelSelector, key: string): boolean {
  return (
    (sel.matchLabels !== undefined && Object.hasOwn(sel.matchLabels, key)) ||
    (sel.matchExpressions ?? []).some((e) => e.key === key)
  );
}

function hasKeyPrefix(sel: LabelSelector, prefix: string): boolean {
  return (
    Object.keys(sel.matchLabels ?? {}).some((k) => k.startsWith(prefix)) ||
    (sel.matchExpressions ?? []).some((e) => e.key.startsWith(prefix))
  );
}

const isReserved = (sel: LabelSelector) => hasKeyPrefix(sel, "reserved:");

/**
 * A peer selector as the agent reads it (utils.go getEndpointSelector): without a namespace
 * key, a namespaced policy's selector is limited to its namespace unless it selects by
 * namespace labels (`io.cilium.k8s.namespace.labels.*`: then any namespace with them), a
 * clusterwide one's to pods (the namespace label exists); a selector of reserved labels is
 * taken as written.
 */
function peerSelector(sel: LabelSelector, namespace: string | undefined): CPeer {
  const s = normalise(sel);
  if (isReserved(s) || hasKey(s, NS_LABEL)) return { endpoints: { selector: s } };
  if (namespace !== undefined)
    return hasKeyPrefix(s, NS_LABELS_PREFIX)
      ? { endpoints: { selector: s } }
      : { endpoints: { selector: s, namespace } };
  return {
    endpoints: {
      selector: { ...s, matchExpressions: [...(s.matchExpressions ?? []), { key: NS_LABEL, operator: "Exists" }] },
    },
  };
}

function cidrPeer(cidr: string, except: string[] = []): CPeer | undefined {
  const full = (c: string) => (c.includes("/") ? c : `${c}/32`);
  if (typeof cidr !== "string" || cidr.includes(":")) return undefined; // IPv6: no address here
  const text = full(cidr) + (except.length ? ` except ${except.join(",")}` : "");
  return {
    ipBlock: {
      cidr: parseCidr(full(cidr), true),
      except: except.filter((e) => typeof e === "string" && !e.includes(":")).map((e) => parseCidr(full(e), true)),
      text,
    },
    world: true,
  };
}

// The peer fields of a rule (ingress.go IngressCommonRule, egress.go EgressCommonRule): any of
// them makes the rule's L3 part explicit, modelled or not.
const L3_FIELDS = {
  from: ["fromEndpoints", "fromRequires", "fromCIDR", "fromCIDRSet", "fromEntities", "fromGroups", "fromNodes"],
  to: [
    "toEndpoints",
    "toRequires",
    "toCIDR",
    "toCIDRSet",
    "toEntities",
    "toServices",
    "toFQDNs",
    "toGroups",
    "toNodes",
  ],
} as const;

const nonEmpty = (v: unknown): v is unknown[] => Array.isArray(v) && v.length > 0;

function peersOf(r: CiliumPeerRule, dir: "from" | "to", namespace: string | undefined, cx: Cx): CPeer[] | null {
  const explicit = L3_FIELDS[dir].some((k) => nonEmpty(r[k]));
  if (!explicit) {
    // toPorts alone: every peer on those ports; nothing at all (`- {}`): no peer.
    return nonEmpty(r.toPorts) ? null : [];
  }
  const out: CPeer[] = [];
  const eps = r[`${dir}Endpoints`];
  if (Array.isArray(eps)) for (const sel of eps) out.push(peerSelector(sel ?? {}, namespace));
  const cidrs = r[`${dir}CIDR`];
  if (Array.isArray(cidrs))
    for (const c of cidrs) {
      const p = typeof c === "string" ? cidrPeer(c) : undefined;
      if (p) out.push(p);
    }
  const sets = r[`${dir}CIDRSet`];
  if (Array.isArray(sets))
    for (const c of sets) {
      const p = c && typeof c.cidr === "string" ? cidrPeer(c.cidr, Array.isArray(c.except) ? c.except : []) : undefined;
      if (p) out.push(p);
    }
  const ents = r[`${dir}Entities`];
  if (Array.isArray(ents)) for (const e of ents) if (typeof e === "string") out.push({ entity: e });
  if (dir === "to" && nonEmpty(r.toFQDNs)) {
    const sels = r.toFQDNs.filter((x): x is FqdnSelector => !!x && typeof x === "object");
    const text = sels.map((x) => x.matchName ?? x.matchPattern).join(",");
    const ips = new Set(fqdnAddresses(cx.externalDNS, sels).map((a) => ipToInt(a)));
    out.push({ fqdn: { text, ips } });
  }
  return out;
}

/** What compiling a rule needs of the cluster: the outside names it knows (toFQDNs). */
interface Cx {
  externalDNS: ClusterState["config"]["externalDNS"];
}

/** An egress rule with L7 DNS rules: the agent's DNS proxy sees the pod's lookups. */
function dnsRules(list: CiliumPeerRule[] | undefined): boolean {
  return (
    Array.isArray(list) &&
    list.some(
      (r) =>
        !!r &&
        nonEmpty(r.toPorts) &&
        r.toPorts.some((pr) => !!pr && !!pr.rules && typeof pr.rules === "object" && nonEmpty(pr.rules.dns)),
    )
  );
}

/**
 * toPorts as the engine's ports (l4.go): no port or "0" is every port, ANY (the default) each
 * protocol. Only a rule with neither toPorts nor icmps is every port (rule.go mergeIngress /
 * mergeEgress: the L3-only case); icmps alone allow ICMP, which podnet's flows never are, and
 * a toPorts entry without ports adds no port (the agent iterates its ports).
 */
function portsOf(r: CiliumPeerRule): CPort[] | null {
  if (!nonEmpty(r.toPorts)) return nonEmpty(r.icmps) ? [] : null;
  const out: CPort[] = [];
  for (const pr of r.toPorts) {
    const ports = pr && Array.isArray(pr.ports) ? pr.ports : [];
    for (const pp of ports) {
      if (!pp || typeof pp !== "object") continue;
      const text = pp.port === undefined || pp.port === null ? "" : String(pp.port);
      const protos: Proto[] =
        pp.protocol === undefined || pp.protocol === null || pp.protocol === "ANY"
          ? ["TCP", "UDP", "SCTP"]
          : pp.protocol === "TCP" || pp.protocol === "UDP" || pp.protocol === "SCTP"
            ? [pp.protocol]
            : []; // ICMP and the rest: not modelled
      for (const protocol of protos) {
        if (text === "" || text === "0") out.push({ protocol });
        else if (/^[0-9]+$/.test(text)) {
          const port = Number(text);
          const end = typeof pp.endPort === "number" && pp.endPort > port ? pp.endPort : undefined;
          out.push(end !== undefined ? { protocol, port, endPort: end } : { protocol, port });
        } else out.push({ protocol, port: text.toLowerCase() }); // rule_validation.go: names match case-insensitively
      }
    }
  }
  // Only protocols podnet does not model: the rule allows nothing it can see.
  return out.length ? out : [];
}

function rulesOf(
  list: CiliumPeerRule[] | undefined,
  dir: "from" | "to",
  namespace: string | undefined,
  cx: Cx,
): CRule[] {
  if (!Array.isArray(list)) return [];
  return list.map((r, index) => {
    const rule = r && typeof r === "object" ? r : {};
    return { index, peers: peersOf(rule, dir, namespace, cx), ports: portsOf(rule) };
  });
}

function withoutFqdns(r: CiliumPeerRule): CiliumPeerRule {
  if (!r || typeof r !== "object" || !("toFQDNs" in r)) return r;
  const { toFQDNs: _, ...rest } = r;
  return rest;
}

/** One rule of a Cilium policy as the engine's policy (a policy with `specs` gives several). */
function compileRule(p: CiliumPolicyState, r: CiliumRule, at: number, cx: Cx): CPolicy | undefined {
  // Host policies (nodeSelector) select nodes, which podnet does not police.
  if (!r.endpointSelector || typeof r.endpointSelector !== "object") return undefined;
  const ns = p.kind === "CiliumNetworkPolicy" ? (p.namespace ?? "default") : undefined;
  const dd = r.enableDefaultDeny && typeof r.enableDefaultDeny === "object" ? r.enableDefaultDeny : {};
  const ingressRules = rulesOf(r.ingress, "from", ns, cx);
  const ingressDenyRules = rulesOf(r.ingressDeny, "from", ns, cx);
  const egressRules = rulesOf(r.egress, "to", ns, cx);
  // EgressDenyRule has no toFQDNs (egress.go; "Deny policies do not support toFQDNs"): the
  // API server drops the field, as podnet does.
  const egressDenyRules = rulesOf(
    Array.isArray(r.egressDeny) ? r.egressDeny.map(withoutFqdns) : r.egressDeny,
    "to",
    ns,
    cx,
  );
  const base = ns !== undefined ? `${ns}/${p.name}` : p.name;
  return {
    namespace: ns ?? "",
    name: p.name,
    // Rules past the first of `specs` are told apart by their place.
    id: p.rules.length > 1 ? `${base} (rule ${at})` : base,
    podSelector: {},
    cilium: { kind: p.kind, endpointSelector: normalise(r.endpointSelector) },
    ingress: (nonEmpty(r.ingress) || nonEmpty(r.ingressDeny)) && dd.ingress !== false,
    egress: (nonEmpty(r.egress) || nonEmpty(r.egressDeny)) && dd.egress !== false,
    ingressRules,
    egressRules,
    ingressDenyRules,
    egressDenyRules,
    ...(dnsRules(r.egress) ? { dnsProxy: true as const } : {}),
  };
}

/** The cluster's Cilium policies as the engine's, when Cilium is its CNI (none otherwise). */
export function compileCiliumPolicies(state: ClusterState): CPolicy[] {
  if (state.config.networking.cni !== "cilium" || !state.ciliumPolicies) return [];
  const out: CPolicy[] = [];
  const cx: Cx = { externalDNS: state.config.externalDNS ?? [] };
  for (const p of state.ciliumPolicies) {
    // One rule the agent refuses and it imports none of the policy (cnp_types.go Parse).
    if (p.rules.some((r) => ciliumRuleRefusal(r) !== undefined)) continue;
    p.rules.forEach((r, i) => {
      const c = compileRule(p, r, i, cx);
      if (c) out.push(c);
    });
  }
  return out;
}
