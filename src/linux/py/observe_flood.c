/*
 * The connection flood of `podnet observe`'s bench and kernel test (bench/observe.ts,
 * observe-flood.kernel.test.ts), run inside pod namespaces by `podnet exec`:
 *   observe_flood connect IP PORT SECONDS RATE INFLIGHT [PROCS]
 *     opens TCP connections to IP:PORT for SECONDS, non-blocking, at most INFLIGHT at once,
 *     paced to RATE/s (0: as fast as it can). Each completes its handshake, then is closed
 *     with SO_LINGER 0 (an RST: no TIME_WAIT to run out of ports). Prints
 *     "<completed> <failed> <seconds>" where failed = refused, reset or timed out.
 *     PROCS (default 1) processes share RATE and INFLIGHT, the sums printed: one process
 *     on a busy 2-CPU machine made ~2,400/s (one CPU's scheduler share, not the kernel's
 *     limit), as many clients would.
 *   observe_flood accept PORT SECONDS [PROCS]
 *     listens on PORT and accepts what comes for SECONDS, each closed when its client has
 *     reset it; prints the count.
 *     A Python or Node.js server would compete for the same CPUs as the observer. PROCS
 *     processes accept on the one listening socket.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int accept_mode(int port, double secs, int procs) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 65535) < 0) {
    perror("observe_flood accept: bind/listen");
    return 2;
  }
  int fds[2];
  if (pipe(fds) < 0) return 2;
  for (int i = 1; i < procs; i++)
    if (fork() == 0) {
      procs = 0; /* a child: counts, then reports through the pipe */
      break;
    }
  if (procs > 0) {
    printf("listening\n");
    fflush(stdout);
  }
  /* Each accepted socket is closed once the client has gone (its RST makes it readable),
   * as a server reading until the peer leaves: closed earlier, it would send a FIN that
   * the client, not yet closed, ACKs before its RST (two more packets, two more conntrack
   * UPDATEs, FIN_WAIT and CLOSE_WAIT, on each node for nothing the bench measures). */
  int ep = epoll_create1(0);
  struct epoll_event le = {.events = EPOLLIN, .data.fd = s}, evs[256];
  epoll_ctl(ep, EPOLL_CTL_ADD, s, &le);
  long n = 0;
  double end = now() + secs;
  while (now() < end) {
    int k = epoll_wait(ep, evs, 256, 100);
    for (int i = 0; i < k; i++) {
      if (evs[i].data.fd != s) {
        close(evs[i].data.fd); /* also leaves the epoll set */
        continue;
      }
      for (;;) {
        int c = accept4(s, NULL, NULL, SOCK_NONBLOCK);
        if (c < 0) break;
        n++;
        struct epoll_event ce = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = c};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce) < 0) close(c);
      }
    }
  }
  if (procs == 0) {
    if (write(fds[1], &n, sizeof n) != sizeof n) return 1;
    return 0;
  }
  close(fds[1]);
  for (long m; read(fds[0], &m, sizeof m) == sizeof m;) n += m;
  while (wait(NULL) > 0) {
  }
  printf("%ld\n", n);
  return 0;
}

/* One client's loop: res[0] completed, res[1] failed; returns its seconds. */
static double flood(struct sockaddr_in dst, double secs, double rate, int inflight, long res[2]) {
  int ep = epoll_create1(0);
  struct linger lg = {1, 0};
  long started = 0, done = 0, failed = 0, open = 0;
  double t0 = now(), end = t0 + secs;
  struct epoll_event evs[256];
  for (;;) {
    double t = now();
    if (t < end) {
      long allowed = rate > 0 ? (long)((t - t0) * rate) + 1 : started + inflight;
      while (open < inflight && started < allowed) {
        int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (s < 0) break;
        setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        started++;
        if (connect(s, (struct sockaddr *)&dst, sizeof dst) == 0) {
          done++;
          close(s);
          continue;
        }
        if (errno != EINPROGRESS) {
          failed++;
          close(s);
          continue;
        }
        struct epoll_event e = {.events = EPOLLOUT, .data.fd = s};
        epoll_ctl(ep, EPOLL_CTL_ADD, s, &e);
        open++;
      }
    } else if (open == 0 || t > end + 3) {
      failed += open; /* still unanswered 3 s after the end: SYNs lost */
      break;
    }
    int n = epoll_wait(ep, evs, 256, t < end ? 1 : 100);
    for (int i = 0; i < n; i++) {
      int s = evs[i].data.fd, err = 0;
      socklen_t len = sizeof err;
      getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0) done++;
      else failed++;
      close(s); /* also removes it from the epoll set */
      open--;
    }
  }
  res[0] = done;
  res[1] = failed;
  return now() - t0;
}

int main(int argc, char **argv) {
  if (argc >= 4 && !strcmp(argv[1], "accept"))
    return accept_mode(atoi(argv[2]), atof(argv[3]), argc >= 5 && atoi(argv[4]) > 1 ? atoi(argv[4]) : 1);
  if (argc < 7 || strcmp(argv[1], "connect")) {
    fprintf(stderr, "usage: observe_flood connect IP PORT SECONDS RATE INFLIGHT [PROCS] | accept PORT SECONDS [PROCS]\n");
    return 1;
  }
  struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3]))};
  if (inet_pton(AF_INET, argv[2], &dst.sin_addr) != 1) {
    fprintf(stderr, "observe_flood: bad address %.40s\n", argv[2]);
    return 2;
  }
  double secs = atof(argv[4]), rate = atof(argv[5]);
  int inflight = atoi(argv[6]);
  int procs = argc >= 8 && atoi(argv[7]) > 1 ? atoi(argv[7]) : 1;
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)inflight + 64) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  int fds[2];
  if (pipe(fds) < 0) return 2;
  for (int i = 0; i < procs; i++) {
    if (fork() != 0) continue;
    close(fds[0]);
    long r[3];
    double t = flood(dst, secs, rate / procs, inflight / procs > 0 ? inflight / procs : 1, r);
    r[2] = (long)(t * 1000);
    return write(fds[1], r, sizeof r) == sizeof r ? 0 : 1;
  }
  close(fds[1]);
  long done = 0, failed = 0, ms = 0, r[3];
  while (read(fds[0], r, sizeof r) == sizeof r) {
    done += r[0];
    failed += r[1];
    if (r[2] > ms) ms = r[2];
  }
  while (wait(NULL) > 0) {
  }
  printf("%ld %ld %.3f\n", done, failed, ms / 1000.0);
  return 0;
}
