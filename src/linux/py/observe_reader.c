/*
 * One node's flow reader for `podnet observe`, in C (compiled by observe-cc.ts when the
 * observer starts; observe_reader.py is the fallback without a C compiler). Run by
 * observe-main.js through `ip netns exec <node netns>`, so every socket is the node's.
 *
 * Why C: at 10,000 new connections/s between pods on two nodes the kernel emits ~80,000
 * conntrack events/s (NEW + 3 UPDATEs per connection and per node, plus the VXLAN outer
 * flow); `conntrack -E` piped through Python lost events on a 2-CPU machine. Here both
 * sources are read straight from netlink, in batches, with one write per batch.
 *
 * Sources (the same line format as observe_reader.py, so observe-parse.ts reads both):
 *   - conntrack events: NETLINK_NETFILTER bound to NFNLGRP_CONNTRACK_NEW|UPDATE
 *     (include/uapi/linux/netfilter/nfnetlink.h); messages as ctnetlink_conntrack_event
 *     builds them (net/netfilter/nf_conntrack_netlink.c). Printed in conntrack-tools'
 *     `conntrack -E -o timestamp` text shape (libnetfilter_conntrack snprintf_default).
 *   - NFLOG group G (nfnetlink_log), with NFULNL_CFG_F_SEQ: a gap in the sequence numbers
 *     is the exact count of messages the kernel could not queue.
 * Losses are exact: each socket's drop counter (SO_MEMINFO's SK_MEMINFO_DROPS, which
 * net/netlink/af_netlink.c netlink_overrun increments once per message it could not queue)
 * is reported as it grows: "L conntrack N overrun"; NFLOG's gaps as "L nflog N sequence gap".
 * Output lines (tab-separated):
 *   C <conntrack line>   N <unix time> <seq> <prefix JSON> <payload hex>
 *   L <source> <count> <why>   R (both sources listening)
 * argv: NFLOG group, netlink receive buffer (bytes).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_RCVBUFFORCE
#define SO_RCVBUFFORCE 33
#endif
#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif

#include "out_buffer.h"

/* Writers at a cursor into the output, for the per-event lines: a conntrack event printed
 * with a dozen vsnprintf calls cost several times what these take (a micro-benchmark of
 * conntrack_msg alone, on a synthetic TCP UPDATE), at ~80,000 events/s in a flood. */
static char *w_str(char *w, const char *s) {
  while (*s) *w++ = *s++;
  return w;
}
static char *w_u(char *w, unsigned long v) {
  char t[20];
  int i = 0;
  do t[i++] = (char)('0' + v % 10);
  while ((v /= 10));
  while (i) *w++ = t[--i];
  return w;
}
/* Six digits, zero-padded (the microseconds of a timestamp). */
static char *w_usec(char *w, unsigned long us) {
  for (int i = 5; i >= 0; i--, us /= 10) w[i] = (char)('0' + us % 10);
  return w + 6;
}
/* Dotted quad, as inet_ntop(AF_INET) writes it. */
static char *w_ip4(char *w, const unsigned char *a) {
  for (int i = 0; i < 4; i++) {
    if (i) *w++ = '.';
    w = w_u(w, a[i]);
  }
  return w;
}

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit(const char *fmt, ...) {
  va_list ap;
  if (!room(1024)) return;
  va_start(ap, fmt);
  int n = vsnprintf(out + olen, ocap - olen, fmt, ap);
  va_end(ap);
  if (n > 0 && (size_t)n < ocap - olen) olen += (size_t)n;
}

static void die(const char *what) {
  fprintf(stderr, "observe_reader: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int nl_open(unsigned groups, int rcvbuf) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0) die("netlink socket");
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0 &&
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0)
    die("SO_RCVBUF");
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = groups};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("netlink bind");
  return fd;
}

static uint32_t drops(int fd) {
  uint32_t mem[SK_MEMINFO_VARS] = {0};
  socklen_t len = sizeof mem;
  if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0) return 0;
  return mem[SK_MEMINFO_DROPS];
}

