// DOM helpers. Every string from the cluster (names, labels, rule text) goes in as a
// text node or an attribute value, never as markup: there is no innerHTML in this app.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

function apply(e: Element, attrs: Attrs | undefined): void {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") e.addEventListener(k.slice(2), v as EventListener);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
}

function append(e: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  apply(e, attrs);
  append(e, children);
  return e;
}

export const SVGNS = "http://www.w3.org/2000/svg";
export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs?: Attrs,
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVGNS, tag) as SVGElementTagNameMap[K];
  apply(e, attrs);
  append(e, children);
  return e;
}

export function clear(e: Element): void {
  while (e.firstChild) e.removeChild(e.firstChild);
}

export async function getJSON<T>(url: string): Promise<T> {
  const r = await fetch(url);
  const v = await r.json();
  if (!r.ok) throw new Error(v?.error ?? `${r.status} ${r.statusText}`);
  return v as T;
}

export async function postJSON<T>(url: string, body: unknown): Promise<T> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const v = await r.json();
  if (!r.ok) throw new Error(v?.error ?? `${r.status} ${r.statusText}`);
  return v as T;
}

/** Truncates for drawing; the full text stays in the accessible name and the title. */
export function trunc(t: string, n: number): string {
  return t.length <= n ? t : t.slice(0, n - 1) + "…";
}
