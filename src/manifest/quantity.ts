// Kubernetes resource quantities ("100m", "0.5", "128Mi", "1G", "1e3"), as
// k8s.io/apimachinery/pkg/api/resource/quantity.go reads them: a signed decimal number and
// one suffix: binary (Ki Mi Gi Ti Pi Ei), decimal SI (n u m "" k M G T P E) or an exponent
// (e3, E-2). Kept exact (an integer mantissa with a decimal and a binary exponent, BigInt):
// `ScaledValue` rounds up, and kubelet's ceil(value / divisor) must see 250m and 1 exactly
// (250m / 1 → "1"). Written by hand: no maintained npm package parses this format alone.

/** mantissa × 10^dec × 2^bin */
interface Exact {
  mantissa: bigint;
  dec: number;
  bin: number;
}

// quantity.go's grammar: <signedNumber><suffix>, suffix binarySI (Ki…Ei), decimalSI
// (n u m "" k M G T P E) or a decimal exponent (e3, E-2).
const FORMAT = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))((?:[eE][+-]?[0-9]+)|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]?)$/;
const BIN: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DEC: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

function parseExact(q: unknown): Exact | undefined {
  if (typeof q === "number") q = String(q);
  if (typeof q !== "string") return undefined;
  const m = FORMAT.exec(q.trim());
  if (!m) return undefined;
  const [int, frac = ""] = m[1].replace(/^\+/, "").split(".");
  const mantissa = BigInt((int === "" || int === "-" ? `${int}0` : int) + frac);
  let dec = -frac.length;
  let bin = 0;
  const s = m[2];
  if (/^[eE]/.test(s)) dec += Number(s.slice(1));
  else if (s in BIN) bin = BIN[s];
  else dec += DEC[s];
  return { mantissa, dec, bin };
}

/** Quantity.ScaledValue(scale): the value in units of 10^scale, rounded up (ceil). */
export function scaledValue(q: unknown, scale: number): bigint | undefined {
  const e = parseExact(q);
  if (!e) return undefined;
  let num = e.mantissa * 2n ** BigInt(e.bin);
  let den = 1n;
  const shift = e.dec - scale;
  if (shift >= 0) num *= 10n ** BigInt(shift);
  else den = 10n ** BigInt(-shift);
  const q0 = num / den;
  return num % den !== 0n && num > 0n ? q0 + 1n : q0;
}

/** Quantity.MilliValue. */
export const milliValue = (q: unknown): bigint | undefined => scaledValue(q, -3);
/** Quantity.Value. */
export const wholeValue = (q: unknown): bigint | undefined => scaledValue(q, 0);
/** Quantity.IsZero (a value that does not parse counts as absent, not zero). */
export const isZeroQuantity = (q: unknown): boolean => parseExact(q)?.mantissa === 0n;

/** The quantity as a float (for range checks), or undefined when it is not a quantity. */
export function parseQuantity(q: unknown): number | undefined {
  const e = parseExact(q);
  return e ? Number(e.mantissa) * 10 ** e.dec * 2 ** e.bin : undefined;
}

/** CPU in millicores, rounded up as Quantity.MilliValue does (the scheduler's unit). */
export function milliCPU(q: unknown): number | undefined {
  const v = milliValue(q);
  return v === undefined ? undefined : Number(v);
}

/** Bytes (or any whole resource), rounded up as Quantity.Value does. */
export function byteValue(q: unknown): number | undefined {
  const v = wholeValue(q);
  return v === undefined ? undefined : Number(v);
}

/** The suffix family the quantity was written in (Quantity.Format), which its canonical
 *  String() keeps; undefined when it is not a quantity. */
export function quantityFormat(q: unknown): "DecimalSI" | "BinarySI" | "DecimalExponent" | undefined {
  if (typeof q === "number") return Number.isFinite(q) ? "DecimalSI" : undefined;
  if (typeof q !== "string") return undefined;
  const m = FORMAT.exec(q.trim());
  if (!m) return undefined;
  return m[2] in BIN ? "BinarySI" : /^[eE]/.test(m[2]) ? "DecimalExponent" : "DecimalSI";
}