/* An NFLOG config request (nfnetlink_log.h), acknowledged. */
static void nflog_config(int fd, uint16_t group, uint16_t atype, const void *data, uint16_t dlen) {
  char buf[256];
  memset(buf, 0, sizeof buf);
  struct nlmsghdr *h = (struct nlmsghdr *)buf;
  struct nfgenmsg *g = (struct nfgenmsg *)(buf + NLMSG_HDRLEN);
  struct nlattr *a = (struct nlattr *)(buf + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof *g));
  static uint32_t seq;
  a->nla_type = atype;
  a->nla_len = (uint16_t)(NLA_HDRLEN + dlen);
  memcpy((char *)a + NLA_HDRLEN, data, dlen);
  h->nlmsg_len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof *g) + NLA_ALIGN(a->nla_len);
  h->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
  h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  h->nlmsg_seq = ++seq;
  g->nfgen_family = AF_UNSPEC;
  g->res_id = htons(group);
  if (send(fd, buf, h->nlmsg_len, 0) < 0) die("NFLOG config");
  ssize_t n = recv(fd, buf, sizeof buf, 0);
  if (n < 0) die("NFLOG config reply");
  if (h->nlmsg_type == NLMSG_ERROR) {
    int err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
    if (err) {
      errno = -err;
      die("NFLOG config");
    }
  }
}

/* Nested attributes into a table by type (the types we read are all < 16). */
static void attrs(const char *p, int len, const struct nlattr **tb, int max) {
  memset(tb, 0, sizeof(*tb) * (size_t)max);
  while (len >= NLA_HDRLEN) {
    const struct nlattr *a = (const struct nlattr *)p;
    if (a->nla_len < NLA_HDRLEN || a->nla_len > len) break;
    int t = a->nla_type & NLA_TYPE_MASK;
    if (t < max) tb[t] = a;
    int step = NLA_ALIGN(a->nla_len);
    p += step;
    len -= step;
  }
}
#define PAYLOAD(a) ((const char *)(a) + NLA_HDRLEN)
#define PLEN(a) ((int)(a)->nla_len - NLA_HDRLEN)

static const char *proto_name(unsigned p) {
  switch (p) {
  case 1: return "icmp";
  case 4: return "ipip";
  case 6: return "tcp";
  case 17: return "udp";
  case 47: return "gre";
  case 58: return "icmpv6";
  case 132: return "sctp";
  default: return "unknown";
  }
}

/* libnetfilter_conntrack's names for enum tcp_conntrack (src/conntrack/snprintf_default.c). */
static const char *tcp_states[] = {"NONE",     "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT",
                                   "LAST_ACK", "TIME_WAIT", "CLOSE",   "LISTEN"};

/* " src=… dst=… sport=… dport=…" of one CTA_TUPLE_*, written at w (room for 256 bytes). */
static char *tuple(char *w, const struct nlattr *t) {
  const struct nlattr *tb[8], *ip[8], *pr[8];
  attrs(PAYLOAD(t), PLEN(t), tb, 8);
  const struct nlattr *s4 = NULL, *d4 = NULL, *s6 = NULL, *d6 = NULL;
  if (tb[CTA_TUPLE_IP]) {
    attrs(PAYLOAD(tb[CTA_TUPLE_IP]), PLEN(tb[CTA_TUPLE_IP]), ip, 8);
    s4 = ip[CTA_IP_V4_SRC], d4 = ip[CTA_IP_V4_DST], s6 = ip[CTA_IP_V6_SRC], d6 = ip[CTA_IP_V6_DST];
  }
  char a6[INET6_ADDRSTRLEN];
  w = w_str(w, " src=");
  if (s6 && inet_ntop(AF_INET6, PAYLOAD(s6), a6, sizeof a6)) w = w_str(w, a6);
  else w = s4 && PLEN(s4) >= 4 ? w_ip4(w, (const unsigned char *)PAYLOAD(s4)) : w_str(w, "?");
  w = w_str(w, " dst=");
  if (d6 && inet_ntop(AF_INET6, PAYLOAD(d6), a6, sizeof a6)) w = w_str(w, a6);
  else w = d4 && PLEN(d4) >= 4 ? w_ip4(w, (const unsigned char *)PAYLOAD(d4)) : w_str(w, "?");
  if (tb[CTA_TUPLE_PROTO]) {
    attrs(PAYLOAD(tb[CTA_TUPLE_PROTO]), PLEN(tb[CTA_TUPLE_PROTO]), pr, 8);
    if (pr[CTA_PROTO_SRC_PORT] && pr[CTA_PROTO_DST_PORT]) {
      w = w_u(w_str(w, " sport="), ntohs(*(const uint16_t *)PAYLOAD(pr[CTA_PROTO_SRC_PORT])));
      w = w_u(w_str(w, " dport="), ntohs(*(const uint16_t *)PAYLOAD(pr[CTA_PROTO_DST_PORT])));
    }
    if (pr[CTA_PROTO_ICMP_TYPE] && pr[CTA_PROTO_ICMP_CODE] && pr[CTA_PROTO_ICMP_ID]) {
      w = w_u(w_str(w, " type="), *(const uint8_t *)PAYLOAD(pr[CTA_PROTO_ICMP_TYPE]));
      w = w_u(w_str(w, " code="), *(const uint8_t *)PAYLOAD(pr[CTA_PROTO_ICMP_CODE]));
      w = w_u(w_str(w, " id="), ntohs(*(const uint16_t *)PAYLOAD(pr[CTA_PROTO_ICMP_ID])));
    }
  }
  return w;
}

