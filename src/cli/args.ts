// Values of command-line flags that name network endpoints: read strictly, so a bad one is
// a usage error (exit 1) before anything binds or connects.

import { isIP } from "node:net";
import { quoteValue as quote } from "../manifest/diag.js";
import { UsageError } from "./errors.js";

/** A port: decimal digits only, 1-65535 (0 too when `allowZero`: "any free port"). */
export function parsePort(text: string, flag: string, allowZero = false): number {
  const n = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
  const min = allowZero ? 0 : 1;
  if (!(n >= min && n <= 65535)) throw new UsageError(`${flag} must be a port ${min}-65535: ${quote(text)}`);
  return n;
}

/**
 * `IP:PORT` or `[IPv6]:PORT` (the forms Go's net.SplitHostPort reads, as CoreDNS's
 * `dns://` addresses): the address must be an IP literal and the port 0-65535.
 */
export function parseHostPort(text: string, flag: string, allowZero = false): { host: string; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):([^:]*)$/.exec(text);
  if (!m) throw new UsageError(`${flag} must be IP:PORT or [IPv6]:PORT: ${quote(text)}`);
  const host = m[1] ?? m[2];
  if (m[1] !== undefined ? isIP(host) !== 6 : isIP(host) !== 4)
    throw new UsageError(`${flag}: ${quote(host)} is not an IP${m[1] !== undefined ? "v6" : "v4"} address`);
  return { host, port: parsePort(m[3], flag, allowZero) };
}
