// The cluster map, drawn as the seed notes draw it: Services (virtual IPs) on top,
// nodes with their pods, each pod's veth into cni0 (or a cali… route), the node's
// tunnel device and eth0, the underlay switch below and the tunnels between nodes.
// Plain SVG: every pod, node and Service is a focusable DOM element with an
// aria-label holding its name and IP; d3-zoom only pans and zooms.

import { select } from "d3-selection";
import { zoom, zoomIdentity, type ZoomBehavior } from "d3-zoom";
import { h, s, clear, trunc } from "./dom.js";
import type { MapModel, MapPod, MapService, Step } from "./types.js";

export interface Pt {
  x: number;
  y: number;
}
interface Box extends Pt {
  w: number;
  h: number;
}
interface NodePos extends Box {
  nf: Pt;
  bridge: Pt;
  tunnel: Pt;
  eth0: Pt;
  row: number;
}

export type Selection =
  | { kind: "pod"; pod: MapPod }
  | { kind: "node"; name: string }
  | { kind: "service"; svc: MapService }
  | { kind: "external" };

const PALETTE = [
  "#2563eb",
  "#16a34a",
  "#d97706",
  "#9333ea",
  "#dc2626",
  "#0891b2",
  "#be185d",
  "#4d7c0f",
  "#7c3aed",
  "#b45309",
];
const SHAPES = ["circle", "square", "triangle", "diamond", "hexagon"] as const;

const NW = 340; // node width
const POD_H = 48;
const POD_GAP = 6;
const SVC_W = 210;
const SVC_H = 46;

export const podKey = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;

export class ClusterMap {
  readonly root: HTMLElement;
  private svg: SVGSVGElement;
  private view: SVGGElement;
  private overlay!: SVGGElement;
  private zoomer: ZoomBehavior<SVGSVGElement, unknown>;
  private nsColour = new Map<string, string>();
  private nsShape = new Map<string, (typeof SHAPES)[number]>();
  private collapsedNodes = new Set<string>();
  private collapsedGroups = new Set<string>(); // "node|ns"
  private collapsedSvcNs = new Set<string>();
  private pods = new Map<string, Box & { el?: SVGGElement; row: number }>();
  private curRow = 0;
  private nodes = new Map<string, NodePos>();
  private svcs = new Map<string, Box>();
  private groupPos = new Map<string, Box>();
  private outside: Box = { x: 0, y: 0, w: 0, h: 0 };
  private underlayY = new Map<number, number>();
  private width = 0;
  private height = 0;
  private hlService: string | null = null;
  private lastFocusKey: string | null = null;
  onSelect: (s: Selection) => void = () => {};

  constructor(private m: MapModel) {
    m.namespaces.forEach((n, i) => {
      this.nsColour.set(n, PALETTE[i % PALETTE.length]);
      this.nsShape.set(n, SHAPES[Math.floor(i / PALETTE.length + i) % SHAPES.length]);
    });
    // Aggregate big clusters: nodes start collapsed, crowded namespaces too.
    const big = m.pods.length > 400;
    if (big) for (const n of m.nodes) this.collapsedNodes.add(n.name);
    const perGroup = new Map<string, number>();
    for (const p of m.pods)
      if (p.node) perGroup.set(`${p.node}|${p.namespace}`, (perGroup.get(`${p.node}|${p.namespace}`) ?? 0) + 1);
    // Small clusters (3 nodes × 30 pods) show every pod; bigger ones fold crowded namespaces.
    if (m.pods.length > 200) for (const [k, c] of perGroup) if (c > 15) this.collapsedGroups.add(k);
    if (m.services.length > 40) for (const n of new Set(m.services.map((x) => x.namespace))) this.collapsedSvcNs.add(n);

    this.svg = s("svg", {
      class: "map",
      role: "group",
      "aria-label": `Cluster map of ${m.cluster}: ${m.nodes.length} nodes, ${m.pods.length} pods, ${m.services.length} Services`,
    });
    this.view = s("g", { class: "viewport" });
    this.svg.appendChild(this.view);
    this.zoomer = zoom<SVGSVGElement, unknown>()
      .scaleExtent([0.05, 4])
      // The wheel scrolls (Ctrl/⌘ + wheel or pinch zooms), as in most map and diagram tools.
      .filter(
        (ev: Event) =>
          ev.type !== "dblclick" &&
          !(ev.type === "wheel" && !(ev as WheelEvent).ctrlKey && !(ev as WheelEvent).metaKey) &&
          !(ev.type === "mousedown" && (ev.target as Element).closest?.("[tabindex]")),
      )
      .on("zoom", (ev) => this.view.setAttribute("transform", ev.transform.toString()));
    select(this.svg).call(this.zoomer);
    this.svg.addEventListener(
      "wheel",
      (ev) => {
        if (ev.ctrlKey || ev.metaKey) return;
        ev.preventDefault();
        const k = this.view.transform.baseVal.consolidate()?.matrix.a ?? 1;
        select(this.svg).call(this.zoomer.translateBy, -ev.deltaX / k, -ev.deltaY / k);
      },
      { passive: false },
    );
    const tools = h(
      "div",
      { class: "map-tools", role: "toolbar", "aria-label": "Map view" },
      h("button", { type: "button", onclick: () => this.zoomBy(1.25), "aria-label": "Zoom in" }, "+"),
      h("button", { type: "button", onclick: () => this.zoomBy(0.8), "aria-label": "Zoom out" }, "−"),
      h("button", { type: "button", onclick: () => this.fit() }, "Fit"),
      h("button", { type: "button", onclick: () => this.setAllNodes(false) }, "Expand all"),
      h("button", { type: "button", onclick: () => this.setAllNodes(true) }, "Collapse all"),
    );
    this.root = h("div", { class: "map-wrap" }, h("div", { class: "map-top" }, this.legend(), tools), this.svg);
    this.svg.addEventListener("focusin", (e) => this.reveal(e.target as Element));
    this.render();
  }

