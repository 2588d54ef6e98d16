// The HTTP routing decision of the cluster's edge proxies (an Ingress controller with
// ingress-nginx's semantics, and podnet's Gateway API controller): what a request to a URL
// meets. `podnet route -o json` prints a RouteDecision exactly as below; other tools read it.

export interface RouteRequest {
  /** "http" | "https". */
  scheme: string;
  /** The Host header (or SNI for https), lower-cased, without the port. */
  host: string;
  port: number;
  /** The path, starting with "/", without the query. */
  path: string;
  /** The raw query string without "?" ("" when none). */
  query: string;
  method: string;
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Readonly<Record<string, string>>;
}

export interface RouteDecision {
  /** 200 when routed to a backend, 404 when nothing matches, 3xx for redirects, 500/503 per the API. */
  status: number;
  /** The object whose rule decided: an Ingress or an HTTPRoute ("NS/NAME"); null when nothing matched. */
  via: { kind: "Ingress" | "HTTPRoute"; name: string } | null;
  /** The index of the rule within that object (null when none). */
  rule: number | null;
  /** The match that won, as text ("Prefix /api", "Exact /", "PathPrefix /v1"); null when none. */
  match: string | null;
  backend: { service: string; port: number } | null;
  /** The backend's ready endpoints as "IP:PORT", in EndpointSlice order. */
  endpoints: string[];
  redirect: { location: string; status: number } | null;
}
