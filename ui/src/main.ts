// podnet's web view: the cluster map with the packet walk, the node inspector, the
// policy matrix and the live panel. Data comes from the JSON API of `podnet ui`.

import "./style.css";
import { h, clear, getJSON } from "./dom.js";
import { ClusterMap, podKey, type Selection } from "./map.js";
import { Walk, loadState } from "./walk.js";
import { Inspector } from "./inspector.js";
import { Matrix } from "./matrix.js";
import type { FlowsReply, StateResponse } from "./types.js";

function selectionPanel(sel: Selection, m: StateResponse, walk: Walk, inspect: (node: string) => void): HTMLElement[] {
  const btn = (label: string, f: () => void) => h("button", { type: "button", onclick: f }, label);
  switch (sel.kind) {
    case "pod": {
      const p = sel.pod;
      return [
        h("h3", {}, `pod ${p.namespace}/${p.name}`),
        h(
          "dl",
          {},
          h("dt", {}, "IP"),
          h("dd", {}, p.ip ?? "none"),
          h("dt", {}, "node"),
          h("dd", {}, p.node ?? "none"),
          h("dt", {}, "interface"),
          h(
            "dd",
            {},
            p.hostNetwork
              ? "host network (the node's eth0)"
              : `eth0 ⇄ ${p.hostIf ?? "?"}${p.master ? ` on ${p.master}` : ""}`,
          ),
          h("dt", {}, "workload"),
          h("dd", {}, p.workload),
          h("dt", {}, "listens"),
          h("dd", {}, p.listeners.map((l) => `${l.port}/${l.protocol} (${l.container})`).join(", ") || "nothing"),
          h("dt", {}, "labels"),
          h(
            "dd",
            {},
            Object.entries(p.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(", ") || "none",
          ),
        ),
        h(
          "div",
          { class: "row" },
          btn("Trace from here", () => walk.setFrom(podKey(p))),
          btn("Trace to here", () => walk.setTo(podKey(p))),
          p.node ? btn("Inspect its node", () => inspect(p.node!)) : null,
        ),
      ];
    }
    case "node": {
      const n = m.nodes.find((x) => x.name === sel.name)!;
      return [
        h("h3", {}, `node ${n.name}`),
        h(
          "dl",
          {},
          h("dt", {}, "address"),
          h("dd", {}, n.address),
          h("dt", {}, "pod CIDR"),
          h("dd", {}, [n.podCIDR, ...n.blocks].join(", ")),
          h("dt", {}, "devices"),
          h(
            "dd",
            {},
            [
              n.bridge ? `${n.bridge.name} ${n.bridge.address ?? ""}` : "",
              n.tunnel ? `${n.tunnel.name} (${n.tunnel.kind})` : "",
              "eth0",
            ]
              .filter(Boolean)
              .join(", "),
          ),
          h("dt", {}, "routes to other nodes"),
          h("dd", {}, ...n.podRoutes.map((r) => h("code", { class: "blockcode" }, r.text))),
        ),
        h(
          "div",
          { class: "row" },
          btn("Trace from this node", () => walk.setFrom(`node/${n.name}`)),
          btn("Inspect node", () => inspect(n.name)),
        ),
      ];
    }
    case "service": {
      const s = sel.svc;
      return [
        h("h3", {}, `Service ${s.namespace}/${s.name}${s.dns ? " (cluster DNS)" : ""}`),
        h(
          "dl",
          {},
          h("dt", {}, "type"),
          h("dd", {}, s.type),
          h("dt", {}, "cluster IP"),
          h("dd", {}, s.clusterIP ?? "none"),
          s.externalIPs.length ? h("dt", {}, "external") : null,
          s.externalIPs.length ? h("dd", {}, s.externalIPs.join(", ")) : null,
          h("dt", {}, "ports"),
          h(
            "dd",
            {},
            s.ports
              .map((p) => `${p.port}${p.nodePort ? ":" + p.nodePort : ""}/${p.protocol} → ${p.targetPort}`)
              .join(", "),
          ),
          h("dt", {}, "endpoints"),
          h(
            "dd",
            {},
            s.endpoints.map((e) => `${e.ip}${e.pod ? ` (${e.pod})` : ""}${e.ready ? "" : " not ready"}`).join(", ") ||
              "none",
          ),
        ),
        h(
          "div",
          { class: "row" },
          btn("Trace to this Service", () => walk.setTo(`svc/${s.namespace}/${s.name}`)),
          s.ports.some((p) => p.protocol === "TCP")
            ? btn("Trace a URL to it", () => walk.setTo(`http://${s.name}.${s.namespace}`))
            : null,
        ),
      ];
    }
    case "external":
      return [
        h("h3", {}, "outside client"),
        h("p", {}, `${m.underlay.externalClient}: a host on the node network, outside the cluster.`),
        btn("Trace from outside", () => walk.setFrom("external")),
      ];
  }
}

async function start(): Promise<void> {
  const app = document.getElementById("app")!;
  let m: StateResponse;
  try {
    m = await loadState();
  } catch (e) {
    app.textContent = `Cannot load the cluster: ${(e as Error).message}`;
    return;
  }
  clear(app);
  app.removeAttribute("aria-live");
  const map = new ClusterMap(m);
  const walk = new Walk(m, map);
  const inspector = new Inspector(m, () => walk.matched());
  const matrix = new Matrix(m);

  const views: Record<string, HTMLElement> = {};
  const tabs = h("nav", { class: "tabs", role: "tablist", "aria-label": "Views" });
  let mapShown = false;
  const show = (name: string) => {
    for (const [k, v] of Object.entries(views)) v.hidden = k !== name;
    tabs.querySelectorAll("button").forEach((b) => b.setAttribute("aria-selected", String(b.dataset.view === name)));
    if (name === "map" && !mapShown) {
      mapShown = true;
      requestAnimationFrame(() => map.fitWidth());
    }
    if (name === "inspector") inspector.draw();
    if (name === "matrix") void matrix.ensureLoaded();
  };
  const inspect = (node: string) => {
    show("inspector");
    void inspector.load(node);
  };
  for (const [k, label] of [
    ["map", "Map & packet walk"],
    ["inspector", "Node inspector"],
    ["matrix", "Policy matrix"],
    ["live", "Live"],
  ]) {
    tabs.append(
      h("button", { type: "button", role: "tab", "data-view": k, id: `tab-${k}`, onclick: () => show(k) }, label),
    );
  }

  const selBox = h(
    "section",
    { class: "selection", id: "selection", "aria-label": "Selected object", "aria-live": "polite" },
    h("p", { class: "sub" }, "Select a pod, node or Service on the map (click, or Tab to it and press Enter)."),
  );
  map.onSelect = (sel) => {
    clear(selBox);
    selBox.append(...selectionPanel(sel, m, walk, inspect));
    if (sel.kind === "service") map.highlightService(`${sel.svc.namespace}/${sel.svc.name}`);
  };
  views.map = h(
    "main",
    { class: "view view-map", id: "view-map" },
    map.root,
    h("aside", { class: "side" }, selBox, walk.root),
  );
  views.inspector = h("main", { class: "view", id: "view-inspector" }, inspector.root);
  views.matrix = h("main", { class: "view", id: "view-matrix" }, matrix.root);

  const liveOut = h("div", { id: "live-out" });
  const live = m.live;
  views.live = h(
    "main",
    { class: "view", id: "view-live" },
    h(
      "section",
      { class: "live" },
      h("h2", {}, "Live: the kernel beside the model"),
      h(
        "p",
        { id: "live-status" },
        live.name ? `Cluster ${live.name}: ${live.status}` : `Needs a running cluster. ${live.status}`,
      ),
      live.name
        ? null
        : h(
            "pre",
            {},
            "sudo podnet up            # build the cluster in network namespaces\nsudo podnet ui --name demo --allow-exec",
          ),
      live.pods?.length ? h("p", {}, `${live.pods.length} pods running in the kernel.`) : null,
      live.allowExec
        ? h(
            "button",
            { type: "button", class: "primary", id: "live-run", onclick: () => void walk.runReal(liveOut) },
            "Run the selected trace for real (curl / dig / ping in the source pod)",
          )
        : h(
            "p",
            { class: "sub" },
            "Running requests is off: it needs --name and --allow-exec on a running cluster (as root).",
          ),
      liveOut,
      live.name ? flowsPanel() : null,
    ),
  );
  matrix.onTrace = (src, dst, port, proto) => {
    const pick = (w: string) => {
      const mm = /^([^/]+)\/([^[]+)\[(\w+)\]$/.exec(w);
      return mm ? m.pods.find((p) => p.namespace === mm[1] && p.workload === `${mm[3]}/${mm[2]}` && p.ip) : undefined;
    };
    const a = pick(src);
    const b = pick(dst);
    if (!a || !b) return;
    walk.setFrom(podKey(a));
    walk.setTo(podKey(b));
    show("map");
    void walk.trace();
    void port;
    void proto;
  };
  walk.onChange = () => inspector.draw();

  const header = h(
    "header",
    {},
    h("h1", {}, "podnet"),
    h(
      "span",
      { class: "cluster" },
      `${m.cluster} · ${m.nodes.length} nodes · ${m.pods.length} pods · ${m.services.length} Services · ${m.cni}${m.backend ? " " + m.backend : ""} · kube-proxy ${m.proxyMode}`,
    ),
    tabs,
  );
  app.append(header, ...Object.values(views));
  show("map");
  void inspector.load(m.nodes[0]?.name ?? "");
}

void start();

/** The running cluster's recent flows (/api/flows), as `podnet observe` prints them; losses shown, never hidden. */
function flowsPanel(): HTMLElement {
  const out = h("pre", { class: "flows", id: "live-flows" });
  const status = h("p", { class: "sub", id: "live-flows-status" });
  const load = async () => {
    try {
      const r = await getJSON<FlowsReply>("api/flows?last=100");
      clear(out);
      for (const f of r.flows) out.append(h("div", { class: `flow ${f.verdict.toLowerCase()}` }, f.line));
      for (const l of r.lost) out.append(h("div", { class: "flow lost" }, l));
      status.textContent = r.flows.length ? r.status : `No flows yet. ${r.status}`;
    } catch (e) {
      status.textContent = (e as Error).message;
    }
  };
  return h(
    "section",
    { class: "live-flows" },
    h("h3", {}, "Flows (podnet observe)"),
    h("button", { type: "button", id: "live-flows-refresh", onclick: () => void load() }, "Show the last 100 flows"),
    status,
    out,
  );
}
