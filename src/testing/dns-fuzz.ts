// The hostile DNS packets of the fuzz tests (issue 19): random garbage, truncations, bit
// flips, bad counts, compression-pointer loops, over-long labels and names, unknown types and
// classes, garbage EDNS, odd opcodes and flags, and valid queries between them. Shared by
// the in-process server test (src/dns/fuzz.test.ts) and the running-cluster test, where
// chaos-client.ts sends them from a pod to the cluster DNS. Deterministic for a seed.
import dnsPacket from "dns-packet";

export interface DnsFuzzer {
  /** One hostile (or, one time in six, valid) DNS message. */
  hostile(): Buffer;
  /** A valid query for one of the fixture's names. */
  validQuery(): Buffer;
  randBytes(n: number): Buffer;
}

/** A fuzzer whose packets depend only on `seed` (xorshift32). */
export function dnsFuzzer(seed = 0x2545f491): DnsFuzzer {
  let s = seed | 0 || 1;
  const rnd = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
  const ri = (n: number) => Math.floor(rnd() * n);
  const randBytes = (n: number) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = ri(256);
    return b;
  };
  const NAMES = [
    "auth-service.default.svc.cluster.local",
    "my-headless-service.default.svc.cluster.local",
    "cluster.local",
    "10.0.96.10.in-addr.arpa",
    "api.example.com",
    "x.y.z",
  ];
  const TYPES = ["A", "AAAA", "SRV", "PTR", "TXT", "NS", "SOA", "CNAME", "MX", "AXFR", "ANY"] as const;
  function validQuery(): Buffer {
    const withOpt = rnd() < 0.5;
    return dnsPacket.encode({
      type: "query",
      id: ri(65536),
      flags: rnd() < 0.5 ? dnsPacket.RECURSION_DESIRED : 0,
      questions: [{ type: TYPES[ri(TYPES.length)] as any, name: NAMES[ri(NAMES.length)] }],
      ...(withOpt ? { additionals: [{ type: "OPT", name: ".", udpPayloadSize: ri(65536) } as any] } : {}),
    });
  }

  function header(id: number, flags: number, qd: number, an: number, ns: number, ar: number): Buffer {
    const b = Buffer.alloc(12);
    b.writeUInt16BE(id, 0);
    b.writeUInt16BE(flags, 2);
    b.writeUInt16BE(qd, 4);
    b.writeUInt16BE(an, 6);
    b.writeUInt16BE(ns, 8);
    b.writeUInt16BE(ar, 10);
    return b;
  }
  const tail = (t: number, c: number) => Buffer.from([t >> 8, t & 255, c >> 8, c & 255]);

  function hostile(): Buffer {
    const k = ri(12);
    switch (k) {
      case 0: // random garbage
        return randBytes(ri(600));
      case 1: // truncated header
        return validQuery().subarray(0, ri(12));
      case 2: {
        // truncated anywhere
        const q = validQuery();
        return q.subarray(0, ri(q.length));
      }
      case 3: {
        // bit flips
        const q = Buffer.from(validQuery());
        for (let i = ri(6) + 1; i > 0; i--) q[ri(q.length)] ^= 1 << ri(8);
        return q;
      }
      case 4: {
        // bad counts
        const q = Buffer.from(validQuery());
        for (let i = 4; i < 12; i += 2) if (rnd() < 0.5) q.writeUInt16BE(ri(65536), i);
        return q;
      }
      case 5: {
        // compression pointer loops: to itself, forward, ping-pong
        const loops = [
          Buffer.concat([header(1, 0x100, 1, 0, 0, 0), Buffer.from([0xc0, 12]), tail(1, 1)]),
          Buffer.concat([
            header(2, 0x100, 1, 0, 0, 0),
            Buffer.from([0xc0, 20, 0, 0, 0, 0, 0, 0, 0xc0, 12]),
            tail(1, 1),
          ]),
          Buffer.concat([header(3, 0x100, 1, 0, 0, 0), Buffer.from([1, 0x61, 0xc0, 12]), tail(1, 1)]),
          Buffer.concat([
            header(4, 0x100, 1, 1, 0, 0),
            Buffer.from([1, 0x61, 0]),
            tail(1, 1),
            Buffer.from([0xc0, 29, 0xc0, 27]),
            tail(1, 1),
          ]),
          Buffer.concat([header(5, 0x100, 1, 0, 0, 0), Buffer.from([0xc0, 0]), tail(1, 1)]),
        ];
        return loops[ri(loops.length)];
      }
      case 6: {
        // over-long labels and names
        const labels: Buffer[] = [];
        const n = ri(10) + 1;
        for (let i = 0; i < n; i++) {
          const len = rnd() < 0.3 ? 64 + ri(192) : ri(64);
          labels.push(Buffer.concat([Buffer.from([len]), Buffer.alloc(Math.min(len, 63), 0x61 + ri(26))]));
        }
        return Buffer.concat([header(ri(65536), 0x100, 1, 0, 0, 0), ...labels, Buffer.from([0]), tail(1, 1)]);
      }
      case 7: {
        // a 255+ byte name of legal labels
        const labels = Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x62)]));
        return Buffer.concat([header(ri(65536), 0x100, 1, 0, 0, 0), ...labels, Buffer.from([0]), tail(1, 1)]);
      }
      case 8: {
        // unknown types and classes
        const q = Buffer.from(validQuery());
        const qEnd = 12 + Buffer.byteLength(NAMES[0]) + 2;
        void qEnd;
        const p = q.indexOf(0, 12);
        if (p > 0 && p + 4 < q.length) {
          q.writeUInt16BE(ri(65536), p + 1);
          q.writeUInt16BE(ri(65536), p + 3);
        }
        return q;
      }
      case 9: {
        // garbage EDNS: bad option lengths, versions, several OPTs, OPT not at the root
        const base = dnsPacket.encode({
          type: "query",
          id: ri(65536),
          questions: [{ type: "A", name: NAMES[ri(NAMES.length)] }],
        });
        const opts: Buffer[] = [];
        const n = ri(3) + 1;
        for (let i = 0; i < n; i++) {
          const rdata = randBytes(ri(40));
          const name = rnd() < 0.2 ? Buffer.from([1, 0x61, 0]) : Buffer.from([0]);
          const rr = Buffer.alloc(10);
          rr.writeUInt16BE(41, 0);
          rr.writeUInt16BE(ri(65536), 2);
          rr.writeUInt32BE(ri(2 ** 32), 4);
          rr.writeUInt16BE(rnd() < 0.7 ? rdata.length : ri(65536), 8);
          opts.push(name, rr, rdata);
        }
        base.writeUInt16BE(n, 10);
        return Buffer.concat([base, ...opts]);
      }
      case 10: {
        // opcodes and flags
        const q = Buffer.from(validQuery());
        q.writeUInt16BE(ri(65536), 2);
        return q;
      }
      default:
        return validQuery();
    }
  }
  return { hostile, validQuery, randBytes };
}