static void conntrack_msg(const struct nlmsghdr *h, const struct timespec *now) {
  if (NFNL_SUBSYS_ID(h->nlmsg_type) != NFNL_SUBSYS_CTNETLINK || NFNL_MSG_TYPE(h->nlmsg_type) != IPCTNL_MSG_CT_NEW)
    return;
  const struct nlattr *tb[16];
  int hl = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
  if ((int)h->nlmsg_len < hl) return;
  attrs((const char *)h + hl, (int)h->nlmsg_len - hl, tb, 16);
  if (!tb[CTA_TUPLE_ORIG] || !tb[CTA_TUPLE_REPLY]) return;
  /* ctnetlink_conntrack_event: NEW (and RELATED) carry NLM_F_CREATE|NLM_F_EXCL, updates not. */
  const char *kind = (h->nlmsg_flags & NLM_F_CREATE) ? "NEW" : "UPDATE";
  /* The protocol number is inside the tuple: print the tuples after peeking it. */
  const struct nlattr *ot[8], *pr[8];
  unsigned proto = 0;
  attrs(PAYLOAD(tb[CTA_TUPLE_ORIG]), PLEN(tb[CTA_TUPLE_ORIG]), ot, 8);
  if (ot[CTA_TUPLE_PROTO]) {
    attrs(PAYLOAD(ot[CTA_TUPLE_PROTO]), PLEN(ot[CTA_TUPLE_PROTO]), pr, 8);
    if (pr[CTA_PROTO_NUM]) proto = *(const uint8_t *)PAYLOAD(pr[CTA_PROTO_NUM]);
  }
  /* A line is at most ~70 bytes of head, two tuples of 256 and 22 of flags. */
  if (!room(1024)) return;
  char *w = out + olen;
  w = w_u(w_str(w, "C\t["), (unsigned long)now->tv_sec);
  *w++ = '.';
  w = w_usec(w, (unsigned long)now->tv_nsec / 1000);
  w = w_str(w_str(w_str(w, "]\t["), kind), "] ");
  w = w_u(w_str(w_str(w, proto_name(proto)), " "), proto);
  if (tb[CTA_TIMEOUT]) w = w_u(w_str(w, " "), ntohl(*(const uint32_t *)PAYLOAD(tb[CTA_TIMEOUT])));
  if (tb[CTA_PROTOINFO]) {
    const struct nlattr *pi[8], *tcp[8];
    attrs(PAYLOAD(tb[CTA_PROTOINFO]), PLEN(tb[CTA_PROTOINFO]), pi, 8);
    if (pi[CTA_PROTOINFO_TCP]) {
      attrs(PAYLOAD(pi[CTA_PROTOINFO_TCP]), PLEN(pi[CTA_PROTOINFO_TCP]), tcp, 8);
      if (tcp[CTA_PROTOINFO_TCP_STATE]) {
        unsigned st = *(const uint8_t *)PAYLOAD(tcp[CTA_PROTOINFO_TCP_STATE]);
        if (st < sizeof tcp_states / sizeof *tcp_states) w = w_str(w_str(w, " "), tcp_states[st]);
      }
    }
  }
  w = tuple(w, tb[CTA_TUPLE_ORIG]);
  uint32_t status = tb[CTA_STATUS] ? ntohl(*(const uint32_t *)PAYLOAD(tb[CTA_STATUS])) : 0;
  if (!(status & (1u << 1))) w = w_str(w, " [UNREPLIED]"); /* IPS_SEEN_REPLY */
  w = tuple(w, tb[CTA_TUPLE_REPLY]);
  if (status & (1u << 2)) w = w_str(w, " [ASSURED]"); /* IPS_ASSURED */
  *w++ = '\n';
  olen = (size_t)(w - out);
}

