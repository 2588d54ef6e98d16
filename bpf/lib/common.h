/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podnet's small Cilium datapath: the maps and helpers shared by bpf_lxc.c,
 * bpf_overlay.c and bpf_host.c. Map names follow Cilium's (cilium/cilium pkg/maps,
 * bpf/lib/maps.h); the layouts follow Cilium's structs (bpf/lib/common.h) where podnet
 * uses the fields, and are simplified where it does not (IPv4 only, no cluster mesh).
 * Every node loads its own copy of the maps, pinned under the cluster's bpffs mount
 * (/run/podnet/<cluster>/bpf/<node>/); podnet fills them from the IR (NodeNet.bpf).
 */
#ifndef PODNET_COMMON_H
#define PODNET_COMMON_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Reserved identities (pkg/identity/numericidentity.go). */
#define ID_WORLD 2
#define ID_HOST 1
#define ID_REMOTE_NODE 6

/* cilium_lb4_services_v2: struct lb4_key / lb4_service (bpf/lib/common.h). */
struct lb4_key {
	__be32 address;
	__be16 dport;
	__u16 backend_slot; /* 0: the service itself; n: its n-th backend */
	__u8 proto;
	__u8 scope;
	__u8 pad[2];
};
struct lb4_service {
	__u32 backend_id; /* slot n: the backend; slot 0: unused */
	__u16 count;
	__u16 rev_nat_index;
	__u8 flags;
	__u8 flags2;
	__u16 qcount;
};
/* cilium_lb4_backends_v3: struct lb4_backend. */
struct lb4_backend {
	__be32 address;
	__be16 port;
	__u8 proto;
	__u8 flags;
	__u16 cluster_id;
	__u8 zone;
	__u8 pad;
};
/* cilium_lb4_reverse_nat: struct lb4_reverse_nat. */
struct lb4_reverse_nat {
	__be32 address;
	__be16 port;
	__u16 pad;
};
/* lb4_service.flags (SVC_FLAG_* in bpf/lib/common.h): frontends only cil_from_netdev serves. */
#define SVC_FLAG_NODEPORT (1 << 1)
#define SVC_FLAG_LOADBALANCER (1 << 5)
#define SVC_FLAG_EXTERNAL_IP (1 << 0)
#define SVC_FLAG_HOSTPORT (1 << 3)
#define SVC_FLAG_AFFINITY (1 << 4)

/* cilium_ct4_global: struct ipv4_ct_tuple / ct_entry. */
struct ipv4_ct_tuple {
	__be32 daddr;
	__be32 saddr;
	__be16 dport;
	__be16 sport;
	__u8 nexthdr;
	__u8 flags;
} __attribute__((packed));
#define TUPLE_F_OUT 0
#define TUPLE_F_IN 1
#define TUPLE_F_SERVICE 4
struct ct_entry {
	__u64 reserved0;
	__u64 backend_id;
	__u64 packets;
	__u64 bytes;
	__u32 lifetime;
	__u16 flags;
	__u16 rev_nat_index;
	__u16 ifindex;
	__u8 tx_flags_seen;
	__u8 rx_flags_seen;
	__u32 src_sec_id;
	__u32 last_tx_report;
	__u32 last_rx_report;
};

/* cilium_ipcache_v2: struct ipcache_key (LPM; prefixlen counts the 32 bits before ip4) /
 * remote_endpoint_info. */
struct ipcache_key {
	__u32 prefixlen;
	__u16 cluster_id;
	__u8 pad1;
	__u8 family;
	__be32 ip4;
};
#define IPCACHE_PREFIX_BASE 32
struct remote_endpoint_info {
	__u32 sec_identity;
	__be32 tunnel_endpoint; /* 0: local or not behind a tunnel */
	__u16 pad;
	__u8 key;
	__u8 flags;
};

/* cilium_lxc: struct endpoint_key / endpoint_info. flags: podnet keeps the per-direction
 * enforcement here (Cilium encodes it as an allow-all entry in the policy map: podnet
 * fills that entry too). */
struct endpoint_key {
	__be32 ip4;
	__u8 family;
	__u8 key;
	__u16 cluster_id;
};
struct endpoint_info {
	__u32 ifindex;
	__u16 unused;
	__u16 lxc_id;
	__u32 flags;
	__u8 mac[8];
	__u8 node_mac[8];
	__u32 sec_id;
	__u32 pad[3];
};
#define EP_F_INGRESS_ENFORCED 1
#define EP_F_EGRESS_ENFORCED 2

/* Policy (struct policy_key, bpf/lib/policy.h). Cilium has one map per endpoint
 * (cilium_policy_v2_<id>); podnet puts the endpoint id in the key of one LPM map per node.
 * prefixlen counts lxc_id..sec_label (64 bits) + protocol and pad (16) + dport bits. */
