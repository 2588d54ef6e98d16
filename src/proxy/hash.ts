// kube-proxy's chain-name hashes: base32(sha256(…)) (standard alphabet, upper case).
// iptables: pkg/proxy/iptables/proxier.go portProtoHash / servicePortEndpointChainName;
// nftables: pkg/proxy/nftables/proxier.go hashAndTruncate.

import * as crypto from "node:crypto";

// crypto.hash (Node ≥ 20.12) is a one-shot digest without a Hash object: ~2× faster.
const oneShot = (crypto as unknown as { hash?: (alg: string, data: string, enc: "buffer") => Buffer }).hash;
const sha256 = (s: string): Buffer => (oneShot ? oneShot("sha256", s, "buffer") : crypto.createHash("sha256").update(s).digest());

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** The first `chars` characters of base32(sha256(s)); chars ≤ 48. */
export function base32Sha256(s: string, chars: number): string {
  const h = sha256(s);
  let out = "";
  let buf = 0;
  let bits = 0;
  for (let i = 0; out.length < chars; i++) {
    buf = ((buf << 8) | h[i]) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += B32[(buf >> (bits - 5)) & 31];
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
