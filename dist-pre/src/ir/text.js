// Large texts as UTF-8 bytes in one growing buffer, and the fast sorts of their names:
// what the iptables and nftables renderers (and kube-proxy's compact writers) share.
/** Sorts strings in place by UTF-16 code units (as Array.prototype.sort without a comparator). */
export function sortCodeUnits(a) {
    const order = sortedOrder(a);
    const copy = a.slice();
    for (let i = 0; i < a.length; i++)
        a[i] = copy[order[i]];
    return a;
}
/**
 * The indices of `a` in the strings' code-unit order, equal strings in index order: an
 * MSD radix sort, several times faster than a comparison sort on the ~700k KUBE-SEP-…
 * names of a large cluster (they share their first 9 characters).
 */
export function sortedOrder(a) {
    const n = a.length;
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++)
        idx[i] = i;
    if (n < 2)
        return idx;
    const w = { s: a.slice(), idx, ts: new Array(n), ti: new Int32Array(n), code: new Uint8Array(n) };
    if (!msd(w, 0, n, 0)) {
        // A character ≥ 128: the comparison sort (stable).
        const s = Array.from({ length: n }, (_, i) => i).sort((x, y) => (a[x] < a[y] ? -1 : a[x] > a[y] ? 1 : x - y));
        idx.set(s);
    }
    return idx;
}
function msd(w, lo, hi, d) {
    const { s, idx, ts, ti, code } = w;
    for (;;) {
        if (hi - lo < 24) {
            // Insertion sort (stable, exact for any code unit); the strings share their first d characters.
            for (let i = lo + 1; i < hi; i++) {
                const v = s[i];
                const vi = idx[i];
                let j = i - 1;
                while (j >= lo && s[j] > v) {
                    s[j + 1] = s[j];
                    idx[j + 1] = idx[j];
                    j--;
                }
                s[j + 1] = v;
                idx[j + 1] = vi;
            }
            return true;
        }
        // Buckets: 0 = the string ends at d, 1 + code unit otherwise.
        const count = new Int32Array(131);
        for (let i = lo; i < hi; i++) {
            const x = s[i];
            const c = d < x.length ? x.charCodeAt(d) + 1 : 0;
            if (c > 128)
                return false;
            code[i] = c;
            count[c + 1]++;
        }
        // All in one bucket (a common prefix): the next character, nothing moves.
        let single = -1;
        for (let b = 0; b < 129; b++)
            if (count[b + 1] === hi - lo) {
                single = b;
                break;
            }
            else if (count[b + 1] !== 0)
                break;
        if (single === 0)
            return true; // all equal
        if (single > 0) {
            d++;
            continue;
        }
        for (let b = 1; b < 131; b++)
            count[b] += count[b - 1];
        const start = count.slice(0, 130);
        for (let i = lo; i < hi; i++) {
            const k = lo + count[code[i]]++;
            ts[k] = s[i];
            ti[k] = idx[i];
        }
        for (let i = lo; i < hi; i++) {
            s[i] = ts[i];
            idx[i] = ti[i];
        }
        for (let b = 1; b < 129; b++) {
            const bl = lo + start[b];
            const bh = lo + start[b + 1];
            if (bh - bl > 1 && !msd(w, bl, bh, d + 1))
                return false;
        }
        return true;
    }
}
const utf8Encoder = new TextEncoder();
// ignoreBOM: a leading U+FEFF stays in the text.
const utf8Decoder = new TextDecoder("utf-8", { ignoreBOM: true });
/**
 * A large buffer's bytes. V8 counts an ArrayBuffer's memory as external and starts a full
 * garbage collection for about every 64 MB of it — with a large cluster's state in the
 * heap, ~0.6 s each, several per ruleset. A SharedArrayBuffer's memory is not counted that
 * way (it may be shared between isolates), so large texts use one where the platform has it.
 */
function newBytes(n) {
    return n > 1 << 20 && typeof SharedArrayBuffer === "function"
        ? new Uint8Array(new SharedArrayBuffer(n))
        : new Uint8Array(n);
}
/** A zeroed Int32Array of n elements; a large one held as newBytes explains. */
export function bigInt32Array(n) {
    return n > 1 << 18 && typeof SharedArrayBuffer === "function"
        ? new Int32Array(new SharedArrayBuffer(4 * n))
        : new Int32Array(n);
}
/** A zeroed Uint8Array of n elements; a large one held as newBytes explains. */
export function bigUint8Array(n) {
    return newBytes(n);
}
/** Node's Buffer, when present: its latin1 decoding is faster than TextDecoder's for ASCII. */
const NodeBuffer = globalThis.Buffer;
/**
 * Text as UTF-8 bytes in one growing buffer: a large ruleset is ~200 MB, and copying
 * bytes (copyWithin, for repeated pieces) is cheaper than building and joining millions of
 * strings (the string, when wanted, is decoded once at the end).
 */
