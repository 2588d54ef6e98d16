/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bpf_host (cilium/cilium bpf/bpf_host.c):
 *   cil_from_host   tc egress of cilium_host: what the node's stack routes to pods (its
 *                   own traffic, and with native routing what arrives from other nodes):
 *                   a local endpoint → its ingress policy, bpf_redirect; a pod behind a
 *                   tunnel → encapsulation with the host's identity.
 *   cil_from_netdev tc ingress of eth0: NodePort / LoadBalancer / external IP frontends
 *                   (kube-proxy replacement, north-south), for backends on this node.
 */
#include "lib/datapath.h"

SEC("tc")
int cil_from_host(struct __sk_buff *skb)
{
	struct pkt4 p;
	struct node_config *cfg = node_cfg();
	if (parse4(skb, &p) < 0 || !cfg)
		return TC_ACT_OK;
	struct endpoint_info *ep = lxc_lookup(p.daddr);
	if (ep)
		return deliver(skb, &p, ep, identity_of(p.saddr), 0, 0);
	struct remote_endpoint_info *dst = ipcache_lookup(p.daddr);
	if (dst && dst->tunnel_endpoint && cfg->tunnel_ifindex)
		return encap(skb, cfg, dst->tunnel_endpoint, ID_HOST);
	return TC_ACT_OK;
}

SEC("tc")
int cil_from_netdev(struct __sk_buff *skb)
{
	struct pkt4 p;
	struct node_config *cfg = node_cfg();
	if (!cfg || !(cfg->flags & CFG_KPR) || parse4(skb, &p) < 0)
		return TC_ACT_OK;
	if (p.proto == IPPROTO_UDP && cfg->tunnel_ifindex && p.dport == bpf_htons(8472))
		return TC_ACT_OK; /* the overlay's own packets */
	struct lb4_service *svc = lb4_lookup(p.daddr, p.dport, p.proto);
	if (!svc && p.daddr == cfg->node_ip)
		svc = lb4_lookup(0, p.dport, p.proto); /* NodePort on any node address */
	if (!svc || !(svc->flags & (SVC_FLAG_NODEPORT | SVC_FLAG_LOADBALANCER | SVC_FLAG_EXTERNAL_IP)))
		return TC_ACT_OK;
	__u32 src_id = identity_of(p.saddr);
	/* Only a local backend is served here (the client's address kept); a remote one would
	 * need the NodePort SNAT (cilium_snat_v4_external), which podnet does not load. */
	int r = lb4_local(skb, &p, svc, src_id);
	if (r < 0)
		return TC_ACT_SHOT;
	struct endpoint_info *ep = lxc_lookup(p.daddr);
	if (!ep)
		return TC_ACT_SHOT;
	return deliver(skb, &p, ep, src_id, 1, (__u16)r);
}