  colour(ns: string): string {
    return this.nsColour.get(ns) ?? "#64748b";
  }

  private legend(): HTMLElement {
    const items = this.m.namespaces
      .filter((n) => this.m.pods.some((p) => p.namespace === n) || this.m.services.some((x) => x.namespace === n))
      .map((n) => {
        const sw = s("svg", { width: 14, height: 14, "aria-hidden": "true" }, this.glyph(n, 7, 7, 6));
        return h("li", {}, sw, " ", n);
      });
    const cni = `${this.m.cni}${this.m.backend ? " " + this.m.backend : ""}`;
    return h(
      "div",
      { class: "legend" },
      h("strong", {}, "Namespaces"),
      h("ul", {}, ...items),
      h(
        "div",
        { class: "legend-meta" },
        `CNI ${cni} · kube-proxy ${this.m.proxyMode} · pods ${this.m.podSubnet} · Services ${this.m.serviceSubnet}`,
      ),
    );
  }

  private glyph(ns: string, cx: number, cy: number, r: number): SVGElement {
    const fill = this.colour(ns);
    const shape = this.nsShape.get(ns) ?? "circle";
    const pts = (n: number, rot: number) =>
      Array.from({ length: n }, (_, i) => {
        const a = rot + (i * 2 * Math.PI) / n;
        return `${(cx + r * Math.cos(a)).toFixed(1)},${(cy + r * Math.sin(a)).toFixed(1)}`;
      }).join(" ");
    switch (shape) {
      case "square":
        return s("rect", { x: cx - r * 0.8, y: cy - r * 0.8, width: r * 1.6, height: r * 1.6, fill, class: "glyph" });
      case "triangle":
        return s("polygon", { points: pts(3, -Math.PI / 2), fill, class: "glyph" });
      case "diamond":
        return s("polygon", { points: pts(4, 0), fill, class: "glyph" });
      case "hexagon":
        return s("polygon", { points: pts(6, 0), fill, class: "glyph" });
      default:
        return s("circle", { cx, cy, r: r * 0.85, fill, class: "glyph" });
    }
  }

  private zoomBy(k: number): void {
    select(this.svg).call(this.zoomer.scaleBy, k);
  }

  /** The first view: the whole width at a readable scale, from the top (scroll for more). */
  fitWidth(): void {
    const r = this.svg.getBoundingClientRect();
    const w = r.width || 1000;
    const hh = r.height || 700;
    const kAll = Math.min(w / (this.width + 20), hh / (this.height + 20));
    const k = Math.max(Math.min(w / (this.width + 20), 1.1), 0.05);
    if (kAll >= k * 0.8) return this.fit();
    select(this.svg).call(this.zoomer.transform, zoomIdentity.translate((w - this.width * k) / 2, 4).scale(k));
  }

  fit(): void {
    const r = this.svg.getBoundingClientRect();
    const w = r.width || 1000;
    const hh = r.height || 700;
    const k = Math.min(w / (this.width + 20), hh / (this.height + 20), 1.2);
    const kk = Math.max(k, 0.05);
    select(this.svg).call(this.zoomer.transform, zoomIdentity.translate((w - this.width * kk) / 2, 10).scale(kk));
  }

  /** Keeps the keyboard focus visible: pans the focused element into view. */
  private reveal(el: Element): void {
    const g = el.closest?.("[data-x]") as SVGGElement | null;
    if (!g) return;
    const x = Number(g.dataset.x);
    const y = Number(g.dataset.y);
    const r = this.svg.getBoundingClientRect();
    const t = (this.view.transform.baseVal.consolidate()?.matrix ?? new DOMMatrix()) as DOMMatrix;
    const sx = x * t.a + t.e;
    const sy = y * t.d + t.f;
    if (sx < 20 || sy < 20 || sx > r.width - 60 || sy > r.height - 60) {
      const k = Math.max(t.a, 0.6);
      select(this.svg).call(
        this.zoomer.transform,
        zoomIdentity.translate(r.width / 2 - x * k, r.height / 2 - y * k).scale(k),
      );
    }
  }

  private setAllNodes(collapsed: boolean): void {
    this.collapsedNodes.clear();
    this.collapsedGroups.clear();
    if (collapsed) for (const n of this.m.nodes) this.collapsedNodes.add(n.name);
    this.render();
    this.fit();
  }

