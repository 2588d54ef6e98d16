/*
 * The output buffer of podnet observe's C readers (observe_reader.c, bpf_events_reader.c):
 * lines are appended here and written to stdout without blocking, so a slow consumer (the
 * observer's Node.js, starved of CPU) never stops a reader draining its kernel source
 * (netlink sockets, a BPF ring buffer), whose overflow would lose events. The buffer grows
 * up to OUT_MAX, then writes block. The readers set stdout O_NONBLOCK themselves.
 */
#ifndef PODNET_OUT_BUFFER_H
#define PODNET_OUT_BUFFER_H
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUT_MAX (512u << 20)
static char *out;
static size_t olen, ocap, ooff;

/* Writes what is buffered; without `block`, only what stdout takes now. */
static inline void flush_out(int block) {
  while (ooff < olen) {
    ssize_t n = write(1, out + ooff, olen - ooff);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN && !block) break;
      if (errno == EAGAIN) {
        struct pollfd p = {.fd = 1, .events = POLLOUT};
        poll(&p, 1, -1);
        continue;
      }
      _exit(0); /* nobody reads us */
    }
    ooff += (size_t)n;
  }
  if (ooff == olen) olen = ooff = 0;
  else if (ooff > (4u << 20)) {
    memmove(out, out + ooff, olen - ooff);
    olen -= ooff;
    ooff = 0;
  }
}

/* Room for n more bytes at out + olen (0: none, even after a blocking flush). */
static inline int room(size_t n) {
  if (olen + n <= ocap) return 1;
  if (ocap >= OUT_MAX) flush_out(1);
  if (olen + n <= ocap) return 1;
  size_t c = ocap ? ocap * 2 : (1u << 20);
  while (c < olen + n) c *= 2;
  char *p = realloc(out, c);
  if (!p) {
    flush_out(1);
    return olen + n <= ocap;
  }
  out = p;
  ocap = c;
  return 1;
}

/* Appends n bytes. */
static inline void put(const char *s, size_t n) {
  if (room(n)) {
    memcpy(out + olen, s, n);
    olen += n;
  }
}
#endif
