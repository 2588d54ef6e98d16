/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bpf_host (cilium/cilium bpf/bpf_host.c):
 *   cil_from_host   tc egress of cilium_host: what the node's stack routes to pods (its
 *                   own traffic, and with native routing what arrives from other nodes):
 *                   a local endpoint → its ingress policy, bpf_redirect; a pod behind a
 *                   tunnel → encapsulation with the host's identity, or a local pod's when
 *                   the packet is from one (kube-proxy's DNAT routed it back out).
 *   cil_from_netdev tc ingress of eth0: NodePort / LoadBalancer / external IP frontends
 *                   (kube-proxy replacement, north-south): a local backend keeps the
 *                   client's address; a remote one gets this node's (SNAT mode, the
 *                   default), and its reply is translated back here.
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
	/* resolve_srcid_ipv4 (from host): a local pod's packet the stack sent back out (after
	 * kube-proxy's DNAT) keeps that pod's identity; the node's own carry the host's. */
	if (dst && dst->tunnel_endpoint && cfg->tunnel_ifindex)
		return encap(skb, cfg, dst->tunnel_endpoint, lxc_lookup(p.saddr) ? identity_of(p.saddr) : ID_HOST);
	return TC_ACT_OK;
}

SEC("tc")
int cil_from_netdev(struct __sk_buff *skb)
{
	struct pkt4 p;
	struct node_config *cfg = node_cfg();
	if (!cfg || !(cfg->flags & CFG_KPR) || parse4(skb, &p) < 0)
		return TC_ACT_OK;
	if (p.daddr == cfg->node_ip) {
		/* A reply to a NodePort connection this node sent to a remote backend (SNAT mode):
		 * back to the client, from the frontend. */
		struct ipv4_ct_tuple t = {};
		ct_tuple(&t, &p, TUPLE_F_IN, 0);
		struct ipv4_nat_entry *n = bpf_map_lookup_elem(&cilium_snat_v4_external, &t);
		if (n) {
			__be32 sa = n->to_saddr, da = n->to_daddr;
			__be16 sp = n->to_sport, dp = n->to_dport;
			if (xlate4(skb, &p, 1, da, dp) < 0 || xlate4(skb, &p, 0, sa, sp) < 0)
				return TC_ACT_SHOT;
			return fib_redirect(skb, &p);
		}
	}
	struct lb4_service *svc = lb4_lookup(p.daddr, p.dport, p.proto);
	if (!svc && p.daddr == cfg->node_ip)
		svc = lb4_lookup(0, p.dport, p.proto); /* NodePort on any node address */
	if (!svc || !(svc->flags & (SVC_FLAG_NODEPORT | SVC_FLAG_HOSTPORT | SVC_FLAG_LOADBALANCER | SVC_FLAG_EXTERNAL_IP)))
		return TC_ACT_OK;
	__u32 src_id = identity_of(p.saddr);
	__be32 fe_addr = p.daddr, client = p.saddr;
	__be16 fe_port = p.dport, client_port = p.sport;
	int r = lb4_local(skb, &p, svc, src_id);
	if (r < 0)
		return send_drop(skb, r == LB_NO_BACKEND ? DROP_NO_SERVICE : DROP_WRITE_ERROR, 0, src_id, ID_WORLD, 0,
				 skb->ifindex);
	struct endpoint_info *ep = lxc_lookup(p.daddr);
	if (ep) /* a local backend: the client's address kept */
		return deliver(skb, &p, ep, src_id, 1, (__u16)r);
	/* A remote backend: SNAT to this node's address so that the reply comes back here. */
	if (xlate4(skb, &p, 0, cfg->node_ip, 0) < 0)
		return TC_ACT_SHOT;
	struct ipv4_ct_tuple t = {};
	ct_tuple(&t, &p, TUPLE_F_IN, 1);
	struct ipv4_nat_entry n = {};
	n.created = bpf_ktime_get_ns();
	n.to_saddr = fe_addr;
	n.to_sport = fe_port;
	n.to_daddr = client;
	n.to_dport = client_port;
	bpf_map_update_elem(&cilium_snat_v4_external, &t, &n, BPF_ANY);
	struct remote_endpoint_info *dst = ipcache_lookup(p.daddr);
	if (dst && dst->tunnel_endpoint && cfg->tunnel_ifindex)
		return encap(skb, cfg, dst->tunnel_endpoint, ID_HOST);
	return fib_redirect(skb, &p);
}