static long long last_seq = -1;

static void nflog_msg(const struct nlmsghdr *h, const struct timespec *now) {
  if (NFNL_SUBSYS_ID(h->nlmsg_type) != NFNL_SUBSYS_ULOG || NFNL_MSG_TYPE(h->nlmsg_type) != NFULNL_MSG_PACKET) return;
  const struct nlattr *tb[NFULA_MAX + 1];
  int hl = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
  if ((int)h->nlmsg_len < hl) return;
  attrs((const char *)h + hl, (int)h->nlmsg_len - hl, tb, NFULA_MAX + 1);
  long long seq = -1;
  if (tb[NFULA_SEQ]) seq = ntohl(*(const uint32_t *)PAYLOAD(tb[NFULA_SEQ]));
  if (seq >= 0) {
    if (last_seq >= 0 && seq > last_seq + 1) emit("L\tnflog\t%lld\tsequence gap\n", seq - last_seq - 1);
    last_seq = seq;
  }
  /* Head ~40 bytes, the prefix (< 128 bytes, 6 each when escaped), 128 of hex. */
  if (!room(1024)) return;
  char *w = out + olen;
  w = w_u(w_str(w, "N\t"), (unsigned long)now->tv_sec);
  *w++ = '.';
  w = w_str(w_usec(w, (unsigned long)now->tv_nsec / 1000), "\t");
  w = w_str(seq >= 0 ? w_u(w, (unsigned long)seq) : w_str(w, "None"), "\t\"");
  if (tb[NFULA_PREFIX]) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)PAYLOAD(tb[NFULA_PREFIX]);
    int n = PLEN(tb[NFULA_PREFIX]);
    if (n > 128) n = 128;
    for (int i = 0; i < n && p[i]; i++) {
      if (p[i] == '"' || p[i] == '\\') *w++ = '\\', *w++ = (char)p[i];
      else if (p[i] < 0x20) w = w_str(w, "\\u00"), *w++ = hex[p[i] >> 4], *w++ = hex[p[i] & 15];
      else *w++ = (char)p[i];
    }
  }
  w = w_str(w, "\"\t");
  if (tb[NFULA_PAYLOAD]) {
    const unsigned char *p = (const unsigned char *)PAYLOAD(tb[NFULA_PAYLOAD]);
    int n = PLEN(tb[NFULA_PAYLOAD]);
    if (n > 64) n = 64;
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < n; i++) {
      *w++ = hex[p[i] >> 4];
      *w++ = hex[p[i] & 15];
    }
  }
  *w++ = '\n';
  olen = (size_t)(w - out);
}

/* How long events gather after a busy round: 2 ms is ~150 events a node at 10,000
 * connections/s, far below what the receive buffer holds, and no delay a reader of
 * the flow log sees. */
#define GATHER_NS 2000000L

static char buf[1 << 16];
#define BATCH 128
static char bufs[BATCH][4096];

/* Reads what is queued on fd (non-blocking), at most `rounds` receive calls, handing each
 * message to fn. conntrack's events are one skb each: recvmmsg takes up to BATCH a call. */
