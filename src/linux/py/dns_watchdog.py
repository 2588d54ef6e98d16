# The watchdog of a CoreDNS pod's DNS server (see startDns in src/linux/supervisor.ts): the
# recorded process. Started in the pod's network namespace, it runs the server as its child
# and restarts it when it dies, with backoff, counting restarts in <base>.restarts (status,
# verify), as the pod servers' watchdog (supervisor_binder.py) does. SIGHUP (a change's
# reload) is passed on once the server has said it serves (<base>.ready names its pid):
# one that starts meanwhile loads the state itself. SIGTERM/SIGINT stop both.
# argv: base path, the cluster's state dir, then the server's command line.
import ctypes, json, os, signal, sys, time
PR_SET_PDEATHSIG = 1
libc = ctypes.CDLL(None, use_errno=True)
base, state_dir = sys.argv[1:3]
cmd = sys.argv[3:]

child = 0
stopping = False
hup_pending = False
restarts = 0
last_exit = ""

def write_restarts():
    # Atomically: `podnet status` and `verify` read it at any time.
    tmp = base + ".restarts.tmp"
    with open(tmp, "w") as f:
        json.dump({"restarts": restarts, "lastExit": last_exit, "serverPid": child, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, f)
    os.rename(tmp, base + ".restarts")

def serving():
    try:
        with open(base + ".ready") as f:
            return child != 0 and json.load(f).get("pid") == child
    except (OSError, ValueError):
        return False

def spawn():
    global child
    me = os.getpid()
    env = dict(os.environ, PODNET_RESTARTS=str(restarts))
    pid = os.fork()
    if pid == 0:
        # The server dies with its watchdog (a SIGKILL of the watchdog leaves no orphan).
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != me:
            os._exit(0)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        try:
            os.execve(cmd[0], cmd, env)
        finally:
            os._exit(127)
    child = pid
    write_restarts()

def forward_hup():
    global hup_pending
    if serving():
        hup_pending = False
        try:
            os.kill(child, signal.SIGHUP)
        except ProcessLookupError:
            pass

def on_hup(sig, frame):
    global hup_pending
    hup_pending = True
    forward_hup()

def on_stop(sig, frame):
    global stopping
    stopping = True
    if not child:
        os._exit(0)
    try:
        os.kill(child, signal.SIGTERM)
    except ProcessLookupError:
        os._exit(0)

signal.signal(signal.SIGTERM, on_stop)
signal.signal(signal.SIGINT, on_stop)
signal.signal(signal.SIGHUP, on_hup)

# Backoff as the pod servers': 0.5 s doubling to 30 s, back to 0.5 s after 60 s of service.
delay = 0.5
spawn()
while True:
    started = time.monotonic()
    while True:
        try:
            pid, status = os.waitpid(child, os.WNOHANG)
        except ChildProcessError:
            pid, status = child, 0
        if pid:
            break
        if hup_pending:
            forward_hup()
        time.sleep(0.05)
    ran = time.monotonic() - started
    child = 0
    if os.WIFSIGNALED(status):
        last_exit = "signal %d" % os.WTERMSIG(status)
    else:
        last_exit = "exit %d" % os.WEXITSTATUS(status)
    # Exit 0: told to stop, or the cluster's state is gone (the server's own safety net).
    if stopping or (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0) or not os.path.isdir(state_dir):
        sys.exit(0)
    if ran > 60:
        delay = 0.5
    restarts += 1
    write_restarts()
    sys.stderr.write("%s podnet dns watchdog: server %s (%s); restart %d in %.1f s\n" % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), pid, last_exit, restarts, delay))
    sys.stderr.flush()
    time.sleep(delay)
    delay = min(delay * 2, 30.0)
    if stopping:
        sys.exit(0)
    hup_pending = False  # the new server loads the state as it starts
    spawn()
