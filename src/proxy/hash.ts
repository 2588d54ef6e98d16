// kube-proxy's chain-name hashes: base32(sha256(…)) (standard alphabet, upper case).
// iptables: pkg/proxy/iptables/proxier.go portProtoHash / servicePortEndpointChainName;
// nftables: pkg/proxy/nftables/proxier.go hashAndTruncate.
//
// SHA-256 is implemented here because a cluster at the scalability thresholds needs
// ~200k short digests per build and node:crypto's per-call overhead (~2-3 µs) dominated;
// this one reuses its buffers (~0.5 µs for a one-block name). Checked against
// node:crypto in hash.test.ts.

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const W = new Int32Array(64);
const H = new Int32Array(8);
let buf = new Uint8Array(256);
const enc = new TextEncoder();

/** SHA-256 of the UTF-8 bytes of `s`; the 8 state words are left in H. */
function sha256Words(s: string): Int32Array {
  // UTF-8 encode (ASCII fast path) into buf, padded to a multiple of 64 bytes.
  let n = s.length;
  let ascii = true;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 127) { ascii = false; break; }
  let bytes: Uint8Array;
  if (ascii) {
    if (buf.length < n + 72) buf = new Uint8Array(2 * (n + 72));
    for (let i = 0; i < n; i++) buf[i] = s.charCodeAt(i);
    bytes = buf;
  } else {
    const e = enc.encode(s);
    n = e.length;
    if (buf.length < n + 72) buf = new Uint8Array(2 * (n + 72));
    buf.set(e);
    bytes = buf;
  }
  const total = ((n + 8) >> 6) * 64 + 64;
  bytes[n] = 0x80;
  for (let i = n + 1; i < total - 8; i++) bytes[i] = 0;
  const bits = n * 8;
  bytes[total - 8] = 0;
  bytes[total - 7] = 0;
  bytes[total - 6] = 0;
  bytes[total - 5] = (bits / 0x100000000) & 0xff;
  bytes[total - 4] = (bits >>> 24) & 0xff;
  bytes[total - 3] = (bits >>> 16) & 0xff;
  bytes[total - 2] = (bits >>> 8) & 0xff;
  bytes[total - 1] = bits & 0xff;

  let h0 = 0x6a09e667 | 0, h1 = 0xbb67ae85 | 0, h2 = 0x3c6ef372 | 0, h3 = 0xa54ff53a | 0;
  let h4 = 0x510e527f | 0, h5 = 0x9b05688c | 0, h6 = 0x1f83d9ab | 0, h7 = 0x5be0cd19 | 0;
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) {
      const j = off + i * 4;
      W[i] = (bytes[j] << 24) | (bytes[j + 1] << 16) | (bytes[j + 2] << 8) | bytes[j + 3];
    }
    for (let i = 16; i < 64; i++) {
      const a = W[i - 15];
      const b = W[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + K[i] + W[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
  }
  H[0] = h0; H[1] = h1; H[2] = h2; H[3] = h3; H[4] = h4; H[5] = h5; H[6] = h6; H[7] = h7;
  return H;
}

/** The 32-byte SHA-256 digest of `s` (UTF-8). */
export function sha256(s: string): Uint8Array {
  const h = sha256Words(s);
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    out[i * 4] = h[i] >>> 24;
    out[i * 4 + 1] = (h[i] >>> 16) & 0xff;
    out[i * 4 + 2] = (h[i] >>> 8) & 0xff;
    out[i * 4 + 3] = h[i] & 0xff;
  }
  return out;
}

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** The first `chars` characters of base32(sha256(s)); chars ≤ 48. */
export function base32Sha256(s: string, chars: number): string {
  const h = sha256Words(s);
  let out = "";
  let acc = 0;
  let bits = 0;
  for (let i = 0; out.length < chars; i++) {
    const byte = (h[i >> 2] >>> (24 - 8 * (i & 3))) & 0xff;
    acc = ((acc << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += B32[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** iptables: KUBE-SVC-/KUBE-SVL-/KUBE-EXT-/KUBE-FW- suffix for a service port. */
export function portProtoHash(servicePortName: string, protocol: string): string {
  return base32Sha256(servicePortName + protocol, 16);
}

/** iptables: the KUBE-SEP-… chain of one endpoint ("10.244.1.5:80") of a service port. */
export function sepChainName(servicePortName: string, protocol: string, endpoint: string): string {
  return "KUBE-SEP-" + base32Sha256(servicePortName + protocol + endpoint, 16);
}

/** nftables: hashAndTruncate — 8 hash characters, "-", the name; cut to 240 characters. */
export function hashAndTruncate(name: string): string {
  const n = base32Sha256(name, 8) + "-" + name;
  return n.length > 240 ? n.slice(0, 237) + "..." : n;
}
