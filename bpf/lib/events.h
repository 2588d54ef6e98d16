/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The datapath's events for `podnet observe` (Hubble's source on a Cilium node): trace and
 * drop notifications in Cilium's message layouts (cilium/cilium bpf/lib/trace.h
 * struct trace_notify, bpf/lib/drop.h struct drop_notify; decoded by
 * pkg/monitor/datapath_trace.go and datapath_drop.go), followed by the packet's first
 * TRACE_PAYLOAD_LEN bytes.
 * Transport: a BPF ring buffer (BPF_MAP_TYPE_RINGBUF, Linux 5.8) pinned as cilium_events
 * rather than Cilium's perf event array of the same name: one buffer shared by every CPU,
 * read in order. A record that does not fit is counted in podnet_events_lost (the reader
 * reports it: nothing is lost silently).
 * Monitor aggregation "medium" (Cilium's default, --monitor-aggregation): no from-* traces;
 * a to-* trace only when conntrack says so (a new connection, TCP flags SYN/FIN/RST not yet
 * seen in that direction, or CT_REPORT_INTERVAL since the last report: bpf/lib/conntrack.h
 * __ct_update_timeout). Drops are always reported.
 */
#ifndef PODNET_EVENTS_H
#define PODNET_EVENTS_H

#include "common.h"

/* pkg/monitor/api/types.go MessageType* */
#define CILIUM_NOTIFY_DROP 1
#define CILIUM_NOTIFY_TRACE 4
/* bpf/lib/trace.h enum trace_point */
#define TRACE_TO_LXC 0
#define TRACE_TO_STACK 3
#define TRACE_TO_OVERLAY 4
/* bpf/lib/trace.h enum trace_reason */
#define TRACE_REASON_CT_NEW 0
#define TRACE_REASON_CT_ESTABLISHED 1
#define TRACE_REASON_CT_REPLY 2
#define TRACE_REASON_CT_REOPENED 4
/* bpf/lib/common.h DROP_* (negated there; api/v1/flow/flow.proto DropReason numbers). */
#define DROP_INVALID_SIP 132
#define DROP_POLICY 133
#define DROP_WRITE_ERROR 141
#define DROP_NO_TUNNEL_KEY 147
#define DROP_NO_SERVICE 158
#define DROP_POLICY_DENY 181 /* "Policy denied by denylist" (pkg/monitor/api/drop.go) */

#define TRACE_PAYLOAD_LEN 128
#define NOTIFY_VERSION 1
#define DROP_NOTIFY_VERSION 2

/* NOTIFY_CAPTURE_HDR */
struct notify_hdr {
	__u8 type;
	__u8 subtype;
	__u16 source;
	__u32 hash;
	__u32 len_orig;
	__u16 len_cap;
	__u16 version;
};

struct trace_notify {
	struct notify_hdr h;
	__u32 src_label;
	__u32 dst_label;
	__u16 dst_id;
	__u8 reason;
	__u8 flags; /* bit 0: IPv6 */
	__u32 ifindex;
	__be32 orig_ip4;
	__u32 orig_pad[3];
	__u8 data[TRACE_PAYLOAD_LEN];
};

struct drop_notify {
	struct notify_hdr h;
	__u32 src_label;
	__u32 dst_label;
	__u32 dst_id; /* the destination endpoint; 0 on egress */
	__u16 line;
	__u8 file;
	__s8 ext_error;
	__u32 ifindex;
	__u8 flags;
	__u8 pad2[3];
	__u8 data[TRACE_PAYLOAD_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 23); /* 8 MiB: ~45,000 records */
} cilium_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} podnet_events_lost SEC(".maps");

static __always_inline void events_lost(void)
{
	__u32 k = 0;
	__u64 *n = bpf_map_lookup_elem(&podnet_events_lost, &k);
	if (n)
		__sync_fetch_and_add(n, 1);
}

/* The first bytes of the frame (Cilium: the perf event's skb payload, capped at
 * TRACE_PAYLOAD_LEN); 0 when it cannot be read. */
static __always_inline __u16 capture(struct __sk_buff *skb, __u8 *data)
{
	__u32 n = skb->len;
	if (n > TRACE_PAYLOAD_LEN)
		n = TRACE_PAYLOAD_LEN;
	if (n < ETH_HLEN_)
		return 0;
	if (bpf_skb_load_bytes(skb, 0, data, n) < 0)
		return 0;
	return (__u16)n;
}

static __always_inline void notify_hdr(struct notify_hdr *h, struct __sk_buff *skb, __u8 type, __u8 sub,
				       __u16 source, __u16 cap, __u16 version)
{
	h->type = type;
	h->subtype = sub;
	h->source = source;
	h->hash = bpf_get_hash_recalc(skb);
	h->len_orig = skb->len;
	h->len_cap = cap;
	h->version = version;
}

/* send_trace_notify4 */
static __always_inline void send_trace(struct __sk_buff *skb, __u8 point, __u16 source, __u32 src_label,
				       __u32 dst_label, __u16 dst_id, __u32 ifindex, __u8 reason)
{
	struct trace_notify *m = bpf_ringbuf_reserve(&cilium_events, sizeof(*m), 0);
	if (!m) {
		events_lost();
		return;
	}
	__u16 cap = capture(skb, m->data);
	notify_hdr(&m->h, skb, CILIUM_NOTIFY_TRACE, point, source, cap, NOTIFY_VERSION);
	m->src_label = src_label;
	m->dst_label = dst_label;
	m->dst_id = dst_id;
	m->reason = reason;
	m->flags = 0;
	m->ifindex = ifindex;
	m->orig_ip4 = 0;
	m->orig_pad[0] = m->orig_pad[1] = m->orig_pad[2] = 0;
	bpf_ringbuf_submit(m, 0);
}

/* The drop reason of a policy_verdict other than POLICY_VERDICT_PASS: a deny entry's
 * DROP_POLICY_DENY, else DROP_POLICY (bpf/lib/policy.h). */
static __always_inline __u8 policy_drop_reason(int verdict)
{
	return verdict == POLICY_VERDICT_DENY ? DROP_POLICY_DENY : DROP_POLICY;
}

/* send_drop_notify; returns TC_ACT_SHOT for `return send_drop(...)`. */
static __always_inline int send_drop(struct __sk_buff *skb, __u8 reason, __u16 source, __u32 src_label,
				     __u32 dst_label, __u32 dst_id, __u32 ifindex)
{
	struct drop_notify *m = bpf_ringbuf_reserve(&cilium_events, sizeof(*m), 0);
	if (!m) {
		events_lost();
		return TC_ACT_SHOT;
	}
	__u16 cap = capture(skb, m->data);
	notify_hdr(&m->h, skb, CILIUM_NOTIFY_DROP, reason, source, cap, DROP_NOTIFY_VERSION);
	m->src_label = src_label;
	m->dst_label = dst_label;
	m->dst_id = dst_id;
	m->line = 0;
	m->file = 0;
	m->ext_error = 0;
	m->ifindex = ifindex;
	m->flags = 0;
	m->pad2[0] = m->pad2[1] = m->pad2[2] = 0;
	bpf_ringbuf_submit(m, 0);
	return TC_ACT_SHOT;
}

#endif
