# `podnet verify`'s kernel probe client (src/linux/probe.ts): runs inside one source
# network namespace (`ip netns exec NS python3 verify_client.py`), all of that source's
# flows on a thread pool.
# stdin: {"tcp": s, "udp": s, "workers": n, "flows": [{id, probe, dst, port, tries, expect, name, qname, netns}]}
# stdout: one JSON line per flow: {"id", "counts": {outcome: n}, "tries"}
# A flow with "netns" runs from that podnet namespace instead: its thread enters it first
# (setns(2) is per thread; a socket stays in the namespace it was made in), so one client
# started in any podnet namespace serves the socket probes of hundreds of pods. Name
# lookups need the pod's /etc/resolv.conf (ip netns exec's mount namespace): not so.
import ctypes, os, json, socket, struct, sys, errno, random, threading
from concurrent.futures import ThreadPoolExecutor
cfg = json.load(sys.stdin)
TCP, UDP = cfg["tcp"], cfg["udp"]
lock = threading.Lock()
def err_outcome(e):
    n = getattr(e, "errno", None)
    if isinstance(e, socket.timeout) or n in (errno.ETIMEDOUT, errno.EAGAIN, errno.EINPROGRESS): return "dropped"
    if n == errno.ECONNREFUSED: return "refused"
    if n in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES, errno.EPERM): return "unreachable"
    if n in (errno.ECONNRESET,): return "refused"
    return "error:" + (errno.errorcode.get(n, str(n)) if n else type(e).__name__)
def http(f):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(TCP)
    try:
        s.connect((f["dst"], f["port"]))
    except Exception as e:
        s.close(); return err_outcome(e)
    try:
        s.settimeout(3)
        s.sendall(b"GET / HTTP/1.0\r\nHost: podnet-verify\r\n\r\n")
        buf = b""
        while True:
            c = s.recv(65536)
            if not c: break
            buf += c
        body = buf.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in buf else b""
        try:
            j = json.loads(body)
            return "delivered %s/%s" % (j["namespace"], j["pod"])
        except Exception:
            return "delivered ?"
    except Exception as e:
        return "delivered ?" if getattr(e, "errno", None) == errno.ECONNRESET else "error:after-connect:" + str(e)
    finally:
        s.close()
def udp(f):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(UDP)
    try:
        s.connect((f["dst"], f["port"]))
        s.send(b"hostname")
        d = s.recv(65536)
        return "name " + d.decode("utf-8", "replace").strip()
    except Exception as e:
        return err_outcome(e)
    finally:
        s.close()
def dnsq(f, tcp):
    qid = random.randint(0, 65535)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + b"".join(bytes([len(x)]) + x.encode() for x in f["qname"].split(".")) + b"\x00" + struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
    s.settimeout(TCP if tcp else UDP)
    try:
        s.connect((f["dst"], f["port"]))
        if tcp:
            s.settimeout(3); s.sendall(struct.pack(">H", len(q)) + q); d = s.recv(65536)[2:]
        else:
            s.send(q); s.settimeout(1.0); d = s.recv(65536)
        return "delivered" if len(d) >= 2 and struct.unpack(">H", d[:2])[0] == qid else "error:bad-dns-answer"
    except Exception as e:
        return err_outcome(e)
    finally:
        s.close()
def hosts_sources():
    try:
        for l in open("/etc/nsswitch.conf"):
            w = l.split("#")[0].split()
            if w and w[0] == "hosts:": return w[1:]
    except OSError:
        pass
    return ["files", "dns"]
# podnet up gives each pod "hosts: files dns"; the host's may have mdns/resolve modules,
# which would ask daemons of the root namespace: never resolve through those.
SAFE_NSS = all(x in ("files", "dns") for x in hosts_sources())
def resolve(f):
    if not SAFE_NSS: return "error:nsswitch-not-files-dns"
    try:
        r = socket.getaddrinfo(f["name"], None, socket.AF_INET, socket.SOCK_STREAM)
        return "answer " + ",".join(sorted(set(x[4][0] for x in r)))
    except socket.gaierror as e:
        if e.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)): return "notfound"
        if e.errno == socket.EAI_AGAIN: return "servfail"
        return "error:gai%d" % e.errno
def name_http(f):
    # A connection by name, as an application makes it: the pod's resolver, then TCP.
    r = resolve(f)
    if not r.startswith("answer "): return r
    return http(dict(f, dst=r[len("answer "):].split(",")[0]))
libc = ctypes.CDLL(None, use_errno=True)
def enter(ns):
    if "/" in ns or not ns.startswith("podnet-"): raise OSError("not a podnet namespace: " + ns)
    fd = os.open("/run/netns/" + ns, os.O_RDONLY)
    try:
        if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
            e = ctypes.get_errno(); raise OSError(e, "setns " + ns + ": " + os.strerror(e))
    finally:
        os.close(fd)
def run(f):
    try:
        if f.get("netns"):
            if f["probe"] in ("resolve", "name-http"): raise OSError("a name lookup needs ip netns exec")
            enter(f["netns"])
    except Exception as e:
        # No probe from a namespace not entered: it would leave from the previous one.
        line = json.dumps({"id": f["id"], "counts": {"error:netns:" + str(e): 1}, "tries": 0})
        with lock:
            sys.stdout.write(line + "\n"); sys.stdout.flush()
        return
    counts, tries = {}, 0
    want = set(f["expect"])
    for i in range(f["tries"]):
        p = f["probe"]
        o = http(f) if p == "http" else udp(f) if p == "udp" else dnsq(f, p == "dns-tcp") if p.startswith("dns") else name_http(f) if p == "name-http" else resolve(f)
        counts[o] = counts.get(o, 0) + 1
        tries += 1
        seen = set(counts)
        if want and want <= seen: break
        if not want: break
    line = json.dumps({"id": f["id"], "counts": counts, "tries": tries})
    with lock:
        sys.stdout.write(line + "\n"); sys.stdout.flush()
with ThreadPoolExecutor(max_workers=min(cfg.get("workers", 24), max(1, len(cfg["flows"])))) as ex:
    list(ex.map(run, cfg["flows"]))
