// A request as `podnet route URL -X METHOD -H 'Name: value'` describes it, read strictly:
// a bad URL or header is an error naming the value, never a guess.
import { quoteValue } from "../manifest/diag.js";
import type { RouteRequest } from "./types.js";

export interface ParsedRequest {
  request: RouteRequest;
  /** The TLS server name the client sends (the URL's host; null for http). */
  sni: string | null;
  /** The request target as sent (path and query, not normalised): what redirects keep. */
  requestUri: string;
}

// RFC 9110 5.1 (field-name = token) and 9.1 (method = token).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 5.5: field values are visible characters, spaces and tabs.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
// RFC 1123 host names (labels of letters, digits, hyphens; `_` too, as nginx accepts).
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** Reads URL, method and headers; returns the request or the error text (naming the value). */
export function parseRouteRequest(
  url: string,
  method = "GET",
  headerLines: readonly string[] = [],
): ParsedRequest | string {
  const m = /^(https?):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$/i.exec(url);
  if (!m) return `the URL must be http://HOST[:PORT]/PATH or https://…: ${quoteValue(url)}`;
  const scheme = m[1].toLowerCase();
  const authority = m[2];
  if (authority.includes("@")) return `the URL must not carry user information: ${quoteValue(url)}`;
  const hp = splitHostPort(authority, scheme);
  if (typeof hp === "string") return `${hp}: ${quoteValue(url)}`;
  const rawPath = m[3] === "" ? "/" : m[3];
  if (!/^[\x21-\x7e]*$/.test(rawPath) || (m[4] !== undefined && !/^[\x21-\x7e]*$/.test(m[4])))
    return `the URL's path and query must be printable ASCII without spaces (percent-encode them): ${quoteValue(url)}`;
  if (!TOKEN.test(method)) return `the method must be an HTTP token like GET or POST: ${quoteValue(method)}`;

  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const i = line.indexOf(":");
    const name = i > 0 ? line.slice(0, i) : "";
    if (!TOKEN.test(name)) return `a header must be 'Name: value' with a token name: ${quoteValue(line)}`;
    const value = line.slice(i + 1).trim();
    if (!FIELD_VALUE.test(value)) return `the value of header ${name} has control characters: ${quoteValue(line)}`;
    const k = name.toLowerCase();
    headers[k] = k in headers ? `${headers[k]}, ${value}` : value;
  }
  let host = hp.host;
  let port = hp.port;
  if (headers.host !== undefined) {
    // A Host header names the virtual server (curl -H 'Host: …'); SNI stays the URL's.
    const h = splitHostPort(headers.host, scheme);
    if (typeof h === "string") return `${h}: ${quoteValue(`Host: ${headers.host}`)}`;
    host = h.host;
    port = h.port;
  }
  const request: RouteRequest = {
    scheme,
    host,
    port,
    path: rawPath,
    query: m[4] ?? "",
    method: method.toUpperCase(),
    headers,
  };
  const requestUri = m[4] === undefined ? rawPath : `${rawPath}?${m[4]}`;
  return { request, sni: scheme === "https" ? hp.host : null, requestUri };
}

function splitHostPort(authority: string, scheme: string): { host: string; port: number } | string {
  const m = /^([^:]*)(?::(\d{1,5}))?$/.exec(authority);
  if (!m || m[1] === "") return "the host must be a name or an IPv4 address with an optional :PORT";
  const host = m[1].toLowerCase().replace(/\.$/, "");
  if (!HOSTNAME.test(host) && !IPV4.test(host)) return `the host ${quoteValue(m[1])} is not a valid host name`;
  const port = m[2] === undefined ? (scheme === "https" ? 443 : 80) : Number(m[2]);
  if (port < 1 || port > 65535) return `the port ${m[2]} is not 1-65535`;
  return { host, port };
}

/**
 * The URI nginx matches locations against (ngx_http_parse_complex_uri): percent-decoded,
 * `//` merged (merge_slashes on), `.` and `..` segments resolved. null: a `..` above the
 * root, which nginx answers with 400.
 */
export function normalizeUri(path: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    decoded = path; // a stray '%' is kept as is, as nginx does
  }
  const out: string[] = [];
  const segs = decoded.replace(/\/{2,}/g, "/").split("/");
  for (let i = 1; i < segs.length; i++) {
    const s = segs[i];
    if (s === ".") {
      if (i === segs.length - 1) out.push("");
    } else if (s === "..") {
      if (out.length === 0) return null;
      out.pop();
      if (i === segs.length - 1) out.push("");
    } else out.push(s);
  }
  return `/${out.join("/")}`;
}
