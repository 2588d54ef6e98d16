# The restart loop shared by podnet's watchdogs (supervisor_binder.py for a node's pod
# servers, dns_watchdog.py for a CoreDNS pod's DNS server): run the server as a child that
# dies with its watchdog, restart it when it dies with backoff, and count the restarts in
# <base>.restarts (read at any time by `podnet status` and `verify`).
# Backoff: 0.5 s doubling to 30 s, back to 0.5 s after 60 s of service. (kubelet's
# CrashLoopBackOff is 10 s doubling to 300 s, reset after 10 min: these servers stand for
# every pod of a node or the cluster's DNS, so they come back sooner.)
import ctypes, json, os, signal, sys, time

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Watchdog:
    """`argv()` and `env()` give the server's command line and environment at each start;
    `keep_going()` is False when the cluster is gone (then a dead server stays dead);
    `passed` lists the signals the server gets back at their default action; `tick` runs
    every 50 ms while the server runs (None: block in waitpid)."""

    def __init__(self, base, label, argv, env, keep_going, passed=(), tick=None):
        self.base, self.label = base, label
        self.argv, self.env, self.keep_going = argv, env, keep_going
        self.passed, self.tick = tuple(passed), tick
        self.child = 0
        self.stopping = False
        self.restarts = 0
        self.last_exit = ""
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)

    def write_restarts(self):
        # Atomically: readers never see half a file.
        tmp = self.base + ".restarts.tmp"
        with open(tmp, "w") as f:
            json.dump({"restarts": self.restarts, "lastExit": self.last_exit, "serverPid": self.child, "at": _now()}, f)
        os.rename(tmp, self.base + ".restarts")

    def signal_child(self, sig):
        if self.child:
            try:
                os.kill(self.child, sig)
            except ProcessLookupError:
                pass

    def _spawn(self):
        me = os.getpid()
        argv, env = self.argv(), self.env()
        pid = os.fork()
        if pid == 0:
            # The server dies with its watchdog (a SIGKILL of the watchdog leaves no orphan).
            _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
            if os.getppid() != me:
                os._exit(0)
            for sig in (signal.SIGTERM, signal.SIGINT) + self.passed:
                signal.signal(sig, signal.SIG_DFL)
            try:
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.child = pid
        self.write_restarts()

    def _on_stop(self, sig, frame):
        self.stopping = True
        if not self.child:
            os._exit(0)
        try:
            os.kill(self.child, signal.SIGTERM)
        except ProcessLookupError:
            os._exit(0)

    def _wait(self):
        while True:
            try:
                pid, status = os.waitpid(self.child, 0 if self.tick is None else os.WNOHANG)
            except ChildProcessError:
                return self.child, 0
            if pid:
                return pid, status
            self.tick()
            time.sleep(0.05)

    def run(self, on_restart=None):
        delay = 0.5
        self._spawn()
        while True:
            started = time.monotonic()
            pid, status = self._wait()
            ran = time.monotonic() - started
            self.child = 0
            if os.WIFSIGNALED(status):
                self.last_exit = "signal %d" % os.WTERMSIG(status)
            else:
                self.last_exit = "exit %d" % os.WEXITSTATUS(status)
            # Exit 0: told to stop, or the cluster's state is gone (the server's own safety net).
            if self.stopping or (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0) or not self.keep_going():
                sys.exit(0)
            if ran > 60:
                delay = 0.5
            self.restarts += 1
            self.write_restarts()
            sys.stderr.write("%s podnet %s: server %s (%s); restart %d in %.1f s\n" % (_now(), self.label, pid, self.last_exit, self.restarts, delay))
            sys.stderr.flush()
            time.sleep(delay)
            delay = min(delay * 2, 30.0)
            if self.stopping:
                sys.exit(0)
            if on_restart:
                on_restart()
            self._spawn()
