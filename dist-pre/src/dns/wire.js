// DNS wire format for the server's hot path (RFC 1035, RFC 6891 EDNS0). Requests are
// parsed defensively (every length checked, compression pointers only backwards with a
// hop limit, names ≤ 255 octets, labels ≤ 63); responses are written with name
// compression into one reusable buffer. The question is echoed with the client's case
// and answer owners point at it (0xC00C), which is how the question's case reaches the
// answers. dns-packet (a general decoder) is used for upstream replies and in tests,
// where it cross-checks this encoder.
import { parseIPv6 } from "../manifest/net.js";
export const MAX_NAME = 255;
export const MAX_LABEL = 63;
class FormErr extends Error {
}
/** Reads a name at `off`; returns the labels and the offset after the name in place. */
function readName(buf, off) {
    const labels = [];
    let total = 0;
    let pos = off;
    let end = -1;
    let hops = 0;
    let compressed = false;
    for (;;) {
        if (pos >= buf.length)
            throw new FormErr("name runs past the packet");
        const len = buf[pos];
        if (len === 0) {
            if (end < 0)
                end = pos + 1;
            break;
        }
        const kind = len & 0xc0;
        if (kind === 0xc0) {
            if (pos + 1 >= buf.length)
                throw new FormErr("truncated pointer");
            const ptr = ((len & 0x3f) << 8) | buf[pos + 1];
            // Only strictly backwards pointers: this alone rules out loops; the hop cap bounds work.
            if (ptr >= pos || ++hops > 64)
                throw new FormErr("bad compression pointer");
            if (end < 0)
                end = pos + 2;
            compressed = true;
            pos = ptr;
            continue;
        }
        if (kind !== 0)
            throw new FormErr("unsupported label type");
        if (pos + 1 + len > buf.length)
            throw new FormErr("label runs past the packet");
        total += len + 1;
        if (total + 1 > MAX_NAME)
            throw new FormErr("name too long");
        labels.push(buf.subarray(pos + 1, pos + 1 + len));
        pos += 1 + len;
    }
    return { labels, end, compressed };
}
function skipRR(buf, off) {
    const n = readName(buf, off);
    const p = n.end;
    if (p + 10 > buf.length)
        throw new FormErr("truncated record");
    const type = buf.readUInt16BE(p);
    const cls = buf.readUInt16BE(p + 2);
    const ttl = buf.readUInt32BE(p + 4);
    const rdLen = buf.readUInt16BE(p + 8);
    if (p + 10 + rdLen > buf.length)
        throw new FormErr("rdata runs past the packet");
    return { type, cls, ttl, rdStart: p + 10, rdLen, end: p + 10 + rdLen, root: n.labels.length === 0 };
}
function labelText(l) {
    let odd = false;
    for (let i = 0; i < l.length; i++) {
        const c = l[i];
        if (c <= 0x20 || c >= 0x7f || c === 0x2e || c === 0x5c) {
            odd = true;
            break;
        }
    }
    if (!odd)
        return { s: l.toString("latin1"), odd };
    // Escape like presentation format so an odd label never equals a real one.
    let s = "";
    for (const c of l)
        s += c > 0x20 && c < 0x7f && c !== 0x2e && c !== 0x5c ? String.fromCharCode(c) : `\\${String(c).padStart(3, "0")}`;
    return { s, odd };
}
/** Parses a request. Never throws. */
export function parseQuery(buf) {
    if (buf.length < 12)
        return { kind: "drop" };
    const id = buf.readUInt16BE(0);
    const f = buf.readUInt16BE(2);
    if (f & 0x8000)
        return { kind: "drop" }; // a response: never answer it (no reflection loops)
    const opcode = (f >> 11) & 0xf;
    const rd = (f & 0x0100) !== 0;
    const cd = (f & 0x0010) !== 0;
    if (opcode !== 0)
        return { kind: "error", id, opcode, rd, rcode: 4 }; // NOTIMP
    const qd = buf.readUInt16BE(4);
    const an = buf.readUInt16BE(6);
    const ns = buf.readUInt16BE(8);
    const ar = buf.readUInt16BE(10);
    if (qd !== 1)
        return { kind: "error", id, opcode, rd, rcode: 1 };
    let q;
    try {
        const n = readName(buf, 12);
        if (n.end + 4 > buf.length)
            throw new FormErr("truncated question");
        let odd = false;
        const parts = [];
        for (const l of n.labels) {
            const t = labelText(l);
            odd ||= t.odd;
            parts.push(t.s);
        }
        const name = parts.join(".");
        q = {
            id,
            opcode,
            rd,
            cd,
            name,
            lname: /[A-Z]/.test(name) ? name.toLowerCase() : name,
            odd,
            labels: n.labels,
            qtype: buf.readUInt16BE(n.end),
            qclass: buf.readUInt16BE(n.end + 2),
            qCompressed: n.compressed,
            qEnd: n.end + 4,
            edns: null,
        };
    }
    catch {
        return { kind: "error", id, opcode, rd, rcode: 1 };
    }
    try {
        let off = q.qEnd;
        for (let i = 0; i < an + ns; i++)
            off = skipRR(buf, off).end;
        for (let i = 0; i < ar; i++) {
            const r = skipRR(buf, off);
            off = r.end;
            if (r.type !== 41)
                continue;
            // RFC 6891 6.1.1: one OPT, owned by the root; options must parse.
            if (q.edns || !r.root)
                throw new FormErr("bad OPT");
            let p = r.rdStart;
            while (p < r.end) {
                if (p + 4 > r.end)
                    throw new FormErr("truncated option");
                const olen = buf.readUInt16BE(p + 2);
                p += 4 + olen;
                if (p > r.end)
                    throw new FormErr("option runs past OPT");
            }
            q.edns = { udpSize: r.cls, version: (r.ttl >>> 16) & 0xff, do: (r.ttl & 0x8000) !== 0 };
        }
    }
    catch {
        return { kind: "error", id, opcode, rd, rcode: 1, q };
    }
    if (q.edns && q.edns.version !== 0)
        return { kind: "error", id, opcode, rd, rcode: 16, q }; // BADVERS
    return { kind: "query", q };
}
// --- encoding ---------------------------------------------------------------------
const TYPE_CODE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33 };
class Writer {
    buf = Buffer.alloc(65535 + 512);
    pos = 0;
    names = new Map();
    reset() {
        this.pos = 0;
        this.names.clear();
    }
    u8(v) {
        this.buf[this.pos++] = v;
    }
    u16(v) {
        this.buf.writeUInt16BE(v & 0xffff, this.pos);
        this.pos += 2;
    }
    u32(v) {
        this.buf.writeUInt32BE(v >>> 0, this.pos);
        this.pos += 4;
    }
    /** A name from its dotted form, compressed against every name written before. */
    name(name, compress = true) {
        const n = name.endsWith(".") ? name.slice(0, -1) : name;
        if (n === "") {
            this.u8(0);
            return;
        }
        const labels = n.split(".");
        for (let i = 0; i < labels.length; i++) {
            const suffix = (i === 0 ? n : labels.slice(i).join(".")).toLowerCase();
            const at = this.names.get(suffix);
            if (at !== undefined && compress) {
                this.u16(0xc000 | at);
                return;
            }
            if (this.pos < 0x3fff && !this.names.has(suffix))
                this.names.set(suffix, this.pos);
            const b = Buffer.from(labels[i], "latin1");
            const len = Math.min(b.length, MAX_LABEL);
            this.u8(len);
            b.copy(this.buf, this.pos, 0, len);
            this.pos += len;
        }
        this.u8(0);
    }
    /** The echoed question: raw labels (exact bytes and case). */
    question(q) {
        const parts = [];
        const start = this.pos;
        for (const l of q.labels) {
            this.u8(l.length);
            l.copy(this.buf, this.pos);
            this.pos += l.length;
        }
        this.u8(0);
        // Register suffixes (lower-case) so the answers compress against the question.
        let off = start;
        for (let i = 0; i < q.labels.length; i++) {
            parts.length = 0;
            for (let j = i; j < q.labels.length; j++)
                parts.push(q.labels[j].toString("latin1"));
            const suffix = parts.join(".").toLowerCase();
            if (!this.names.has(suffix) && off < 0x3fff)
                this.names.set(suffix, off);
            off += 1 + q.labels[i].length;
        }
        this.u16(q.qtype);
        this.u16(q.qclass);
    }
    rr(r, qname) {
        if (r.name === qname && qname !== "")
            this.u16(0xc00c);
        else
            this.name(r.name);
        this.u16(TYPE_CODE[r.type]);
        this.u16(1);
        this.u32(r.ttl);
        const lenAt = this.pos;
        this.u16(0);
        switch (r.type) {
            case "A":
                for (const p of r.data.split("."))
                    this.u8(Number(p));
                break;
            case "AAAA": {
                let v = parseIPv6(r.data) ?? 0n;
                const bytes = [];
                for (let i = 0; i < 16; i++) {
                    bytes.unshift(Number(v & 0xffn));
                    v >>= 8n;
                }
                for (const b of bytes)
                    this.u8(b);
                break;
            }
            case "CNAME":
            case "PTR":
            case "NS":
                this.name(r.data);
                break;
            case "TXT":
                for (const t of r.data) {
                    const b = Buffer.from(t, "utf8");
                    for (let i = 0; i < b.length || i === 0; i += 255) {
                        const c = b.subarray(i, i + 255);
                        this.u8(c.length);
                        c.copy(this.buf, this.pos);
                        this.pos += c.length;
                        if (b.length === 0)
                            break;
                    }
                }
                break;
            case "SRV":
                this.u16(r.data.priority);
                this.u16(r.data.weight);
                this.u16(r.data.port);
                // RFC 2782: the target is not compressed.
                this.name(r.data.target, false);
                break;
            case "SOA":
                this.name(r.data.mname);
                this.name(r.data.rname);
                this.u32(r.data.serial);
                this.u32(r.data.refresh);
                this.u32(r.data.retry);
                this.u32(r.data.expire);
                this.u32(r.data.minimum);
                break;
        }
        this.buf.writeUInt16BE(this.pos - lenAt - 2, lenAt);
    }
}
const W = new Writer();
/**
 * Encodes a response to `q`. `limit`: the largest message allowed (UDP: 512 without
 * EDNS, else the negotiated size; TCP: 65535). When the records do not fit, whole
 * records are dropped from the end; TC is set when an answer record was dropped
 * (miekg/dns Truncate; RFC 2181 9: dropping additional data does not set TC).
 */