struct policy_key {
	__u32 prefixlen;
	__be16 lxc_id;
	__u8 egress;
	__u8 pad1;
	__be32 sec_label;
	__u8 protocol;
	__u8 pad2;
	__be16 dport;
};
#define POLICY_FULL_PREFIX 96
struct policy_entry {
	__u32 flags;
	__u32 pad;
	__u64 packets;
	__u64 bytes;
};
/* policy_entry.flags (pkg/maps/policymap policyFlagDeny): a deny entry (CiliumNetworkPolicy
 * ingressDeny/egressDeny). */
#define POLICY_F_DENY 1

/* Per-node settings (Cilium compiles these into node_config.h; podnet keeps one object per
 * program for every node and reads them here). */
struct node_config {
	__u32 tunnel_ifindex; /* 0: native routing */
	__u32 host_ifindex;   /* cilium_host */
	__be32 router_ip;
	__be32 node_ip;
	__u32 flags;
	__u32 pad;
};
#define CFG_KPR 1

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct lb4_key);
	__type(value, struct lb4_service);
	__uint(max_entries, 65536);
} cilium_lb4_services_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct lb4_backend);
	__uint(max_entries, 65536);
} cilium_lb4_backends_v3 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u16);
	__type(value, struct lb4_reverse_nat);
	__uint(max_entries, 65536);
} cilium_lb4_reverse_nat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct ipv4_ct_tuple);
	__type(value, struct ct_entry);
	__uint(max_entries, 65536);
} cilium_ct4_global SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct ipcache_key);
	__type(value, struct remote_endpoint_info);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} cilium_ipcache_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct endpoint_key);
	__type(value, struct endpoint_info);
	__uint(max_entries, 4096);
} cilium_lxc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct policy_key);
	__type(value, struct policy_entry);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} cilium_policy_v2 SEC(".maps");

/* cilium_snat_v4_external: NodePort SNAT mode. Key: the reply's tuple as it reaches this
 * node (backend → node address); value: what the reply becomes (frontend → client). Cilium
 * splits this between the SNAT entry (to_daddr) and conntrack's rev_nat_index (the
 * frontend); podnet keeps both here, and keeps the client's source port. */
struct ipv4_nat_entry {
	__u64 created;
	__be32 to_saddr;
	__be16 to_sport;
	__u16 pad1;
	__be32 to_daddr;
	__be16 to_dport;
	__u16 pad2;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct ipv4_ct_tuple);
	__type(value, struct ipv4_nat_entry);
	__uint(max_entries, 65536);
} cilium_snat_v4_external SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct node_config);
	__uint(max_entries, 1);
} podnet_node_cfg SEC(".maps");

#define ETH_HLEN_ 14
#define IP_CSUM_OFF (ETH_HLEN_ + offsetof(struct iphdr, check))
#define IP_DST_OFF (ETH_HLEN_ + offsetof(struct iphdr, daddr))
#define IP_SRC_OFF (ETH_HLEN_ + offsetof(struct iphdr, saddr))
#ifndef offsetof
#define offsetof(t, m) __builtin_offsetof(t, m)
#endif

static __always_inline struct node_config *node_cfg(void)
{
	__u32 k = 0;
	return bpf_map_lookup_elem(&podnet_node_cfg, &k);
}

/* The packet's IPv4 5-tuple (ports 0 for other protocols); -1 when not IPv4 (or fragmented
 * beyond the first fragment, whose ports are absent). */
struct pkt4 {
	__be32 saddr, daddr;
	__be16 sport, dport;
	__u8 proto;
	__u8 tcp_flags; /* FIN SYN RST PSH ACK URG (the 14th byte of the TCP header) */
	__u8 monitor;	/* conntrack says: report a trace of this packet (events.h) */
	__u8 reason;	/* TRACE_REASON_* of the conntrack lookup */
	__u32 l4off;
};

static __always_inline int parse4(struct __sk_buff *skb, struct pkt4 *p)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return -1;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->ihl < 5)
		return -1;
	p->saddr = ip->saddr;
	p->daddr = ip->daddr;
	p->proto = ip->protocol;
	p->l4off = ETH_HLEN_ + ip->ihl * 4;
	p->sport = p->dport = 0;
	p->tcp_flags = p->monitor = p->reason = 0;
	if (ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP) {
		__be16 ports[2];
		if (bpf_skb_load_bytes(skb, p->l4off, ports, 4) < 0)
			return -1;
		p->sport = ports[0];
		p->dport = ports[1];
	}
	if (ip->protocol == IPPROTO_TCP && bpf_skb_load_bytes(skb, p->l4off + 13, &p->tcp_flags, 1) < 0)
		return -1;
	return 0;
}

