# `podnet diagnose --name`'s listener check (src/linux/diagnose-io.ts) for many namespaces
# in ONE process: `ss -Hln{t,u} sport = :P` asked in 250 pod namespaces was 250
# `ip netns exec` (a mount namespace and a /sys mount each). Started by
# `ip netns exec <a podnet namespace> python3 netns_listeners.py`; for each ask it enters the
# namespace (setns(2) on /run/netns/NAME, CLONE_NEWNET) and reads the sockets as ss's
# fallback does, from /proc/net/{tcp,tcp6,udp,udp6}
# (https://www.kernel.org/doc/Documentation/networking/proc_net_tcp.txt): TCP in state 0A
# (LISTEN), UDP in state 07 (unconnected, what `ss -l` lists as UNCONN). Read-only.
# stdin: {"asks": [{"ns": NAME, "proto": "tcp"|"udp", "port": P}]}
# stdout: one JSON line per ask: {"i": index, "code": 0|1, "out": "LISTEN 0.0.0.0:80 0.0.0.0:*\n…", "err": ""}
import ctypes, json, os, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000
def enter(ns):
    if "/" in ns or not ns.startswith("podnet-"): raise OSError("not a podnet namespace: " + ns)
    fd = os.open("/run/netns/" + ns, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno(); raise OSError(e, "setns " + ns + ": " + os.strerror(e))
    finally:
        os.close(fd)
def addr(h, v6):
    a, p = h.split(":")
    if v6: ip = "[" + socket.inet_ntop(socket.AF_INET6, b"".join(struct.pack("<I", int(a[i:i + 8], 16)) for i in range(0, 32, 8))) + "]"
    else: ip = socket.inet_ntop(socket.AF_INET, struct.pack("<I", int(a, 16)))
    return ip, int(p, 16)
def sockets(proto, port):
    out = []
    for v6 in (False, True):
        try:
            lines = open("/proc/thread-self/net/" + proto + ("6" if v6 else "")).read().splitlines()[1:]
        except FileNotFoundError:
            continue  # no IPv6 in this kernel
        for l in lines:
            w = l.split()
            if w[3] != ("0A" if proto == "tcp" else "07"): continue
            ip, p = addr(w[1], v6)
            if p != port: continue
            if proto == "udp" and addr(w[2], v6)[1] != 0: continue
            out.append("%s %s:%d %s:*" % ("LISTEN" if proto == "tcp" else "UNCONN", ip, p, "[::]" if v6 else "0.0.0.0"))
    return out
for i, a in enumerate(json.load(sys.stdin)["asks"]):
    try:
        enter(a["ns"])
        r = {"i": i, "code": 0, "out": "".join(x + "\n" for x in sockets(a["proto"], a["port"])), "err": ""}
    except Exception as e:
        # A failed setns reads nothing (the sockets would be another namespace's).
        r = {"i": i, "code": 1, "out": "", "err": str(e)}
    print(json.dumps(r), flush=True)
