/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The steps the programs share, after Cilium's bpf/lib: conntrack (conntrack.h), service
 * lookup and backend selection (lb.h), local delivery (local_delivery.h) and encapsulation
 * (encap.h). Per-packet load balancing at tc: podnet does not attach Cilium's socket LB.
 */
#ifndef PODNET_DATAPATH_H
#define PODNET_DATAPATH_H

#include "common.h"
#include "events.h"

static __always_inline void ct_tuple(struct ipv4_ct_tuple *t, struct pkt4 *p, __u8 flags, int reversed)
{
	t->daddr = reversed ? p->saddr : p->daddr;
	t->saddr = reversed ? p->daddr : p->saddr;
	t->dport = reversed ? p->sport : p->dport;
	t->sport = reversed ? p->dport : p->sport;
	t->nexthdr = p->proto;
	t->flags = flags;
}

static __always_inline void ct_count(struct ct_entry *e, struct __sk_buff *skb)
{
	__sync_fetch_and_add(&e->packets, 1);
	__sync_fetch_and_add(&e->bytes, skb->len);
}

/* Monitor aggregation (bpf/lib/conntrack.h __ct_update_timeout, --monitor-aggregation-flags
 * syn,fin,rst): report when the direction sees a flag it had not, or every
 * CT_REPORT_INTERVAL seconds of a connection's life. */
#define CT_REPORT_INTERVAL 5
#define CT_REPORT_FLAGS 0x07 /* FIN SYN RST */
static __always_inline void ct_monitor(struct ct_entry *e, struct pkt4 *p, int reply)
{
	__u32 now = (__u32)(bpf_ktime_get_ns() / 1000000000ULL);
	__u8 *seen = reply ? &e->rx_flags_seen : &e->tx_flags_seen;
	__u32 *last = reply ? &e->last_rx_report : &e->last_tx_report;
	__u8 acc = *seen;
	__u8 all = acc | (p->tcp_flags & CT_REPORT_FLAGS);
	p->reason = reply ? TRACE_REASON_CT_REPLY : TRACE_REASON_CT_ESTABLISHED;
	p->monitor = 0;
	/* A SYN on a connection that saw FIN or RST: the tuple is reused (conntrack.h: the entry
	 * "reopened", its flags start over and the packet is reported). */
	if (!reply && (p->tcp_flags & 0x12) == 0x02 && ((e->tx_flags_seen | e->rx_flags_seen) & 0x05)) {
		e->tx_flags_seen = 0x02;
		e->rx_flags_seen = 0;
		e->last_tx_report = now;
		p->reason = TRACE_REASON_CT_REOPENED;
		p->monitor = 1;
		return;
	}
	if (*last + CT_REPORT_INTERVAL < now || all != acc) {
		*seen = all;
		*last = now;
		p->monitor = 1;
	}
}

/* The entry this packet is the reply of (its tuple reversed): OUT first, then IN.
 * *dir says which one matched. */
static __always_inline struct ct_entry *ct_reply(struct __sk_buff *skb, struct pkt4 *p, __u8 *dir)
{
	struct ipv4_ct_tuple t = {};
	ct_tuple(&t, p, TUPLE_F_OUT, 1);
	struct ct_entry *e = bpf_map_lookup_elem(&cilium_ct4_global, &t);
	*dir = TUPLE_F_OUT;
	if (!e) {
		t.flags = TUPLE_F_IN;
		e = bpf_map_lookup_elem(&cilium_ct4_global, &t);
		*dir = TUPLE_F_IN;
	}
	if (e) {
		ct_count(e, skb);
		ct_monitor(e, p, 1);
	}
	return e;
}

/* ct_create4: a new entry for the packet's own tuple, unless it exists (then counted);
 * returns 1 when the connection was already known (established: policy is not asked again).
 * An entry left by an earlier connection through another Service (same client port, same
 * backend) is stale: recreated, or the reply would be reverse-NATed to the old frontend
 * (bpf/bpf_lxc.c handle_ipv4_from_lxc: "Did we end up at a stale non-service entry?
 * Recreate if so."). */
static __always_inline int ct_create(struct __sk_buff *skb, struct pkt4 *p, __u8 dir, __u16 rev_nat, __u32 src_id)
{
	struct ipv4_ct_tuple t = {};
	ct_tuple(&t, p, dir, 0);
	struct ct_entry *e = bpf_map_lookup_elem(&cilium_ct4_global, &t);
	if (e && dir == TUPLE_F_OUT && e->rev_nat_index != rev_nat)
		e = 0;
	if (e) {
		ct_count(e, skb);
		ct_monitor(e, p, 0);
		return 1;
	}
	struct ct_entry n = {};
	p->reason = TRACE_REASON_CT_NEW;
	p->monitor = 1;
	n.tx_flags_seen = p->tcp_flags & CT_REPORT_FLAGS;
	n.last_tx_report = (__u32)(bpf_ktime_get_ns() / 1000000000ULL);
	n.packets = 1;
	n.bytes = skb->len;
	n.lifetime = (__u32)(bpf_ktime_get_ns() / 1000000000ULL) + 21600;
	n.rev_nat_index = rev_nat;
	n.src_sec_id = src_id;
	bpf_map_update_elem(&cilium_ct4_global, &t, &n, BPF_ANY);
	return 0;
}