export class ByteText {
    pieceAt;
    /**
     * A constant piece written once into the buffer (ahead of the output that copies it) and
     * its offset: the compact chains' writers copy their repeated texts from there.
     */
    piece(s) {
        const d = (this.pieceAt ??= new Map());
        let p = d.get(s);
        if (p === undefined) {
            d.set(s, (p = this.n));
            this.str(s);
        }
        return p;
    }
    buf = newBytes(1 << 16);
    n = 0;
    /** Only ASCII written so far. */
    ascii = true;
    /** The buffer, with room for k more bytes at n. */
    room(k) {
        if (this.n + k > this.buf.length) {
            const b = newBytes(Math.max(this.buf.length * 2, this.n + k));
            b.set(this.buf.subarray(0, this.n));
            this.buf = b;
        }
        return this.buf;
    }
    push(line) {
        this.str(line);
        this.buf[this.n++] = 10; // str left room for it
    }
    /** `s` (no newline added); leaves room for one more byte. */
    str(s) {
        const len = s.length;
        const b = this.room(len + 1);
        let n = this.n;
        for (let i = 0; i < len; i++) {
            const c = s.charCodeAt(i);
            if (c >= 128) {
                this.n = n;
                this.utf8(s.slice(i));
                return;
            }
            b[n++] = c;
        }
        this.n = n;
    }
    utf8(s) {
        this.ascii = false;
        const b = this.room(s.length * 3 + 1);
        this.n += utf8Encoder.encodeInto(s, b.subarray(this.n)).written;
    }
    byte(c) {
        this.room(1)[this.n++] = c;
    }
    /** Appends bytes [from, to) of this text (written earlier). */
    copy(from, to) {
        const len = to - from;
        const b = this.room(len + 1);
        if (len > 12)
            b.copyWithin(this.n, from, to);
        else
            for (let i = 0; i < len; i++)
                b[this.n + i] = b[from + i];
        this.n += len;
    }
    bytes(from = 0) {
        return this.buf.subarray(from, this.n);
    }
    text(from = 0) {
        if (this.ascii && NodeBuffer)
            return NodeBuffer.from(this.buf.buffer, this.buf.byteOffset + from, this.n - from).toString("latin1");
        return utf8Decoder.decode(this.bytes(from));
    }
}
// Helpers for writers that print straight into a ByteText's buffer: each writes at b[n]
// (the caller made room) and returns the new end.
/** b[p, p + len) copied to n (the pieces repeat: names, constant texts). */
export function putCopy(b, n, p, len) {
    if (len > 12)
        b.copyWithin(n, p, p + len);
    else
        for (let k = 0; k < len; k++)
            b[n + k] = b[p + k];
    return n + len;
}
/** `count` int32 words of `a` from i, each as 4 bytes (big endian: characters packed by the caller). */
export function putWords(b, n, a, i, count) {
    for (let k = i; k < i + count; k++) {
        const w = a[k];
        b[n] = w >>> 24;
        b[n + 1] = (w >>> 16) & 255;
        b[n + 2] = (w >>> 8) & 255;
        b[n + 3] = w & 255;
        n += 4;
    }
    return n;
}
/** A non-negative integer's decimal digits. */
export function putUint(b, n, x) {
    if (x < 10) {
        b[n] = 48 + x;
        return n + 1;
    }
    let len = 0;
    for (let y = x; y > 0; y = Math.floor(y / 10))
        len++;
    for (let k = n + len - 1; k >= n; k--) {
        b[k] = 48 + (x % 10);
        x = Math.floor(x / 10);
    }
    return n + len;
}
/** An IPv4 address (a uint32 in an int32) as a dotted quad. */
export function putIp(b, n, v) {
    n = putOctet(b, n, v >>> 24);
    b[n++] = 46;
    n = putOctet(b, n, (v >>> 16) & 255);
    b[n++] = 46;
    n = putOctet(b, n, (v >>> 8) & 255);
    b[n++] = 46;
    return putOctet(b, n, v & 255);
}
function putOctet(b, n, x) {
    if (x >= 100) {
        b[n++] = 48 + ((x / 100) | 0);
        b[n++] = 48 + (((x / 10) | 0) % 10);
    }
    else if (x >= 10)
        b[n++] = 48 + ((x / 10) | 0);
    b[n++] = 48 + (x % 10);
    return n;
}
//# sourceMappingURL=text.js.map