// Kubernetes resource quantities ("100m", "0.5", "128Mi", "1G", "1e3"), as
// k8s.io/apimachinery/pkg/api/resource/quantity.go reads them: a signed decimal number and
// one suffix: binary (Ki Mi Gi Ti Pi Ei), decimal SI (n u m "" k M G T P E) or an
// exponent (e3, E-2). Written by hand: no maintained npm package parses this format alone.

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};
const FORMAT = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))((?:[eE][+-]?[0-9]+)|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]?)$/;

/** The quantity's value, or undefined when it is not a quantity. */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === "number") return Number.isFinite(q) ? q : undefined;
  if (typeof q !== "string") return undefined;
  const m = FORMAT.exec(q.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const suffix = m[2];
  if (/^[eE]/.test(suffix)) return n * 10 ** Number(suffix.slice(1));
  return n * (BINARY[suffix] ?? DECIMAL[suffix]);
}

/** CPU in millicores, rounded up as Quantity.MilliValue does. */
export function milliCPU(q: unknown): number | undefined {
  const v = parseQuantity(q);
  return v === undefined ? undefined : Math.ceil(Math.round(v * 1e9) / 1e6);
}

/** Bytes (or any integer resource), rounded up as Quantity.Value does. */
export function wholeValue(q: unknown): number | undefined {
  const v = parseQuantity(q);
  return v === undefined ? undefined : Math.ceil(v - 1e-9);
}