static __always_inline __u32 l4_csum_off(struct pkt4 *p)
{
	return p->l4off + (p->proto == IPPROTO_TCP ? offsetof(struct tcphdr, check) : offsetof(struct udphdr, check));
}

/* Rewrites one address (daddr or saddr) and its port, fixing the IP and L4 checksums
 * (Cilium: lb4_xlate / lb4_rev_nat in bpf/lib/lb.h). */
static __always_inline int xlate4(struct __sk_buff *skb, struct pkt4 *p, int dst, __be32 addr, __be16 port)
{
	__be32 old = dst ? p->daddr : p->saddr;
	__be16 oldport = dst ? p->dport : p->sport;
	int l4 = p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP;
	__u64 mangled = p->proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	if (old != addr) {
		if (bpf_skb_store_bytes(skb, dst ? IP_DST_OFF : IP_SRC_OFF, &addr, 4, 0) < 0)
			return -1;
		if (bpf_l3_csum_replace(skb, IP_CSUM_OFF, old, addr, 4) < 0)
			return -1;
		if (l4 && bpf_l4_csum_replace(skb, l4_csum_off(p), old, addr, BPF_F_PSEUDO_HDR | mangled | 4) < 0)
			return -1;
	}
	if (l4 && port && oldport != port) {
		if (bpf_skb_store_bytes(skb, p->l4off + (dst ? 2 : 0), &port, 2, 0) < 0)
			return -1;
		if (bpf_l4_csum_replace(skb, l4_csum_off(p), oldport, port, mangled | 2) < 0)
			return -1;
	}
	if (dst) {
		p->daddr = addr;
		if (port)
			p->dport = port;
	} else {
		p->saddr = addr;
		if (port)
			p->sport = port;
	}
	return 0;
}

static __always_inline struct remote_endpoint_info *ipcache_lookup(__be32 ip)
{
	struct ipcache_key k = {.prefixlen = IPCACHE_PREFIX_BASE + 32, .family = 1, .ip4 = ip};
	return bpf_map_lookup_elem(&cilium_ipcache_v2, &k);
}

static __always_inline struct endpoint_info *lxc_lookup(__be32 ip)
{
	struct endpoint_key k = {.ip4 = ip, .family = 1};
	return bpf_map_lookup_elem(&cilium_lxc, &k);
}

static __always_inline __u32 identity_of(__be32 ip)
{
	struct remote_endpoint_info *i = ipcache_lookup(ip);
	return i ? i->sec_identity : ID_WORLD;
}

/* policy_verdict's results; events.h's policy_drop_reason gives each its DROP_* reason. */
#define POLICY_VERDICT_PASS 0
#define POLICY_VERDICT_NO_ENTRY 1 /* enforced, no entry matches: DROP_POLICY */
#define POLICY_VERDICT_DENY 2	  /* a deny entry matches: DROP_POLICY_DENY */

/* Policy verdict (bpf/lib/policy.h __policy_can_access): the peer's identity, then ANY (0).
 * The longest matching prefix decides: a deny entry drops, an allow entry passes. Deny wins
 * over allow because the agent side resolves it (pkg/policy/mapstate.go; podnet's
 * plumbing/cilium/maps.ts): an identity's allow and deny entries do not overlap, or the deny
 * is the longer prefix (beside an any-protocol allow). A direction without enforcement is
 * looked up too: its deny entries still drop (deny rules apply without an allow policy), and
 * podnet writes it an identity-0 allow-all entry for the rest; no entry at all passes there. */
static __always_inline int policy_verdict(struct __sk_buff *skb, struct endpoint_info *ep, int egress, __u32 peer,
					  struct pkt4 *p)
{
	int enforced = ep->flags & (egress ? EP_F_EGRESS_ENFORCED : EP_F_INGRESS_ENFORCED);
	struct policy_key k = {
		.prefixlen = POLICY_FULL_PREFIX,
		.lxc_id = bpf_htons(ep->lxc_id),
		.egress = egress,
		.sec_label = bpf_htonl(peer),
		.protocol = p->proto,
		.dport = p->dport,
	};
	struct policy_entry *e = bpf_map_lookup_elem(&cilium_policy_v2, &k);
	if (!e) {
		k.sec_label = 0;
		e = bpf_map_lookup_elem(&cilium_policy_v2, &k);
	}
	if (!e)
		return enforced ? POLICY_VERDICT_NO_ENTRY : POLICY_VERDICT_PASS;
	/* Counted on a deny too (policy.h __account_and_check). */
	__sync_fetch_and_add(&e->packets, 1);
	__sync_fetch_and_add(&e->bytes, skb->len);
	return (e->flags & POLICY_F_DENY) ? POLICY_VERDICT_DENY : POLICY_VERDICT_PASS;
}

#endif