export function encodeResponse(q, r, limit, serverUdp) {
    const w = W;
    w.reset();
    w.u16(q.id);
    w.u16(0); // flags, written below
    w.u16(1);
    w.u16(0);
    w.u16(0);
    w.u16(0);
    w.question(q);
    const sections = [r.answers, r.authority, r.additional];
    const ends = [];
    let full = true;
    const optLen = q.edns ? 11 : 0;
    outer: for (const s of sections) {
        for (const rr of s) {
            w.rr(rr, q.name);
            if (w.pos + optLen > limit) {
                full = false;
                break outer;
            }
            ends.push(w.pos);
        }
    }
    // Counts of the records that fit.
    const counts = [0, 0, 0];
    let kept = ends.length;
    for (let i = 0; i < 3; i++) {
        const c = Math.min(kept, sections[i].length);
        counts[i] = c;
        kept -= c;
    }
    const cut = ends.length > 0 ? ends[ends.length - 1] : headerAndQuestionEnd(q);
    w.pos = cut;
    const tc = !full && counts[0] < r.answers.length;
    let arCount = counts[2];
    if (q.edns) {
        w.u8(0);
        w.u16(41);
        w.u16(serverUdp);
        w.u32((((r.rcode >> 4) & 0xff) << 24) | (q.edns.do ? 0x8000 : 0));
        w.u16(0);
        arCount++;
    }
    let flags = 0x8000 | (q.opcode << 11) | (r.rcode & 0xf);
    if (r.aa)
        flags |= 0x0400;
    if (tc)
        flags |= 0x0200;
    if (q.rd)
        flags |= 0x0100;
    if (r.ra)
        flags |= 0x0080;
    if (q.cd)
        flags |= 0x0010;
    w.buf.writeUInt16BE(flags, 2);
    w.buf.writeUInt16BE(counts[0], 6);
    w.buf.writeUInt16BE(counts[1], 8);
    w.buf.writeUInt16BE(arCount, 10);
    const out = Buffer.allocUnsafe(w.pos);
    w.buf.copy(out, 0, 0, w.pos);
    return out;
}
function headerAndQuestionEnd(q) {
    let n = 12;
    for (const l of q.labels)
        n += 1 + l.length;
    return n + 1 + 4;
}
/** An error reply (FORMERR, NOTIMP, SERVFAIL, BADVERS…), echoing the question when it parsed. */
export function encodeError(id, opcode, rd, rcode, q) {
    if (q)
        return encodeResponse({ ...q, id, opcode, rd }, { rcode, aa: false, ra: false, answers: [], authority: [], additional: [] }, 65535, 1232);
    const b = Buffer.alloc(12);
    b.writeUInt16BE(id, 0);
    b.writeUInt16BE(0x8000 | ((opcode & 0xf) << 11) | (rd ? 0x0100 : 0) | (rcode & 0xf), 2);
    return b;
}
/** A plain query (for upstream lookups and tests). */
export function encodeQuery(id, name, qtype, opts = {}) {
    const labels = (name.endsWith(".") ? name.slice(0, -1) : name).split(".").filter((l) => l !== "");
    let len = 12 + 1 + 4;
    for (const l of labels)
        len += 1 + Buffer.byteLength(l, "latin1");
    if (opts.edns)
        len += 11;
    const b = Buffer.alloc(len);
    b.writeUInt16BE(id, 0);
    b.writeUInt16BE(opts.rd === false ? 0 : 0x0100, 2);
    b.writeUInt16BE(1, 4);
    if (opts.edns)
        b.writeUInt16BE(1, 10);
    let p = 12;
    for (const l of labels) {
        const lb = Buffer.from(l, "latin1");
        b[p++] = lb.length;
        lb.copy(b, p);
        p += lb.length;
    }
    b[p++] = 0;
    b.writeUInt16BE(qtype, p);
    b.writeUInt16BE(1, p + 2);
    p += 4;
    if (opts.edns) {
        b[p] = 0;
        b.writeUInt16BE(41, p + 1);
        b.writeUInt16BE(opts.edns, p + 3);
    }
    return b;
}
//# sourceMappingURL=wire.js.map