/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bpf_lxc: the program at tc ingress of every pod's host-side veth (lxc…), i.e. what the pod
 * sends (cilium/cilium bpf/bpf_lxc.c cil_from_container). Cilium compiles one copy per
 * endpoint; podnet loads one per node and finds the endpoint by the packet's source
 * address in cilium_lxc (a packet from any other address is dropped: the pod's address is
 * its identity).
 *   ARP: answered with the lxc device's MAC (the pod's only neighbour is its gateway).
 *   IPv4: conntrack (a reply skips policy) → service lookup + DNAT (every frontend with the kube-proxy replacement, ClusterIPs without)
 *   → ipcache(dst) → egress policy → conntrack entry → a local endpoint: its ingress policy
 *   and bpf_redirect_peer; behind a tunnel: encapsulation; else the stack (legacy host routing).
 *   Events (lib/events.h): a drop notification for every drop, a trace where the packet leaves
 *   (to-endpoint, to-overlay, to-stack) when conntrack reports it.
 */
#include "lib/datapath.h"

/*
 * The ARP header as include/uapi/linux/if_arp.h has it (torvalds/linux). Not included:
 * that header pulls in libc's <sys/socket.h>, whose gnu/stubs.h wants the 32-bit stubs
 * under -target bpf (no __x86_64__) — absent unless libc6-dev-i386 is installed.
 */
#define ARPOP_REQUEST 1
#define ARPOP_REPLY 2
struct arphdr {
	__be16 ar_hrd;
	__be16 ar_pro;
	__u8 ar_hln;
	__u8 ar_pln;
	__be16 ar_op;
};

struct arp4 {
	struct ethhdr eth;
	struct arphdr arp;
	__u8 sha[ETH_ALEN];
	__be32 sip;
	__u8 tha[ETH_ALEN];
	__be32 tip;
} __attribute__((packed));

/* bpf/lib/arp.h arp_respond: the reply goes back out of the lxc device to the pod. */
static __always_inline int arp_respond(struct __sk_buff *skb)
{
	struct arp4 a;
	if (bpf_skb_load_bytes(skb, 0, &a, sizeof(a)) < 0)
		return TC_ACT_OK;
	if (a.arp.ar_op != bpf_htons(ARPOP_REQUEST) || a.arp.ar_pro != bpf_htons(ETH_P_IP) || a.tip == a.sip)
		return TC_ACT_OK; /* not a request, or duplicate address detection */
	struct endpoint_info *ep = lxc_lookup(a.sip);
	if (!ep)
		return TC_ACT_OK;
	__be32 tip = a.tip;
	__builtin_memcpy(a.eth.h_dest, a.sha, ETH_ALEN);
	__builtin_memcpy(a.eth.h_source, ep->node_mac, ETH_ALEN);
	a.arp.ar_op = bpf_htons(ARPOP_REPLY);
	__builtin_memcpy(a.tha, a.sha, ETH_ALEN);
	a.tip = a.sip;
	__builtin_memcpy(a.sha, ep->node_mac, ETH_ALEN);
	a.sip = tip;
	if (bpf_skb_store_bytes(skb, 0, &a, sizeof(a), 0) < 0)
		return TC_ACT_SHOT;
	return bpf_redirect(skb->ifindex, 0);
}

