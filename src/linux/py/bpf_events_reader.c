/*
 * One Cilium node's event reader for `podnet observe` (the part of the Cilium agent's
 * monitor that reads the datapath's events for Hubble), in C with libbpf's ring_buffer API;
 * compiled by bpf-events.ts when the observer starts (cc ... -lbpf).
 * Reads the node's pinned BPF ring buffer cilium_events (bpf/lib/events.h: trace and drop
 * notifications in Cilium's layouts, each followed by the packet's first bytes) and prints
 * every record as it came, in hex, for bpf-events-parse.ts to decode; never waits for its
 * consumer (it buffers its output instead).
 * Losses: the programs count the records the ring had no room for in podnet_events_lost;
 * its growth is reported as "L bpf N ring buffer full" (exact).
 * Output lines (tab-separated):
 *   B <unix time> <record hex>   L bpf <count> ring buffer full   R (reading)
 * argv: the node's pinned maps directory.
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* struct trace_notify / drop_notify without the payload (bpf/lib/events.h). */
#define TRACE_HDR 48
#define DROP_HDR 40

#include "out_buffer.h"

static volatile sig_atomic_t done;
static void on_signal(int s) {
  (void)s;
  done = 1;
}

static int on_record(void *ctx, void *data, size_t size) {
  (void)ctx;
  const unsigned char *b = data;
  if (size < 16) return 0;
  size_t hdr = b[0] == 4 ? TRACE_HDR : b[0] == 1 ? DROP_HDR : 0;
  if (!hdr || size < hdr) return 0;
  size_t cap = (size_t)b[12] | (size_t)b[13] << 8; /* len_cap, little-endian */
  size_t n = hdr + cap < size ? hdr + cap : size;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  static const char digits[] = "0123456789abcdef";
  char line[64 + 2 * 512 + 2];
  if (n > 512) n = 512;
  int k = snprintf(line, 64, "B\t%lld.%06ld\t", (long long)ts.tv_sec, ts.tv_nsec / 1000);
  char *hex = line + k;
  for (size_t i = 0; i < n; i++) {
    hex[2 * i] = digits[b[i] >> 4];
    hex[2 * i + 1] = digits[b[i] & 15];
  }
  hex[2 * n] = '\n';
  put(line, (size_t)k + 2 * n + 1);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bpf_events_reader <pinned maps dir>\n");
    return 2;
  }
  prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the observer */
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  char path[4096];
  snprintf(path, sizeof(path), "%s/cilium_events", argv[1]);
  int fd = bpf_obj_get(path);
  if (fd < 0) {
    fprintf(stderr, "bpf_events_reader: %s: %s\n", path, strerror(errno));
    return 1;
  }
  snprintf(path, sizeof(path), "%s/podnet_events_lost", argv[1]);
  int lost_fd = bpf_obj_get(path);
  if (lost_fd < 0) {
    fprintf(stderr, "bpf_events_reader: %s: %s\n", path, strerror(errno));
    return 1;
  }
  struct ring_buffer *rb = ring_buffer__new(fd, on_record, NULL, NULL);
  if (!rb) {
    fprintf(stderr, "bpf_events_reader: ring_buffer__new: %s\n", strerror(errno));
    return 1;
  }
  uint32_t key = 0;
  uint64_t reported = 0;
  /* What the ring lost before we started is not ours to report: start from its count. */
  bpf_map_lookup_elem(lost_fd, &key, &reported);
  /* A bigger pipe to the observer (fs/pipe.c F_SETPIPE_SZ), our stdout non-blocking, and
   * ahead of other processes for the CPU: events are lost when we wait for it. */
  fcntl(1, F_SETPIPE_SZ, 1 << 20);
  fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
  setpriority(PRIO_PROCESS, 0, -10);
  put("R\n", 2);
  flush_out(1);
  char msg[128];
  while (!done) {
    /* Output pending: come back soon to write it. */
    int n = ring_buffer__poll(rb, olen > ooff ? 10 : 200);
    if (n < 0 && n != -EINTR) {
      put(msg, (size_t)snprintf(msg, sizeof(msg), "L\tbpf\t0\tring_buffer__poll: %s\n", strerror(-n)));
      break;
    }
    uint64_t lost = 0;
    if (bpf_map_lookup_elem(lost_fd, &key, &lost) == 0 && lost > reported) {
      put(msg, (size_t)snprintf(msg, sizeof(msg), "L\tbpf\t%llu\tring buffer full\n",
                                 (unsigned long long)(lost - reported)));
      reported = lost;
    }
    flush_out(0);
    /* As observe_reader.c: woken for every record (the programs submit without
     * BPF_RB_NO_WAKEUP), a flood's reader spent its CPU on wakeups. After a round that read
     * something, records gather for 2 ms (~30 a node at 10,000 connections/s; the ring
     * holds ~45,000). */
    if (n > 0) nanosleep(&(struct timespec){.tv_nsec = 2000000L}, NULL);
  }
  flush_out(0);
  ring_buffer__free(rb);
  return 0;
}