static void drain(int fd, void (*fn)(const struct nlmsghdr *, const struct timespec *), const char *src, int many) {
  static struct mmsghdr mm[BATCH];
  static struct iovec iov[BATCH];
  for (int round = 0; round < 64; round++) {
    struct timespec now;
    int got;
    if (many) {
      for (int i = 0; i < BATCH; i++) {
        iov[i].iov_base = bufs[i];
        iov[i].iov_len = sizeof bufs[i];
        memset(&mm[i].msg_hdr, 0, sizeof mm[i].msg_hdr);
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
      }
      got = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
    } else {
      ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      got = n < 0 ? -1 : 1;
      mm[0].msg_len = n < 0 ? 0 : (unsigned)n;
    }
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == ENOBUFS) continue; /* counted exactly by the socket's drop counter */
      fprintf(stderr, "observe_reader: %s recv: %s\n", src, strerror(errno));
      exit(1);
    }
    clock_gettime(CLOCK_REALTIME, &now);
    for (int i = 0; i < got; i++) {
      int len = (int)mm[i].msg_len;
      const char *b = many ? bufs[i] : buf;
      for (const struct nlmsghdr *h = (const struct nlmsghdr *)b; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) fn(h, &now);
    }
    if (many && got < BATCH) return;
  }
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: observe_reader GROUP RCVBUF\n");
    return 1;
  }
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() == 1) return 0; /* the parent died before prctl: nobody reads us */
  signal(SIGPIPE, SIG_DFL);
  uint16_t group = (uint16_t)atoi(argv[1]);
  int rcvbuf = atoi(argv[2]);

  int ct = nl_open((1u << (NFNLGRP_CONNTRACK_NEW - 1)) | (1u << (NFNLGRP_CONNTRACK_UPDATE - 1)), rcvbuf);
  int nl = nl_open(0, rcvbuf);
  uint8_t bind_cmd[4] = {NFULNL_CFG_CMD_BIND, 0, 0, 0};
  nflog_config(nl, group, NFULA_CFG_CMD, bind_cmd, 4);
  /* Copy 128 bytes of each packet: the IP and TCP/UDP headers are all we read. */
  struct nfulnl_msg_config_mode mode = {.copy_range = htonl(128), .copy_mode = NFULNL_COPY_PACKET};
  nflog_config(nl, group, NFULA_CFG_MODE, &mode, sizeof mode);
  uint16_t flags = htons(NFULNL_CFG_F_SEQ);
  uint8_t fl[4];
  memcpy(fl, &flags, 2);
  fl[2] = fl[3] = 0;
  nflog_config(nl, group, NFULA_CFG_FLAGS, fl, 4);
  /* Flush batches after 0.1 s (default 1 s) so a drop shows at once. */
  uint32_t timeout = htonl(10);
  nflog_config(nl, group, NFULA_CFG_TIMEOUT, &timeout, 4);

  /* A bigger pipe to the observer (fs/pipe.c F_SETPIPE_SZ, up to pipe-max-size), and our
   * stdout non-blocking: see flush_out. Ahead of other processes for the CPU: we use
   * little of it, but events are lost when we wait for it. */
  fcntl(1, F_SETPIPE_SZ, 1 << 20);
  fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
  setpriority(PRIO_PROCESS, 0, -10);
  emit("R\n");
  flush_out(1);
  uint32_t ct_drops = drops(ct);
  struct pollfd p[3] = {{.fd = ct, .events = POLLIN}, {.fd = nl, .events = POLLIN}, {.fd = 1, .events = POLLOUT}};
  for (;;) {
    if (poll(p, olen > ooff ? 3 : 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    int busy = p[0].revents || p[1].revents;
    if (p[0].revents) drain(ct, conntrack_msg, "conntrack", 1);
    if (p[1].revents) drain(nl, nflog_msg, "nflog", 0);
    uint32_t d = drops(ct);
    if (d != ct_drops) emit("L\tconntrack\t%u\toverrun\n", d - ct_drops);
    ct_drops = d;
    /* NFLOG's own drops are in its sequence gaps (a dropped skb may hold several messages). */
    flush_out(0);
    /* Events come one skb each: woken for every one, under a flood this process spent more
     * CPU on wakeups (poll, recvmmsg, the pipe write, the observer's read) than on events.
     * After a busy round it lets them gather for a moment (the first event of a quiet spell
     * is still read at once); the receive buffer holds seconds of a flood. */
    if (busy) nanosleep(&(struct timespec){.tv_nsec = GATHER_NS}, NULL);
  }
}
