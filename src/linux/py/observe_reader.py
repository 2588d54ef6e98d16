# One node's flow reader for `podnet observe` (run by observe-main.js through
# `ip netns exec <node netns>`, so every socket below is the node's, never the root's).
# Two sources, multiplexed into one line-oriented stream on stdout:
#   - NFLOG group G (nfnetlink_log, NETLINK_NETFILTER): the drop rules' `log group G`
#     packets. Python's stdlib speaks AF_NETLINK; chosen over `tcpdump -i nflog:G` (a pcap
#     stream to parse in TS and one more package) and over libnetfilter_log bindings (not in
#     the stdlib). The instance is configured with NFULNL_CFG_F_SEQ: a gap in the per-instance
#     sequence numbers is the exact count of messages the kernel could not queue (ENOBUFS).
#   - `conntrack -E` (conntrack-tools) as a child: NEW/UPDATE events with both tuples.
#     Its ENOBUFS warning on stderr ("We have hit ENOBUFS! We are losing events.") is counted.
# Both children die with us (PR_SET_PDEATHSIG), so a SIGKILLed observer leaves nothing.
# Output lines (tab-separated):
#   C <conntrack line>                                 (conntrack's own "[sec.usec]" first)
#   N <unix time> <seq> <prefix JSON> <payload hex>    (the first bytes of the IP packet)
#   L <source> <count> <why>                           (events lost)
#   R                                                  (both sources listening)
# argv: NFLOG group, netlink receive buffer (bytes).
import ctypes, json, os, selectors, signal, socket, struct, subprocess, sys, time

PR_SET_PDEATHSIG = 1
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
if os.getppid() == 1:
    sys.exit(0)  # the parent died before prctl: nobody reads us

group = int(sys.argv[1])
rcvbuf = int(sys.argv[2])
out = sys.stdout

NETLINK_NETFILTER = 12
NFNL_SUBSYS_ULOG = 4
NFULNL_MSG_PACKET, NFULNL_MSG_CONFIG = 0, 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR, NLMSG_DONE = 2, 3
# include/uapi/linux/netfilter/nfnetlink_log.h
NFULA_CFG_CMD, NFULA_CFG_MODE, NFULA_CFG_TIMEOUT, NFULA_CFG_QTHRESH, NFULA_CFG_FLAGS = 1, 2, 3, 4, 6
NFULNL_CFG_CMD_BIND = 1
NFULNL_COPY_PACKET = 2
NFULNL_CFG_F_SEQ = 1
NFULA_PAYLOAD, NFULA_PREFIX, NFULA_SEQ = 9, 10, 12
SO_RCVBUFFORCE = 33


def attr(t, data):
    n = 4 + len(data)
    return struct.pack("=HH", n, t) + data + b"\0" * ((4 - n % 4) % 4)


def config(sock, seq, attrs):
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(group)) + b"".join(attrs)
    typ = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG
    sock.send(struct.pack("=IHHII", 16 + len(body), typ, NLM_F_REQUEST | NLM_F_ACK, seq, 0) + body)
    data = sock.recv(65536)
    _, t, _, _, _ = struct.unpack_from("=IHHII", data)
    if t == NLMSG_ERROR:
        err = struct.unpack_from("=i", data, 16)[0]
        if err:
            raise OSError(-err, "NFLOG config: " + os.strerror(-err))


nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
try:
    nl.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, rcvbuf)
except OSError:
    nl.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
nl.bind((0, 0))
config(nl, 1, [attr(NFULA_CFG_CMD, struct.pack("=B", NFULNL_CFG_CMD_BIND) + b"\0\0\0")])
# Copy 128 bytes of each packet: the IP and TCP/UDP headers are all we read.
config(nl, 2, [attr(NFULA_CFG_MODE, struct.pack(">IBB", 128, NFULNL_COPY_PACKET, 0))])
config(nl, 3, [attr(NFULA_CFG_FLAGS, struct.pack(">H", NFULNL_CFG_F_SEQ) + b"\0\0")])
# Flush batches after 0.1 s (default 1 s) so a drop shows at once.
config(nl, 4, [attr(NFULA_CFG_TIMEOUT, struct.pack(">I", 10))])
nl.setblocking(False)

ct = subprocess.Popen(
    ["conntrack", "-E", "-e", "NEW,UPDATE", "-o", "timestamp", "-b", str(rcvbuf)],
    stdout=subprocess.PIPE,
    stderr=subprocess.PIPE,
    preexec_fn=lambda: libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM),
)
os.set_blocking(ct.stdout.fileno(), False)
os.set_blocking(ct.stderr.fileno(), False)


def stop(*_):
    try:
        ct.terminate()
        ct.wait(0.5)
    except (OSError, subprocess.TimeoutExpired):
        ct.kill()
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)

last_seq = None


def nflog_packets(data):
    global last_seq
    off = 0
    while off + 16 <= len(data):
        ln, t, _, _, _ = struct.unpack_from("=IHHII", data, off)
        if ln < 16:
            break
        if t == (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET:
            prefix, payload, seq = "", b"", None
            a = off + 20  # nlmsghdr + nfgenmsg
            while a + 4 <= off + ln:
                alen, atype = struct.unpack_from("=HH", data, a)
                if alen < 4:
                    break
                v = data[a + 4 : a + alen]
                atype &= 0x7FFF
                if atype == NFULA_PREFIX:
                    prefix = v.rstrip(b"\0").decode("utf-8", "replace")
                elif atype == NFULA_PAYLOAD:
                    payload = v
                elif atype == NFULA_SEQ:
                    seq = struct.unpack(">I", v[:4])[0]
                a += (alen + 3) & ~3
            if seq is not None:
                if last_seq is not None and seq > last_seq + 1:
                    out.write("L\tnflog\t%d\tsequence gap\n" % (seq - last_seq - 1))
                last_seq = seq
            out.write("N\t%.6f\t%s\t%s\t%s\n" % (time.time(), seq, json.dumps(prefix), payload[:64].hex()))
        off += (ln + 3) & ~3


sel = selectors.DefaultSelector()
sel.register(nl, selectors.EVENT_READ, "nl")
sel.register(ct.stdout, selectors.EVENT_READ, "ct")
sel.register(ct.stderr, selectors.EVENT_READ, "cterr")
out.write("R\n")
out.flush()
pending = {"ct": b"", "cterr": b""}
while True:
    for key, _ in sel.select():
        if key.data == "nl":
            while True:
                try:
                    nflog_packets(nl.recv(1 << 20))
                except BlockingIOError:
                    break
                except OSError as e:
                    if e.errno == 105:  # ENOBUFS: the sequence gap says how many
                        out.write("L\tnflog\t0\tENOBUFS\n")
                        continue
                    raise
            continue
        chunk = os.read(key.fileobj.fileno(), 1 << 20)
        if not chunk:
            out.write("L\tconntrack\t0\tconntrack exited (%s)\n" % ct.wait())
            out.flush()
            sys.exit(1)
        lines = (pending[key.data] + chunk).split(b"\n")
        pending[key.data] = lines.pop()
        for l in lines:
            s = l.decode("utf-8", "replace")
            if key.data == "ct":
                out.write("C\t" + s + "\n")
            elif "ENOBUFS" in s:
                out.write("L\tconntrack\t1\tENOBUFS\n")
    out.flush()