  /** Makes an element focusable and clickable (Enter / Space act like a click). */
  private interactive(g: SVGGElement, label: string, act: () => void, key: string): void {
    g.setAttribute("tabindex", "0");
    g.setAttribute("role", "button");
    g.setAttribute("aria-label", label);
    g.dataset.key = key;
    g.appendChild(s("title", {}, label));
    g.addEventListener("click", (e) => {
      e.stopPropagation();
      act();
    });
    g.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        act();
      }
    });
  }

  private restoreFocus(): void {
    if (!this.lastFocusKey) return;
    const el = this.view.querySelector(`[data-key="${CSS.escape(this.lastFocusKey)}"]`) as SVGGElement | null;
    el?.focus({ preventScroll: true });
    // Opening an aggregate in a big overview: zoom to where it opened.
    const t = this.view.transform.baseVal.consolidate()?.matrix;
    if (el && t && t.a < 0.5) {
      const r = this.svg.getBoundingClientRect();
      const x = Number(el.dataset.x);
      const y = Number(el.dataset.y);
      select(this.svg).call(
        this.zoomer.transform,
        zoomIdentity.translate(r.width / 2 - x * 0.9, r.height / 3 - y * 0.9).scale(0.9),
      );
    }
  }

  render(): void {
    clear(this.view);
    this.pods.clear();
    this.nodes.clear();
    this.svcs.clear();
    this.groupPos.clear();
    this.underlayY.clear();
    const m = this.m;
    const N = m.nodes.length;
    const cols = N <= 5 ? Math.max(N, 1) : Math.ceil(Math.sqrt(N * 1.6));
    const totalW = Math.max(cols * (NW + 40) - 40, 3 * SVC_W);
    const edgesLayer = s("g", { class: "svc-edges", "aria-hidden": "true" });
    const tunnelsLayer = s("g", { class: "tunnels", "aria-hidden": "true" });
    const underlayLayer = s("g", { class: "underlay" });
    const nodesLayer = s("g", { class: "nodes" });
    const svcLayer = s("g", { class: "services", role: "group", "aria-label": "Services" });

    // --- Services band
    let y = 24;
    svcLayer.appendChild(
      s(
        "text",
        { x: 24, y, class: "band-title" },
        "Services — virtual IPs; kube-proxy rewrites them (DNAT) on every node",
      ),
    );
    y += 14;
    const svcCols = Math.max(1, Math.floor((totalW + 12) / (SVC_W + 12)));
    let col = 0;
    const newRow = () => {
      col = 0;
      y += SVC_H + 10;
    };
    const byNs = new Map<string, MapService[]>();
    for (const sv of m.services) {
      if (!byNs.has(sv.namespace)) byNs.set(sv.namespace, []);
      byNs.get(sv.namespace)!.push(sv);
    }
    const placeBox = () => {
      if (col >= svcCols) newRow();
      const b = { x: 24 + col * (SVC_W + 12), y, w: SVC_W, h: SVC_H };
      col++;
      return b;
    };
    for (const [ns, list] of byNs) {
      if (this.collapsedSvcNs.has(ns)) {
        const b = placeBox();
        const g = s("g", { class: "svc-group", "data-x": b.x + b.w / 2, "data-y": b.y + b.h / 2 });
        g.appendChild(s("rect", { x: b.x, y: b.y, width: b.w, height: b.h, rx: 8, class: "box svc collapsed" }));
        g.appendChild(this.glyph(ns, b.x + 14, b.y + 16, 6));
        g.appendChild(s("text", { x: b.x + 26, y: b.y + 20, class: "t1" }, `▸ ${ns}`));
        g.appendChild(s("text", { x: b.x + 26, y: b.y + 36, class: "t2" }, `${list.length} Services (collapsed)`));
        this.interactive(
          g,
          `Services in namespace ${ns}: ${list.length}, collapsed; press Enter to expand`,
          () => {
            this.lastFocusKey = `svcns:${ns}`;
            this.collapsedSvcNs.delete(ns);
            this.render();
            this.restoreFocus();
          },
          `svcns:${ns}`,
        );
        svcLayer.appendChild(g);
        for (const sv of list) this.svcs.set(podKey(sv), b);
        continue;
      }
      for (const sv of list) {
        const b = placeBox();
        this.svcs.set(podKey(sv), b);
        const g = s("g", {
          class: `svc-item${sv.dns ? " dns" : ""}`,
          "data-kind": "service",
          "data-x": b.x + b.w / 2,
          "data-y": b.y + b.h / 2,
        });
        g.appendChild(s("rect", { x: b.x, y: b.y, width: b.w, height: b.h, rx: 8, class: "box svc" }));
        g.appendChild(s("rect", { x: b.x, y: b.y, width: 6, height: b.h, rx: 3, fill: this.colour(ns) }));
        g.appendChild(this.glyph(ns, b.x + b.w - 12, b.y + 12, 5));
        g.appendChild(
          s(
            "text",
            { x: b.x + 12, y: b.y + 18, class: "t1" },
            trunc(sv.name, 21),
            s("tspan", { class: "t3" }, ` ${sv.type}`),
          ),
        );
        const ip = sv.clusterIP ?? (sv.type === "ExternalName" ? "ExternalName" : "none");
        const ports = sv.ports.map((p) => `${p.port}${p.nodePort ? ":" + p.nodePort : ""}/${p.protocol}`).join(",");
        g.appendChild(
          s("text", { x: b.x + 12, y: b.y + 35, class: "t2" }, trunc(`${ip}${ports ? " · " + ports : ""} · ${ns}`, 34)),
        );
        if (sv.dns) g.appendChild(this.badge(b.x + b.w - 44, b.y + b.h - 16, "DNS"));
        const label = `Service ${ns}/${sv.name}, ${sv.type}, IP ${ip}${ports ? `, ports ${ports}` : ""}${sv.externalIPs.length ? `, external ${sv.externalIPs.join(" ")}` : ""}, ${sv.endpoints.length} endpoints${sv.dns ? ", cluster DNS (CoreDNS)" : ""}`;
        this.interactive(
          g,
          label,
          () => {
            this.lastFocusKey = `svc:${podKey(sv)}`;
            this.highlightService(podKey(sv));
            this.onSelect({ kind: "service", svc: sv });
          },
          `svc:${podKey(sv)}`,
        );
        g.addEventListener("mouseenter", () => edgesLayer.classList.add("hover-" + this.svcClass(sv)));
        g.addEventListener("mouseleave", () => edgesLayer.classList.remove("hover-" + this.svcClass(sv)));
        svcLayer.appendChild(g);
      }
    }
    if (m.services.length === 0) svcLayer.appendChild(s("text", { x: 24, y: y + 14, class: "t2" }, "(no Services)"));
    y += m.services.length ? SVC_H + 36 : 40;

    // --- Nodes
    const nodeTop = y;
    const rows: { y: number; h: number }[] = [];
    const nodeG: SVGGElement[] = [];
    m.nodes.forEach((n, i) => {
      const r = Math.floor(i / cols);
      const c = i % cols;
      if (!rows[r]) rows[r] = { y: 0, h: 0 };
      const g = this.drawNode(n.name, 24 + c * (NW + 40), 0, r);
      nodeG.push(g.g);
      rows[r].h = Math.max(rows[r].h, g.h);
    });
    let ry = nodeTop;
    rows.forEach((r) => {
      r.y = ry;
      ry += r.h + 110;
    });
    m.nodes.forEach((n, i) => {
      const r = Math.floor(i / cols);
      const np = this.nodes.get(n.name)!;
      const dy = rows[r].y;
      nodeG[i].setAttribute("transform", `translate(0,${dy})`);
      nodeG[i]
        .querySelectorAll<SVGGElement>("[data-y]")
        .forEach((e) => (e.dataset.y = String(Number(e.dataset.y) + dy)));
      np.y += dy;
      for (const p of [np.nf, np.bridge, np.tunnel, np.eth0]) p.y += dy;
      nodesLayer.appendChild(nodeG[i]);
    });
    for (const b of this.pods.values()) b.y += rows[b.row].y;
    for (const [k, b] of this.groupPos) {
      const node = k.split("|")[0];
      const np = this.nodes.get(node);
      if (np) this.groupPos.set(k, { ...b, y: b.y + rows[np.row].y });
    }

    // --- Underlay: one bar per row of nodes (the same switch), eth0 links down to it.
    rows.forEach((r, ri) => {
      const uy = r.y + r.h + 34;
      this.underlayY.set(ri, uy);
      underlayLayer.appendChild(s("rect", { x: 24, y: uy, width: totalW, height: 26, rx: 6, class: "underlay-bar" }));
      underlayLayer.appendChild(
        s(
          "text",
          { x: 34, y: uy + 17, class: "t2 underlay-text" },
          `underlay ${m.underlay.subnet} — the node network's switch (podnet0), MTU ${m.underlay.mtu}${ri > 0 ? " (same segment)" : ""}`,
        ),
      );
    });
    for (const n of m.nodes) {
      const np = this.nodes.get(n.name)!;
      const uy = this.underlayY.get(np.row)!;
      underlayLayer.appendChild(s("line", { x1: np.eth0.x, y1: np.eth0.y + 15, x2: np.eth0.x, y2: uy, class: "wire" }));
    }
    const lastRow = rows.length - 1;
    const lastUy = this.underlayY.get(lastRow) ?? ry;
    // The outside client sits on the underlay (a host on the node network).
    this.outside = { x: 24, y: lastUy + 70, w: 230, h: 40 };
    const og = s("g", {
      class: "outside",
      "data-kind": "external",
      "data-x": this.outside.x + 100,
      "data-y": this.outside.y + 20,
    });
    og.appendChild(
      s("line", {
        x1: this.outside.x + 115,
        y1: lastUy + 26,
        x2: this.outside.x + 115,
        y2: this.outside.y,
        class: "wire",
      }),
    );
    og.appendChild(
      s("rect", {
        x: this.outside.x,
        y: this.outside.y,
        width: this.outside.w,
        height: this.outside.h,
        rx: 8,
        class: "box outside-box",
      }),
    );
    og.appendChild(s("text", { x: this.outside.x + 12, y: this.outside.y + 17, class: "t1" }, "outside client"));
    og.appendChild(
      s(
        "text",
        { x: this.outside.x + 12, y: this.outside.y + 33, class: "t2" },
        `${m.underlay.externalClient} (a host on the underlay)`,
      ),
    );
    this.interactive(
      og,
      `outside client ${m.underlay.externalClient}`,
      () => this.onSelect({ kind: "external" }),
      "external",
    );
    underlayLayer.appendChild(og);

    // --- Tunnels / routes between nodes (a single row of at most 8 nodes: draw each pair).
    let bottom = this.outside.y + this.outside.h;
    if (rows.length === 1 && N >= 2 && N <= 8) {
      const uy = this.underlayY.get(0)! + 26;
      const first = m.nodes[0];
      const tun = first.tunnel;
      const what = tun
        ? tun.kind === "vxlan"
          ? `VXLAN tunnels via ${tun.name} (UDP ${tun.port ?? 8472}, VNI ${tun.vni ?? 1}): pod packets inside UDP packets between node addresses`
          : `IP-in-IP tunnels via ${tun.name}: pod packets inside IP packets between node addresses`
        : "direct routes: each node's pod range via that node's address (no encapsulation)";
      let maxDepth = 0;
      for (let i = 0; i < N; i++)
        for (let j = i + 1; j < N; j++) {
          const a = this.nodes.get(m.nodes[i].name)!;
          const b = this.nodes.get(m.nodes[j].name)!;
          const depth = 22 + (j - i) * 22;
          maxDepth = Math.max(maxDepth, depth);
          const ra = m.nodes[i].podRoutes
            .filter((r) => m.nodes[j].podCIDR === r.dst || m.nodes[j].blocks.includes(r.dst))
            .map((r) => `${m.nodes[i].name}: ${r.text}`);
          const rb = m.nodes[j].podRoutes
            .filter((r) => m.nodes[i].podCIDR === r.dst || m.nodes[i].blocks.includes(r.dst))
            .map((r) => `${m.nodes[j].name}: ${r.text}`);
          const x1 = a.eth0.x + 30;
          const x2 = b.eth0.x - 30;
          const path = s("path", {
            d: `M${x1},${uy} C${x1},${uy + depth} ${x2},${uy + depth} ${x2},${uy}`,
            class: tun ? "tunnel" : "route-arc",
          });
          path.appendChild(s("title", {}, [...ra, ...rb].join("\n") || `${m.nodes[i].name} ⇄ ${m.nodes[j].name}`));
          tunnelsLayer.appendChild(path);
        }
      tunnelsLayer.appendChild(
        s("text", { x: 24 + 240 + 20, y: uy + maxDepth + 16, class: "t2 tunnel-text" }, trunc(what, 120)),
      );
      this.outside.y = Math.max(this.outside.y, uy + maxDepth + 30);
      og.setAttribute("transform", `translate(0,${this.outside.y - (lastUy + 70)})`);
      og.dataset.y = String(this.outside.y + 20);
      bottom = this.outside.y + this.outside.h;
    }

    if (!(rows.length === 1 && N >= 2 && N <= 8) && N > 1) {
      const t = m.nodes[0].tunnel;
      const what = t
        ? `${t.kind === "vxlan" ? "VXLAN" : "IP-in-IP"} tunnels via ${t.name} between every pair of nodes (not drawn at this size; select a node for its routes)`
        : "direct routes between nodes via their addresses (not drawn at this size; select a node for its routes)";
      underlayLayer.appendChild(s("text", { x: 270, y: this.outside.y + 24, class: "t2 tunnel-text" }, what));
    }

    // --- Service → endpoint edges
    let edgeCount = 0;
    for (const sv of m.services) edgeCount += sv.endpoints.length;
    const always = edgeCount <= 300;
    edgesLayer.classList.toggle("on-demand", !always);
    for (const sv of m.services) {
      const sb = this.svcs.get(podKey(sv));
      if (!sb) continue;
      for (const ep of sv.endpoints) {
        const t = ep.pod ? this.podAnchor(ep.pod) : null;
        if (!t) continue;
        const x1 = sb.x + sb.w / 2;
        const y1 = sb.y + sb.h;
        const mid = (y1 + t.y) / 2;
        edgesLayer.appendChild(
          s("path", {
            d: `M${x1},${y1} C${x1},${mid} ${t.x},${mid} ${t.x},${t.y}`,
            class: `svc-edge ${this.svcClass(sv)}${sv.dns ? " dns" : ""}`,
            stroke: this.colour(sv.namespace),
          }),
        );
      }
    }

    this.width = totalW + 48;
    this.height = bottom + 24;
    this.view.append(underlayLayer, tunnelsLayer, nodesLayer, edgesLayer, svcLayer);
    this.overlay = s("g", { class: "overlay", "aria-hidden": "true" });
    this.view.appendChild(this.overlay);
    if (this.hlService) this.highlightService(this.hlService);
  }

  private svcClass(sv: { namespace: string; name: string }): string {
    return "s-" + (sv.namespace + "--" + sv.name).replace(/[^A-Za-z0-9_-]/g, "_");
  }

  highlightService(key: string | null): void {
    this.hlService = key;
    const layer = this.view.querySelector(".svc-edges");
    layer?.querySelectorAll(".svc-edge.hl").forEach((e) => e.classList.remove("hl"));
    this.view.querySelectorAll(".svc-item.hl").forEach((e) => e.classList.remove("hl"));
    if (!key) return;
    const [ns, ...rest] = key.split("/");
    const cls = this.svcClass({ namespace: ns, name: rest.join("/") });
    layer?.querySelectorAll("." + cls).forEach((e) => e.classList.add("hl"));
    this.view.querySelector(`[data-key="${CSS.escape("svc:" + key)}"]`)?.classList.add("hl");
  }

  private badge(x: number, y: number, t: string): SVGGElement {
    return s(
      "g",
      { class: "badge" },
      s("rect", { x, y, width: 34, height: 13, rx: 6 }),
      s("text", { x: x + 17, y: y + 10, "text-anchor": "middle" }, t),
    );
  }

  /** Where an edge ends for a pod: the pod's box, or what stands in for it when collapsed. */
  private podAnchor(key: string): Pt | null {
    const b = this.pods.get(key);
    if (b?.el) return { x: b.x + 40, y: b.y };
    const p = this.m.pods.find((x) => podKey(x) === key);
    if (!p?.node) return null;
    const g = this.groupPos.get(`${p.node}|${p.namespace}`);
    if (g) return { x: g.x + 40, y: g.y };
    const n = this.nodes.get(p.node);
    return n ? { x: n.x + n.w / 2, y: n.y } : null;
  }

  private drawNode(name: string, x: number, y0: number, row: number): { g: SVGGElement; h: number } {
    const m = this.m;
    const n = m.nodes.find((v) => v.name === name)!;
    const pods = m.pods.filter((p) => p.node === name);
    const collapsed = this.collapsedNodes.has(name);
    this.curRow = row;
    const g = s("g", { class: "node-g" });
    const bg = s("rect", { x, y: y0, width: NW, height: 10, rx: 12, class: "box node" });
    g.appendChild(bg);
    // Header: the node itself (focusable), with a collapse toggle.
    const hg = s("g", { class: "node-head", "data-kind": "node", "data-x": x + NW / 2, "data-y": y0 + 20 });
    hg.appendChild(s("rect", { x: x + 1, y: y0 + 1, width: NW - 2, height: 48, rx: 11, class: "node-head-bg" }));
    hg.appendChild(
      s(
        "text",
        { x: x + 14, y: y0 + 21, class: "node-title" },
        trunc(n.name, 22),
        s("tspan", { class: "t3" }, `  ${n.role}`),
      ),
    );
    hg.appendChild(s("text", { x: x + 14, y: y0 + 39, class: "t2" }, `eth0 ${n.address} · pods ${n.podCIDR}`));
    const label = `node ${n.name}, ${n.role}, address ${n.address}, pod CIDR ${n.podCIDR}${n.blocks.length ? `, blocks ${n.blocks.join(" ")}` : ""}, ${pods.length} pods`;
    this.interactive(
      hg,
      label,
      () => {
        this.lastFocusKey = `node:${name}`;
        this.onSelect({ kind: "node", name });
      },
      `node:${name}`,
    );
    g.appendChild(hg);
    const tg = s("g", { class: "toggle", "data-x": x + NW - 20, "data-y": y0 + 20 });
    tg.appendChild(s("rect", { x: x + NW - 34, y: y0 + 10, width: 24, height: 24, rx: 6, class: "toggle-bg" }));
    tg.appendChild(
      s("text", { x: x + NW - 22, y: y0 + 27, "text-anchor": "middle", class: "t1" }, collapsed ? "▸" : "▾"),
    );
    this.interactive(
      tg,
      `${collapsed ? "Expand" : "Collapse"} node ${n.name}`,
      () => {
        this.lastFocusKey = `toggle:${name}`;
        if (collapsed) this.collapsedNodes.delete(name);
        else this.collapsedNodes.add(name);
        this.render();
        this.restoreFocus();
      },
      `toggle:${name}`,
    );
    g.appendChild(tg);
    const nf = { x: x + NW - 80, y: y0 + 30 };

    let y = y0 + 58;
    const barX = x + 16;
    const bridgeLabel = n.bridge
      ? `${n.bridge.name} ${n.bridge.address ?? ""} (bridge)`
      : "host routes: one /32 per pod via its cali… veth (proxy ARP)";
    g.appendChild(s("text", { x: x + 12, y: y + 10, class: "t2 dev-label" }, bridgeLabel));
    y += 18;
    const barTop = y;
    let podsBottom = y;
    if (collapsed) {
      const nsCount = new Map<string, number>();
      for (const p of pods) nsCount.set(p.namespace, (nsCount.get(p.namespace) ?? 0) + 1);
      const cg = s("g", { class: "group-collapsed", "data-x": x + NW / 2, "data-y": y + 20 });
      cg.appendChild(s("rect", { x: x + 40, y, width: NW - 52, height: 40, rx: 8, class: "box pod collapsed" }));
      cg.appendChild(
        s("text", { x: x + 52, y: y + 17, class: "t1" }, `▸ ${pods.length} pods in ${nsCount.size} namespaces`),
      );
      cg.appendChild(
        s(
          "text",
          { x: x + 52, y: y + 33, class: "t2" },
          trunc([...nsCount].map(([k, v]) => `${k} ${v}`).join(" · "), 40),
        ),
      );
      this.interactive(
        cg,
        `node ${n.name}: ${pods.length} pods (collapsed); press Enter to show them`,
        () => {
          this.lastFocusKey = `toggle:${name}`;
          this.collapsedNodes.delete(name);
          this.render();
          this.restoreFocus();
        },
        `nodepods:${name}`,
      );
      g.appendChild(s("line", { x1: barX + 10, y1: y + 20, x2: x + 40, y2: y + 20, class: "veth" }));
      g.appendChild(cg);
      for (const ns of nsCount.keys()) this.groupPos.set(`${name}|${ns}`, { x: x + 40, y, w: NW - 52, h: 40 });
      y += 48;
      podsBottom = y;
    } else {
      const groups = new Map<string, MapPod[]>();
      const host: MapPod[] = [];
      for (const p of pods) {
        if (p.hostNetwork) host.push(p);
        else {
          if (!groups.has(p.namespace)) groups.set(p.namespace, []);
          groups.get(p.namespace)!.push(p);
        }
      }
      for (const [ns, list] of groups) {
        const key = `${name}|${ns}`;
        const gc = this.collapsedGroups.has(key);
        const gh = s("g", { class: "ns-head", "data-x": x + 60, "data-y": y + 8 });
        gh.appendChild(this.glyph(ns, x + 48, y + 7, 5));
        gh.appendChild(
          s(
            "text",
            { x: x + 58, y: y + 11, class: "t3 ns-title" },
            `${gc ? "▸" : "▾"} ${ns} · ${list.length} pod${list.length === 1 ? "" : "s"}`,
          ),
        );
        this.interactive(
          gh,
          `namespace ${ns} on ${n.name}: ${list.length} pods, ${gc ? "collapsed; press Enter to expand" : "press Enter to collapse"}`,
          () => {
            this.lastFocusKey = `grp:${key}`;
            if (gc) this.collapsedGroups.delete(key);
            else this.collapsedGroups.add(key);
            this.render();
            this.restoreFocus();
          },
          `grp:${key}`,
        );
        g.appendChild(gh);
        this.groupPos.set(key, { x: x + 40, y, w: NW - 52, h: 16 });
        y += 18;
        if (gc) continue;
        for (const p of list) {
          this.drawPod(g, p, x + 52, y, NW - 64, barX + 10);
          y += POD_H + POD_GAP;
        }
      }
      podsBottom = y;
      if (host.length) {
        g.appendChild(
          s("text", { x: x + 44, y: y + 11, class: "t3 ns-title" }, "host network (the node's own namespace, no veth)"),
        );
        y += 18;
        for (const p of host) {
          this.drawPod(g, p, x + 52, y, NW - 64, null);
          y += POD_H + POD_GAP;
        }
      }
    }
    const barBottom = Math.max(podsBottom, barTop + 20);
    g.insertBefore(
      s("rect", {
        x: barX,
        y: barTop - 4,
        width: 10,
        height: barBottom - barTop,
        rx: 4,
        class: n.bridge ? "bridge-bar" : "route-bar",
      }),
      g.children[1],
    );
    const bridge = { x: barX + 5, y: (barTop + barBottom) / 2 };
    y += 8;
    let tunnel = { x: x + NW / 2, y: y + 15 };
    if (n.tunnel) {
      const tu = n.tunnel;
      g.appendChild(
        s(
          "path",
          { d: `M${barX + 5},${barBottom} V${y + 15} H${x + 24}`, class: "wire route-wire" },
          s("title", {}, "the node's routing table"),
        ),
      );
      g.appendChild(s("rect", { x: x + 24, y, width: NW - 36, height: 30, rx: 6, class: "box tunnel-dev" }));
      const what = tu.kind === "vxlan" ? `VXLAN VTEP · VNI ${tu.vni ?? ""} · UDP ${tu.port ?? ""}` : "IP-in-IP tunnel";
      g.appendChild(
        s("text", { x: x + 34, y: y + 19, class: "t2" }, trunc(`${tu.name} ${tu.address ?? ""} · ${what}`, 52)),
      );
      tunnel = { x: x + NW / 2, y: y + 15 };
      y += 40;
    } else {
      g.appendChild(s("path", { d: `M${barX + 5},${barBottom} V${y + 15} H${x + 24}`, class: "wire route-wire" }));
    }
    g.appendChild(s("line", { x1: x + NW / 2, y1: y - 10, x2: x + NW / 2, y2: y, class: "wire" }));
    g.appendChild(s("rect", { x: x + 24, y, width: NW - 36, height: 30, rx: 6, class: "box eth0-dev" }));
    g.appendChild(s("text", { x: x + 34, y: y + 19, class: "t2" }, `eth0 ${n.address} (underlay)`));
    // netfilter chip: where NAT / filter / policy steps happen.
    g.appendChild(s("rect", { x: nf.x - 40, y: nf.y - 11, width: 70, height: 15, rx: 7, class: "nf-chip" }));
    g.appendChild(s("text", { x: nf.x - 5, y: nf.y, "text-anchor": "middle", class: "t3 nf-text" }, "netfilter"));
    const eth0 = { x: x + NW / 2, y: y + 15 };
    y += 42;
    const hgt = y - y0;
    bg.setAttribute("height", String(hgt));
    this.nodes.set(name, { x, y: y0, w: NW, h: hgt, nf, bridge, tunnel, eth0, row });
    return { g, h: hgt };
  }

  private drawPod(parent: SVGGElement, p: MapPod, x: number, y: number, w: number, vethFromX: number | null): void {
    const g = s("g", {
      class: `pod-item${p.dns ? " dns" : ""}${p.hostNetwork ? " hostnet" : ""}`,
      "data-kind": "pod",
      "data-x": x + w / 2,
      "data-y": y + POD_H / 2,
    });
    if (vethFromX !== null)
      parent.appendChild(s("line", { x1: vethFromX, y1: y + POD_H / 2, x2: x, y2: y + POD_H / 2, class: "veth" }));
    g.appendChild(s("rect", { x, y, width: w, height: POD_H, rx: 8, class: "box pod" }));
    g.appendChild(
      s("rect", {
        x,
        y,
        width: 6,
        height: POD_H,
        rx: 3,
        fill: this.colour(p.namespace),
        class: p.hostNetwork ? "stripe dashed" : "stripe",
      }),
    );
    g.appendChild(this.glyph(p.namespace, x + w - 12, y + 12, 5));
    g.appendChild(s("text", { x: x + 12, y: y + 16, class: "t1" }, trunc(p.name, 33)));
    g.appendChild(
      s(
        "text",
        { x: x + 12, y: y + 31, class: "t2" },
        s("tspan", { class: "ip" }, p.ip ?? "no IP"),
        ` · ${trunc(p.namespace, 18)}`,
      ),
    );
    const dev = p.hostNetwork
      ? "host network: shares the node's eth0"
      : `${p.hostIf ?? "veth"} ⇄ eth0${p.master ? ` (on ${p.master})` : ""}`;
    g.appendChild(s("text", { x: x + 12, y: y + 43, class: "t3" }, trunc(dev, 40)));
    if (p.dns) g.appendChild(this.badge(x + w - 44, y + POD_H - 17, "DNS"));
    const label = `pod ${p.namespace}/${p.name}, IP ${p.ip ?? "none"}, on ${p.node ?? "no node"}${p.hostNetwork ? ", host network" : `, ${p.hostIf ?? ""}`}${p.dns ? ", CoreDNS (cluster DNS)" : ""}${p.phase !== "Running" ? `, ${p.phase}` : ""}`;
    this.interactive(
      g,
      label,
      () => {
        this.lastFocusKey = `pod:${podKey(p)}`;
        this.onSelect({ kind: "pod", pod: p });
      },
      `pod:${podKey(p)}`,
    );
    parent.appendChild(g);
    this.pods.set(podKey(p), { x, y, w, h: POD_H, el: g, row: this.curRow });
  }

  // ---------------------------------------------------------------------------
  // The packet walk on the map

  /** A point on the map for a trace step in namespace `ns`. */
  locate(ns: string, step: Step | undefined, neighbours: { prev?: string; next?: string }): Pt | null {
    if (ns.startsWith("pod/")) {
      const key = ns.slice(4);
      const b = this.pods.get(key);
      if (b?.el) return { x: b.x + 20, y: b.y + POD_H / 2 };
      return this.podAnchor(key);
    }
    if (ns.startsWith("node/")) {
      const n = this.nodes.get(ns.slice(5));
      if (!n) return null;
      if (!step) return { x: n.x + n.w / 2, y: n.y + 24 };
      const node = this.m.nodes.find((x) => x.name === ns.slice(5))!;
      const d = `${step.detail} ${step.object?.text ?? ""}`;
      switch (step.action) {
        case "ENCAPSULATED":
        case "DECAPSULATED":
          return n.tunnel;
        case "NAT":
        case "NETFILTER":
        case "CONNTRACK":
        case "POLICY":
        case "IPVS":
          return n.nf;
        case "BRIDGED":
          return n.bridge;
        case "ORIGINATED":
        case "DELIVERED":
        case "REFUSED":
          return { x: n.x + n.w / 2, y: n.y + 24 };
        default:
          if (
            step.packet.outer ||
            /\beth0\b/.test(step.action === "VETH" ? d : "") ||
            (step.action === "VETH" && d.includes("underlay"))
          )
            return n.eth0;
          if (node.tunnel && d.includes(node.tunnel.name)) return n.tunnel;
          if (node.bridge && d.includes(node.bridge.name)) return n.bridge;
          if (/\bcali/.test(d)) return n.bridge;
          return n.nf;
      }
    }
    if (ns === "underlay") {
      // On the switch, between the node it left and the node it reaches.
      const a = neighbours.prev?.startsWith("node/") ? this.nodes.get(neighbours.prev.slice(5)) : undefined;
      const b = neighbours.next?.startsWith("node/") ? this.nodes.get(neighbours.next.slice(5)) : undefined;
      const n = b ?? a;
      const uy = this.underlayY.get(n?.row ?? 0) ?? 0;
      const x = a && b && a.row === b.row ? (a.eth0.x + b.eth0.x) / 2 : n ? n.eth0.x : 200;
      return { x, y: uy + 13 };
    }
    if (ns === "external" || ns.startsWith("external")) return { x: this.outside.x + 115, y: this.outside.y + 20 };
    return null;
  }

  /** Draws the packet at `at`, the trail it left, and marks the active element. */
  showPacket(
    trail: Pt[],
    at: Pt | null,
    opts: { outer: boolean; outerLabel?: string; verdict?: string; activeKey?: string },
  ): void {
    clear(this.overlay);
    this.view.querySelectorAll(".active").forEach((e) => e.classList.remove("active"));
    if (opts.activeKey) this.view.querySelector(`[data-key="${CSS.escape(opts.activeKey)}"]`)?.classList.add("active");
    if (trail.length > 1)
      this.overlay.appendChild(s("polyline", { points: trail.map((p) => `${p.x},${p.y}`).join(" "), class: "trail" }));
    for (const p of trail.slice(0, -1))
      this.overlay.appendChild(s("circle", { cx: p.x, cy: p.y, r: 3, class: "trail-dot" }));
    if (!at) return;
    this.keepInView(at);
    const cls = opts.verdict === "DROPPED" ? "pkt dropped" : opts.verdict === "DELIVERED" ? "pkt delivered" : "pkt";
    const g = s("g", { class: cls, transform: `translate(${at.x},${at.y})` });
    if (opts.outer) g.appendChild(s("rect", { x: -15, y: -11, width: 30, height: 22, rx: 5, class: "pkt-outer" }));
    g.appendChild(s("rect", { x: -9, y: -6, width: 18, height: 12, rx: 3, class: "pkt-inner" }));
    if (opts.outer)
      g.appendChild(
        s("text", { x: 0, y: -15, "text-anchor": "middle", class: "pkt-label" }, opts.outerLabel ?? "encapsulated"),
      );
    this.overlay.appendChild(g);
  }

  /** Pans (keeping the zoom) when the packet would leave the visible part of the map. */
  private keepInView(p: Pt): void {
    const r = this.svg.getBoundingClientRect();
    const t = this.view.transform.baseVal.consolidate()?.matrix;
    if (!t || !r.width) return;
    const sx = p.x * t.a + t.e;
    const sy = p.y * t.d + t.f;
    if (sx > 30 && sy > 30 && sx < r.width - 30 && sy < r.height - 30) return;
    select(this.svg).call(
      this.zoomer.transform,
      zoomIdentity.translate(r.width / 2 - p.x * t.a, r.height / 2 - p.y * t.a).scale(t.a),
    );
  }

  clearPacket(): void {
    clear(this.overlay);
    this.view.querySelectorAll(".active").forEach((e) => e.classList.remove("active"));
  }

  /** Expands whatever hides these pods (before a walk through them). */
  ensureVisible(podKeys: string[]): void {
    let changed = false;
    for (const k of podKeys) {
      const p = this.m.pods.find((x) => podKey(x) === k);
      if (!p?.node) continue;
      if (this.collapsedNodes.delete(p.node)) changed = true;
      if (this.collapsedGroups.delete(`${p.node}|${p.namespace}`)) changed = true;
    }
    if (changed) this.render();
  }
}