static __always_inline int ct_known(struct pkt4 *p, __u8 dir)
{
	struct ipv4_ct_tuple t = {};
	ct_tuple(&t, p, dir, 0);
	return bpf_map_lookup_elem(&cilium_ct4_global, &t) != NULL;
}

/* lb4_lookup_service: the frontend {VIP, port, proto} in slot 0. */
static __always_inline struct lb4_service *lb4_lookup(__be32 addr, __be16 port, __u8 proto)
{
	struct lb4_key k = {.address = addr, .dport = port, .proto = proto};
	return bpf_map_lookup_elem(&cilium_lb4_services_v2, &k);
}

#define LB_NO_BACKEND -2
/* IPV4_LOOPBACK (--ipv4-service-loopback-address): a pod reaching itself through a Service
 * is seen coming from here, else its kernel would drop its own address as a source. */
#define IPV4_LOOPBACK bpf_htonl(0xa9fe2a01) /* 169.254.42.1 */

/* lb4_local: the backend of an existing connection (its CT SERVICE entry), else a random
 * slot (loadBalancer.algorithm=random: slot = rand % count + 1), then DNAT to it. Returns
 * the rev_nat_index, LB_NO_BACKEND (158 SERVICE_BACKEND_NOT_FOUND) or -1 on error. */
static __always_inline int lb4_local(struct __sk_buff *skb, struct pkt4 *p, struct lb4_service *svc, __u32 src_id)
{
	if (svc->count == 0)
		return LB_NO_BACKEND;
	struct ipv4_ct_tuple t = {};
	ct_tuple(&t, p, TUPLE_F_SERVICE, 0);
	struct ct_entry *e = bpf_map_lookup_elem(&cilium_ct4_global, &t);
	__u32 backend_id = 0;
	struct lb4_backend *be = NULL;
	if (e) {
		backend_id = (__u32)e->backend_id;
		be = bpf_map_lookup_elem(&cilium_lb4_backends_v3, &backend_id);
	}
	if (!be) {
		struct lb4_key k = {.address = p->daddr, .dport = p->dport, .proto = p->proto};
		/* sessionAffinity ClientIP: one backend per client address (Cilium remembers the
		 * first choice in cilium_lb4_affinity; a hash of the client gives the same effect
		 * while the backends stay). */
		__u32 r = svc->flags & SVC_FLAG_AFFINITY ? bpf_ntohl(p->saddr) * 2654435761u : bpf_get_prandom_u32();
		k.backend_slot = (r % svc->count) + 1;
		struct lb4_service *slot = bpf_map_lookup_elem(&cilium_lb4_services_v2, &k);
		if (!slot)
			return LB_NO_BACKEND;
		backend_id = slot->backend_id;
		be = bpf_map_lookup_elem(&cilium_lb4_backends_v3, &backend_id);
		if (!be)
			return LB_NO_BACKEND;
		struct ct_entry n = {};
		n.backend_id = backend_id;
		n.rev_nat_index = svc->rev_nat_index;
		n.src_sec_id = src_id;
		n.lifetime = (__u32)(bpf_ktime_get_ns() / 1000000000ULL) + 21600;
		bpf_map_update_elem(&cilium_ct4_global, &t, &n, BPF_ANY);
	} else {
		ct_count(e, skb);
	}
	if (xlate4(skb, p, 1, be->address, be->port) < 0)
		return -1;
	return svc->rev_nat_index;
}

/* lb4_rev_nat: a reply's source becomes the frontend again. */
static __always_inline int rev_nat(struct __sk_buff *skb, struct pkt4 *p, __u16 index)
{
	if (!index)
		return 0;
	struct lb4_reverse_nat *rn = bpf_map_lookup_elem(&cilium_lb4_reverse_nat, &index);
	if (!rn || rn->address == 0)
		return 0;
	return xlate4(skb, p, 0, rn->address, rn->port);
}

static __always_inline int redirect_ep(struct __sk_buff *skb, struct endpoint_info *ep, int from_ingress);

