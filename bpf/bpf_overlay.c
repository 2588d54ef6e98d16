/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bpf_overlay: tc ingress of cilium_vxlan / cilium_geneve in collect-metadata mode
 * (cilium/cilium bpf/bpf_overlay.c cil_from_overlay). The VNI is the source's security
 * identity; "any node encapsulating will map any HOST_ID source to be presented as
 * REMOTE_NODE_ID". A packet for a local endpoint goes through its ingress policy and
 * straight into the pod; anything else to the stack.
 */
#include "lib/datapath.h"

SEC("tc")
int cil_from_overlay(struct __sk_buff *skb)
{
	struct pkt4 p;
	if (parse4(skb, &p) < 0)
		return TC_ACT_OK;
	struct bpf_tunnel_key key = {};
	if (bpf_skb_get_tunnel_key(skb, &key, sizeof(key), 0) < 0)
		return send_drop(skb, DROP_NO_TUNNEL_KEY, 0, 0, 0, 0, skb->ifindex);
	__u32 src_id = (__u32)key.tunnel_id;
	if (src_id == ID_HOST)
		src_id = ID_REMOTE_NODE;
	struct endpoint_info *ep = lxc_lookup(p.daddr);
	if (ep)
		return deliver(skb, &p, ep, src_id, 1, 0);
	/* The stack's (a node address; a reply kube-proxy or portmap translated, which its
	 * conntrack turns back): the inner frame still carries the sender's destination MAC, so
	 * it would be another host's (PACKET_OTHERHOST) and ip_rcv would drop it. Cilium makes
	 * it this host's before passing it up (bpf_overlay.c: ctx_change_type(ctx, PACKET_HOST)). */
	bpf_skb_change_type(skb, 0 /* PACKET_HOST */);
	return TC_ACT_OK;
}
