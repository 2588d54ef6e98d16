# The supervisor's binder stub and watchdog (see the design note in src/linux/supervisor.ts):
# enters each pod's network namespace (setns through ctypes), binds the pod's sockets there,
# returns to the node's namespace and runs Node.js on supervisor-main.js as its child with
# the fds inherited. It stays, in the node's namespace, holding the listening sockets (a
# crash of the server loses only its open connections; new ones wait in the backlog), and
# restarts the server when it dies, with backoff, counting restarts in <base>.restarts.
# argv: config path, node binary, main script.
import ctypes, json, os, resource, signal, socket, sys, time
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
libc = ctypes.CDLL(None, use_errno=True)
def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno(); raise OSError(e, os.strerror(e))
cfg_path, node_bin, main_js = sys.argv[1:4]
cfg = json.load(open(cfg_path))
base = cfg_path[:-5] if cfg_path.endswith(".json") else cfg_path
# Every connection is an fd: a flood on one pod must not starve the others of fds.
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard == resource.RLIM_INFINITY or hard > soft:
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else max(soft, 65536), hard))
home = os.open("/run/netns/" + cfg["nodeNetns"], os.O_RDONLY)
out, keep = [], {}
for i, pod in enumerate(cfg["pods"]):
    try:
        nsfd = os.open("/run/netns/" + pod["netns"], os.O_RDONLY)
        setns(nsfd)
    except OSError as e:
        for j, l in enumerate(pod["listeners"]):
            out.append({"pod": i, "listener": j, "error": "network namespace %s: %s" % (pod["netns"], e.strerror)})
        continue
    for j, l in enumerate(pod["listeners"]):
        p = l["protocol"]
        try:
            if p == "TCP":
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            elif p == "UDP":
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            else:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)
            s.bind((l["address"], l["port"]))
            if p != "UDP":
                s.listen(512)
            s.set_inheritable(True)
            keep[(i, j)] = s
            out.append({"pod": i, "listener": j, "fd": s.fileno()})
        except OSError as e:
            out.append({"pod": i, "listener": j, "error": "listen %s %s:%d: bind: %s" % (p.lower(), l["address"], l["port"], (e.strerror or str(e)).lower())})
    os.close(nsfd)
setns(home)
os.close(home)

child = 0
stopping = False
restarts = 0
last_exit = ""

def write_restarts():
    # Atomically: `podnet status` and `verify` read it at any time.
    tmp = base + ".restarts.tmp"
    with open(tmp, "w") as f:
        json.dump({"restarts": restarts, "lastExit": last_exit, "serverPid": child, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, f)
    os.rename(tmp, base + ".restarts")

def spawn():
    global child
    me = os.getpid()
    env = dict(os.environ, PODNET_FDS=json.dumps(out), PODNET_RESTARTS=str(restarts))
    pid = os.fork()
    if pid == 0:
        # The server dies with its watchdog (a SIGKILL of the watchdog leaves no orphan).
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != me:
            os._exit(0)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR2):
            signal.signal(sig, signal.SIG_DFL)
        try:
            os.execve(node_bin, [node_bin, main_js, cfg_path], env)
        finally:
            os._exit(127)
    child = pid
    write_restarts()

def on_stop(sig, frame):
    global stopping
    stopping = True
    if not child:
        os._exit(0)
    try:
        os.kill(child, signal.SIGTERM)
    except ProcessLookupError:
        os._exit(0)

def on_removed(sig, frame):
    # Pods deleted from the running cluster: close our copies of their sockets too (else
    # the sockets, and so the pods' namespaces, live on), drop them from later restarts,
    # and tell the server.
    global out
    try:
        gone = set(json.load(open(base + ".removed")))
    except (OSError, ValueError):
        gone = set()
    idx = {i for i, pod in enumerate(cfg["pods"]) if pod["namespace"] + "/" + pod["name"] in gone}
    for (i, j), s in list(keep.items()):
        if i in idx:
            s.close()
            del keep[(i, j)]
    out = [e for e in out if e["pod"] not in idx]
    if child:
        try:
            os.kill(child, signal.SIGUSR2)
        except ProcessLookupError:
            pass

signal.signal(signal.SIGTERM, on_stop)
signal.signal(signal.SIGINT, on_stop)
signal.signal(signal.SIGUSR2, on_removed)

# Backoff between restarts: 0.5 s doubling to 30 s, back to 0.5 s after 60 s of service.
# (kubelet's CrashLoopBackOff is 10 s doubling to 300 s, reset after 10 min: this server
# stands for every pod of a node, so it comes back sooner.)
delay = 0.5
spawn()
while True:
    started = time.monotonic()
    while True:
        try:
            pid, status = os.waitpid(child, 0)
            break
        except ChildProcessError:
            pid, status = child, 0
            break
    ran = time.monotonic() - started
    child = 0
    if os.WIFSIGNALED(status):
        last_exit = "signal %d" % os.WTERMSIG(status)
    else:
        last_exit = "exit %d" % os.WEXITSTATUS(status)
    # Exit 0: told to stop, or the cluster's state is gone (the server's own safety net).
    if stopping or (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
        sys.exit(0)
    if not os.path.isdir(cfg["stateDir"]) or not os.path.exists("/run/netns/" + cfg["nodeNetns"]):
        sys.exit(0)
    if ran > 60:
        delay = 0.5
    restarts += 1
    write_restarts()
    sys.stderr.write("%s podnet supervisor: server %s (%s); restart %d in %.1f s\n" % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), pid, last_exit, restarts, delay))
    sys.stderr.flush()
    time.sleep(delay)
    delay = min(delay * 2, 30.0)
    if stopping:
        sys.exit(0)
    spawn()