SEC("tc")
int cil_from_container(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return TC_ACT_OK;
	if (eth->h_proto == bpf_htons(ETH_P_ARP))
		return arp_respond(skb);
	struct pkt4 p;
	if (parse4(skb, &p) < 0)
		return TC_ACT_OK;
	struct endpoint_info *ep = lxc_lookup(p.saddr);
	struct node_config *cfg = node_cfg();
	if (!ep || !cfg)
		return send_drop(skb, DROP_INVALID_SIP, 0, 0, identity_of(p.daddr), 0, skb->ifindex);
	__u32 my_id = ep->sec_id;
	__u8 dir;
	struct ct_entry *reply = ct_reply(skb, &p, &dir);
	__u16 reply_rev_nat = reply && dir == TUPLE_F_IN ? reply->rev_nat_index : 0;
	__u16 rev = 0;
	if (reply && dir == TUPLE_F_OUT && p.daddr == IPV4_LOOPBACK) {
		/* The reply of a pod to itself through a Service: back to its own address, from the frontend. */
		__u16 idx = reply->rev_nat_index;
		if (xlate4(skb, &p, 1, p.saddr, 0) < 0 || rev_nat(skb, &p, idx) < 0)
			return TC_ACT_SHOT;
		return redirect_ep(skb, ep, 1);
	}
	/* Per-packet LB with or without the kube-proxy replacement: without it the services map
	 * holds only ClusterIP frontends (east-west), kube-proxy the rest. */
	if (!reply) {
		struct lb4_service *svc = lb4_lookup(p.daddr, p.dport, p.proto);
		if (svc) {
			int r = lb4_local(skb, &p, svc, my_id);
			if (r < 0)
				return send_drop(skb, r == LB_NO_BACKEND ? DROP_NO_SERVICE : DROP_WRITE_ERROR, ep->lxc_id,
						 my_id, ID_WORLD, 0, skb->ifindex);
			rev = (__u16)r;
			if (p.daddr == p.saddr && xlate4(skb, &p, 0, IPV4_LOOPBACK, 0) < 0)
				return TC_ACT_SHOT; /* hairpin: lb4_local's loopback */
		}
	}
	struct remote_endpoint_info *dst = ipcache_lookup(p.daddr);
	__u32 dst_id = dst ? dst->sec_identity : ID_WORLD;
	__be32 tep = dst ? dst->tunnel_endpoint : 0;
	if (!reply) {
		if (!ct_known(&p, TUPLE_F_OUT)) {
			int v = policy_verdict(skb, ep, 1, dst_id, &p);
			if (v != POLICY_VERDICT_PASS)
				return send_drop(skb, policy_drop_reason(v), ep->lxc_id, my_id, dst_id, 0,
						 skb->ifindex);
		}
		ct_create(skb, &p, TUPLE_F_OUT, rev, my_id);
	}
	struct endpoint_info *local = lxc_lookup(p.daddr);
	if (local)
		return deliver(skb, &p, local, my_id, 1, 0);
	if (tep && cfg->tunnel_ifindex) {
		int r = encap(skb, cfg, tep, my_id);
		if (r != TC_ACT_SHOT && p.monitor)
			send_trace(skb, TRACE_TO_OVERLAY, ep->lxc_id, my_id, dst_id, 0, cfg->tunnel_ifindex, p.reason);
		return r;
	}
	/* A reply of a connection the datapath translated on the way in (NodePort). BPF host
	 * routing needs the kube-proxy replacement; without it (legacy host routing) replies go
	 * to the stack, whose conntrack undoes what kube-proxy or portmap translated. */
	if (reply && dir == TUPLE_F_IN && (cfg->flags & CFG_KPR)) {
		/* The reply of a connection the datapath delivered here (NodePort): the frontend
		 * again, then past netfilter to the FIB's next hop, as with BPF host routing. */
		if (reply_rev_nat && rev_nat(skb, &p, reply_rev_nat) < 0)
			return send_drop(skb, DROP_WRITE_ERROR, ep->lxc_id, my_id, dst_id, 0, skb->ifindex);
		int r = fib_redirect(skb, &p);
		/* Cilium reports it to-network from cil_to_netdev, which podnet does not attach. */
		if (r != TC_ACT_SHOT && p.monitor)
			send_trace(skb, TRACE_TO_STACK, ep->lxc_id, my_id, dst_id, 0, skb->ifindex, p.reason);
		return r;
	}
	if (p.monitor)
		send_trace(skb, TRACE_TO_STACK, ep->lxc_id, my_id, dst_id, 0, skb->ifindex, p.reason);
	return TC_ACT_OK;
}
