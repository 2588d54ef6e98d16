# The supervisor's binder stub (see the design note in src/linux/supervisor.ts): enters
# each pod's network namespace (setns through ctypes), binds the pod's sockets there,
# returns to the node's namespace and execs Node.js on supervisor-main.js with the fds
# inherited (same PID). argv: config path, node binary, main script.
import ctypes, json, os, socket, sys
CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)
def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno(); raise OSError(e, os.strerror(e))
cfg_path, node_bin, main_js = sys.argv[1:4]
cfg = json.load(open(cfg_path))
home = os.open("/run/netns/" + cfg["nodeNetns"], os.O_RDONLY)
out, keep = [], []
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
            keep.append(s)
            out.append({"pod": i, "listener": j, "fd": s.fileno()})
        except OSError as e:
            out.append({"pod": i, "listener": j, "error": "listen %s %s:%d: bind: %s" % (p.lower(), l["address"], l["port"], (e.strerror or str(e)).lower())})
    os.close(nsfd)
setns(home)
os.environ["PODNET_FDS"] = json.dumps(out)
os.execv(node_bin, [node_bin, main_js, cfg_path])
