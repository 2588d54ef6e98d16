# The supervisor's binder stub and watchdog (see the design note in src/linux/supervisor.ts):
# enters each pod's network namespace (setns through ctypes), binds the pod's sockets there,
# returns to the node's namespace and runs Node.js on supervisor-main.js as its child with
# the fds inherited. It stays, in the node's namespace, holding the listening sockets (a
# crash of the server loses only its open connections; new ones wait in the backlog), and
# restarts the server when it dies (watchdog.py).
# argv: config path, node binary, main script.
import ctypes, errno, json, os, resource, signal, socket, sys, time
from watchdog import Watchdog
CLONE_NEWNET = 0x40000000
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
# A pod restarted on new listeners by a live change: its old server closes the same ports
# a moment after it is told to (reconcile.ts relisten), so a bind in use is retried.
retry_until = time.monotonic() + cfg.get("bindRetryMs", 0) / 1000.0
def bind(s, addr):
    while True:
        try:
            return s.bind(addr)
        except OSError as e:
            if e.errno != errno.EADDRINUSE or time.monotonic() >= retry_until:
                raise
            time.sleep(0.02)
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
            bind(s, (l["address"], l["port"]))
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
    dog.signal_child(signal.SIGUSR2)

dog = Watchdog(
    base,
    "supervisor",
    argv=lambda: [node_bin, main_js, cfg_path],
    env=lambda: dict(os.environ, PODNET_FDS=json.dumps(out), PODNET_RESTARTS=str(dog.restarts)),
    keep_going=lambda: os.path.isdir(cfg["stateDir"]) and os.path.exists("/run/netns/" + cfg["nodeNetns"]),
    passed=(signal.SIGUSR2,),
)
signal.signal(signal.SIGUSR2, on_removed)
dog.run()