/* local_delivery: the destination endpoint's ingress policy (by the source's identity),
 * reverse NAT of replies, then into the pod without a bridge: bpf_redirect_peer from a tc
 * ingress hook (the packet enters the pod's eth0 directly), bpf_redirect from egress.
 * rev_nat_nodeport: the frontend of a NodePort connection delivered here (kept in the
 * IN entry for the reply). */
static __always_inline int deliver(struct __sk_buff *skb, struct pkt4 *p, struct endpoint_info *ep, __u32 src_id,
				   int from_ingress, __u16 rev_nat_nodeport)
{
	/* From a local pod, cil_from_container's lookup already decided (one node's pods share the
	 * map: the reply's entry is the one that lookup just reported). */
	__u8 monitored = p->monitor;
	__u8 dir;
	struct ct_entry *reply = ct_reply(skb, p, &dir);
	if (reply) {
		if (dir == TUPLE_F_OUT && rev_nat(skb, p, reply->rev_nat_index) < 0)
			return send_drop(skb, DROP_WRITE_ERROR, ep->lxc_id, src_id, ep->sec_id, ep->lxc_id, ep->ifindex);
	} else if (!ct_known(p, TUPLE_F_IN)) {
		int v = policy_verdict(skb, ep, 0, src_id, p);
		if (v != POLICY_VERDICT_PASS)
			return send_drop(skb, policy_drop_reason(v), ep->lxc_id, src_id, ep->sec_id, ep->lxc_id,
					 ep->ifindex);
		ct_create(skb, p, TUPLE_F_IN, rev_nat_nodeport, src_id);
	} else {
		ct_create(skb, p, TUPLE_F_IN, rev_nat_nodeport, src_id);
	}
	p->monitor |= monitored;
	int r = redirect_ep(skb, ep, from_ingress);
	if (r != TC_ACT_SHOT && p->monitor)
		send_trace(skb, TRACE_TO_LXC, ep->lxc_id, src_id, ep->sec_id, ep->lxc_id, ep->ifindex, p->reason);
	return r;
}

/* encap: the tunnel endpoint from the ipcache and the source identity as the VNI
 * (bpf/lib/encap.h __encap_with_nodeid4), then to the collect-metadata tunnel device. */
static __always_inline int encap(struct __sk_buff *skb, struct node_config *cfg, __be32 tep, __u32 src_id)
{
	struct bpf_tunnel_key key = {};
	key.remote_ipv4 = bpf_ntohl(tep);
	key.tunnel_id = src_id;
	key.tunnel_ttl = 64;
	if (bpf_skb_set_tunnel_key(skb, &key, sizeof(key), BPF_F_ZERO_CSUM_TX) < 0)
		return TC_ACT_SHOT;
	return bpf_redirect(cfg->tunnel_ifindex, 0);
}

/* The FIB's next hop for a packet the datapath translated (a reply to a NodePort client):
 * straight to the egress device (BPF host routing, bpf_fib_lookup + bpf_redirect_neigh),
 * since the stack would drop its source, the node's own address, as a martian. */
static __always_inline int fib_redirect(struct __sk_buff *skb, struct pkt4 *p)
{
	struct bpf_fib_lookup f = {};
	f.family = 2; /* AF_INET */
	f.l4_protocol = p->proto;
	f.sport = p->sport;
	f.dport = p->dport;
	f.ipv4_src = p->saddr;
	f.ipv4_dst = p->daddr;
	f.ifindex = skb->ingress_ifindex;
	long r = bpf_fib_lookup(skb, &f, sizeof(f), 0);
	if (r == BPF_FIB_LKUP_RET_SUCCESS) {
		__u8 macs[12];
		__builtin_memcpy(macs, f.dmac, 6);
		__builtin_memcpy(macs + 6, f.smac, 6);
		if (bpf_skb_store_bytes(skb, 0, macs, 12, 0) < 0)
			return TC_ACT_SHOT;
		return bpf_redirect(f.ifindex, 0);
	}
	if (r == BPF_FIB_LKUP_RET_NO_NEIGH)
		return bpf_redirect_neigh(f.ifindex, NULL, 0, 0);
	return TC_ACT_OK;
}

/* Into a local endpoint's pod, MACs rewritten (the datapath's redirect without a bridge). */
static __always_inline int redirect_ep(struct __sk_buff *skb, struct endpoint_info *ep, int from_ingress)
{
	__u32 ifindex = ep->ifindex;
	__u8 macs[12];
	__builtin_memcpy(macs, ep->mac, 6);
	__builtin_memcpy(macs + 6, ep->node_mac, 6);
	if (bpf_skb_store_bytes(skb, 0, macs, 12, 0) < 0)
		return TC_ACT_SHOT;
	return from_ingress ? bpf_redirect_peer(ifindex, 0) : bpf_redirect(ifindex, 0);
}

char __license[] SEC("license") = "Dual BSD/GPL";

#endif
