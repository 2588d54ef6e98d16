# rolling.test.ts's client: one fresh TCP connection per request (HTTP/1.0 GET
# /hostname), 1 s timeout, 3 ms apart, until the stop file exists; bounded by count and
# time. Prints one JSON array. argv: ip, port, stop file, started file (created once the
# first request has ended: the caller's baseline starts then, whatever python's start-up took).
import json, os, socket, sys, time
ip, port, stop, started = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
out, t_end = [], time.time() + 120
while not os.path.exists(stop) and time.time() < t_end and len(out) < 40000:
    t0 = time.time() * 1000
    try:
        s = socket.create_connection((ip, port), timeout=1)
        s.settimeout(1)
        s.sendall(b"GET /hostname HTTP/1.0\r\nHost: x\r\n\r\n")
        buf = b""
        while True:
            b = s.recv(4096)
            if not b: break
            buf += b
        s.close()
        head, _, body = buf.partition(b"\r\n\r\n")
        ok = head.startswith(b"HTTP/1.") and b" 200 " in head.split(b"\r\n")[0] + b" "
        out.append([t0, time.time() * 1000, ok, body.decode(errors="replace") if ok else head[:80].decode(errors="replace")])
    except Exception as e:
        out.append([t0, time.time() * 1000, False, type(e).__name__ + ": " + str(e)])
    if len(out) == 1: open(started, "w").close()
    time.sleep(0.003)
print(json.dumps(out))
