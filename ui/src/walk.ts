// The packet walk: choose a source and a destination, trace it with the model
// (/api/trace, the same traceFlow the CLI uses), and play the steps on the map with
// play / pause / step / back. The DNS phase comes first when the destination is a name.

import { h, clear, getJSON, postJSON } from "./dom.js";
import { podKey, type ClusterMap, type Pt } from "./map.js";
import type {
  ExecResult,
  PacketView,
  RoutingLeg,
  StateResponse,
  Step,
  TracePath,
  TraceResult,
  WalkResult,
} from "./types.js";
import { hubbleCompact } from "../../src/sim/render.js";

interface Frame {
  /** backend: through an Ingress controller, its routing decision and its own connection. */
  phase: "dns" | "packet" | "reply" | "backend";
  kind: "resolver" | "step" | "verdict" | "routing";
  routing?: RoutingLeg;
  ns: string;
  hop: number;
  step?: Step;
  prev?: PacketView;
  path?: TracePath;
}

export interface MatchedObject {
  ns: string;
  kind: string;
  text: string;
  table?: string;
  chain?: string;
  index?: number;
}

const ACTION_HELP: Record<string, string> = {
  ORIGINATED: "the application sends the packet",
  ROUTED: "the routing table decides where it goes",
  ARP: "the next hop's MAC address (neighbour table)",
  BRIDGED: "the bridge forwards the frame (FDB)",
  VETH: "the packet crosses a veth pair into another namespace",
  ENCAPSULATED: "the packet is wrapped in an outer packet between node addresses",
  DECAPSULATED: "the outer header is removed",
  NAT: "an address or port is rewritten",
  NETFILTER: "an iptables/nftables rule matched",
  CONNTRACK: "connection tracking remembers the flow (and its NAT)",
  POLICY: "NetworkPolicy enforcement",
  DELIVERED: "a socket receives it",
  DROPPED: "the packet is dropped",
  REFUSED: "nothing listens: the kernel refuses",
  TRANSMITTED: "sent on the wire",
};

function pktRows(p: PacketView, before?: PacketView): HTMLElement {
  const rows: [string, string, string | undefined][] = [
    ["protocol", p.protocol, before?.protocol],
    [
      "source",
      `${p.src}${p.sport !== undefined ? ":" + p.sport : ""}`,
      before ? `${before.src}${before.sport !== undefined ? ":" + before.sport : ""}` : undefined,
    ],
    [
      "destination",
      `${p.dst}${p.dport !== undefined ? ":" + p.dport : ""}`,
      before ? `${before.dst}${before.dport !== undefined ? ":" + before.dport : ""}` : undefined,
    ],
    ["TTL", String(p.ttl), before ? String(before.ttl) : undefined],
    ["size", `${p.size} bytes`, before ? `${before.size} bytes` : undefined],
  ];
  if (p.mark) rows.push(["mark", p.mark, before?.mark]);
  return h(
    "table",
    { class: "hdr" },
    h(
      "tbody",
      {},
      ...rows.map(([k, v, b]) =>
        h(
          "tr",
          { class: b !== undefined && b !== v ? "changed" : "" },
          h("th", { scope: "row" }, k),
          h("td", {}, v, b !== undefined && b !== v ? h("span", { class: "was" }, ` (was ${b})`) : null),
        ),
      ),
    ),
  );
}

function outerRows(o: NonNullable<PacketView["outer"]>): HTMLElement {
  const rows: [string, string][] = [
    ["protocol", o.protocol === "udp" ? `UDP${o.vni !== undefined ? " (VXLAN)" : ""}` : "IP-in-IP (proto 4)"],
    ["source", `${o.src}${o.sport !== undefined ? ":" + o.sport : ""}`],
    ["destination", `${o.dst}${o.dport !== undefined ? ":" + o.dport : ""}`],
  ];
  if (o.vni !== undefined) rows.push(["VNI", String(o.vni)]);
  rows.push(["TTL", String(o.ttl)], ["size", `${o.size} bytes`]);
  return h(
    "table",
    { class: "hdr outer" },
    h("tbody", {}, ...rows.map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, v)))),
  );
}

export class Walk {
  readonly root: HTMLElement;
  private fromSel: HTMLSelectElement;
  private toInput: HTMLInputElement;
  private portInput: HTMLInputElement;
  private protoSel: HTMLSelectElement;
  private replyChk: HTMLInputElement;
  private out: HTMLElement;
  private errorBox: HTMLElement;
  private result: WalkResult | null = null;
  private pathIdx = 0;
  private dnsIdx = 0;
  private frames: Frame[] = [];
  private pos = 0;
  private timer: number | null = null;
  private playBtn!: HTMLButtonElement;
  private detail!: HTMLElement;
  private list!: HTMLOListElement;
  private counter!: HTMLElement;
  onChange: () => void = () => {};

  constructor(
    private m: StateResponse,
    private map: ClusterMap,
  ) {
    this.fromSel = h("select", { id: "walk-from", name: "from" });
    const pods = h("optgroup", { label: "Pods" });
    for (const p of m.pods.filter((x) => x.ip && x.node))
      pods.appendChild(
        h("option", { value: podKey(p) }, `${podKey(p)} — ${p.ip}${p.hostNetwork ? " (host network)" : ""}`),
      );
    const nodes = h("optgroup", { label: "Nodes" });
    for (const n of m.nodes)
      nodes.appendChild(h("option", { value: `node/${n.name}` }, `node/${n.name} — ${n.address}`));
    const ext = h(
      "optgroup",
      { label: "Outside" },
      h("option", { value: "external" }, `outside client — ${m.underlay.externalClient}`),
    );
    this.fromSel.append(pods, nodes, ext);
    const def = m.pods.find((p) => p.namespace === "default" && !p.hostNetwork && p.ip);
    if (def) this.fromSel.value = podKey(def);

    const dl = h("datalist", { id: "walk-to-list" });
    for (const sv of m.services) {
      dl.appendChild(h("option", { value: `svc/${sv.namespace}/${sv.name}` }, `Service ${sv.clusterIP ?? ""}`));
      if (sv.ports.some((p) => p.protocol === "TCP"))
        dl.appendChild(
          h(
            "option",
            { value: `http://${sv.name}${sv.namespace === "default" ? "" : "." + sv.namespace}` },
            "URL (DNS first)",
          ),
        );
    }
    for (const p of m.pods.filter((x) => x.ip && !x.hostNetwork))
      dl.appendChild(h("option", { value: podKey(p) }, `pod ${p.ip}`));
    this.toInput = h("input", {
      id: "walk-to",
      name: "to",
      list: "walk-to-list",
      autocomplete: "off",
      spellcheck: "false",
      placeholder: "pod, svc/ns/name, IP:PORT or URL",
    });
    const usr = m.services.find((x) => x.name === "user-service" && x.namespace === "default");
    this.toInput.value = usr
      ? "http://user-service"
      : m.services[0]
        ? `svc/${m.services[0].namespace}/${m.services[0].name}`
        : "";
    this.portInput = h("input", { id: "walk-port", name: "port", inputmode: "numeric", placeholder: "auto", size: 6 });
    this.protoSel = h(
      "select",
      { id: "walk-proto", name: "protocol" },
      h("option", { value: "" }, "auto"),
      ...["tcp", "udp", "icmp", "sctp"].map((p) => h("option", { value: p }, p)),
    );
    this.replyChk = h("input", { type: "checkbox", id: "walk-reply" });
    const form = h(
      "form",
      { class: "walk-form", "aria-label": "Trace a packet" },
      h("label", { for: "walk-from" }, "From"),
      this.fromSel,
      h("label", { for: "walk-to" }, "To"),
      this.toInput,
      dl,
      h(
        "div",
        { class: "row" },
        h("label", { for: "walk-port" }, "Port"),
        this.portInput,
        h("label", { for: "walk-proto" }, "Protocol"),
        this.protoSel,
        h("label", { class: "chk" }, this.replyChk, " reply"),
        h("button", { type: "submit", class: "primary", id: "walk-trace" }, "Trace"),
      ),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.trace();
    });
    this.errorBox = h("div", { class: "error", role: "alert", id: "walk-error" });
    this.out = h("div", { class: "walk-out", id: "walk-out" });
    this.root = h(
      "section",
      { class: "walk", "aria-label": "Packet walk" },
      h("h2", {}, "Packet walk"),
      form,
      this.errorBox,
      this.out,
    );
  }

  setFrom(v: string): void {
    this.fromSel.value = v;
  }
  setTo(v: string): void {
    this.toInput.value = v;
  }

  async trace(): Promise<void> {
    this.stop();
    clear(this.errorBox);
    const body = {
      from: this.fromSel.value,
      to: this.toInput.value.trim(),
      port: this.portInput.value.trim(),
      protocol: this.protoSel.value,
      reply: this.replyChk.checked,
    };
    try {
      this.result = await postJSON<WalkResult>("api/trace", body);
    } catch (e) {
      this.result = null;
      clear(this.out);
      this.map.clearPacket();
      this.errorBox.append(h("strong", {}, "Cannot trace: "), (e as Error).message);
      this.onChange();
      return;
    }
    this.pathIdx = 0;
    this.dnsIdx = 0;
    this.build();
  }

  get current(): TraceResult | null {
    return this.result;
  }

  /** Every kernel object the chosen paths used, per namespace (for the inspector). */
  matched(): MatchedObject[] {
    const out: MatchedObject[] = [];
    for (const f of this.frames) {
      const o = f.step?.object ?? (f.kind === "verdict" ? f.path?.disposition.object : undefined);
      if (o) out.push({ ns: f.ns, kind: o.kind, text: o.text, table: o.table, chain: o.chain, index: o.index });
    }
    return out;
  }

  private build(): void {
    const r = this.result!;
    const frames: Frame[] = [];
    const addPath = (p: TracePath, phase: Frame["phase"]) => {
      let prev: PacketView | undefined;
      p.hops.forEach((hop, hi) => {
        for (const st of hop.steps) {
          frames.push({ phase, kind: "step", ns: hop.ns, hop: hi, step: st, prev, path: p });
          prev = st.packet;
        }
      });
      const last = p.hops[p.hops.length - 1];
      frames.push({ phase, kind: "verdict", ns: p.disposition.ns ?? last?.ns ?? "", hop: p.hops.length - 1, path: p });
    };
    if (r.dns) {
      frames.push({ phase: "dns", kind: "resolver", ns: r.flow.srcNs, hop: 0 });
      const dp = r.dns.path?.[this.dnsIdx];
      if (dp) addPath(dp, "dns");
    }
    const main = r.paths[this.pathIdx];
    if (main) addPath(main, "packet");
    if (main?.reply) addPath(main.reply, "reply");
    // Through an Ingress controller: its routing decision, then its own connection to the
    // endpoint (which starts from the most probable delivered path's controller pod).
    for (const leg of r.legs ?? []) {
      if (leg.kind === "routing")
        frames.push({ phase: "backend", kind: "routing", ns: `pod/${leg.pod}`, hop: 0, routing: leg });
      else if (leg.name === "ingress controller → backend") {
        const p2 = leg.trace.paths.find((p) => p.disposition.verdict === "DELIVERED") ?? leg.trace.paths[0];
        if (p2) addPath(p2, "backend");
      }
    }
    this.frames = frames;
    this.pos = 0;
    const keys = frames.filter((f) => f.ns.startsWith("pod/")).map((f) => f.ns.slice(4));
    this.map.ensureVisible([...new Set(keys)]);
    this.renderOut();
    this.show();
    this.onChange();
  }

  private renderOut(): void {
    const r = this.result!;
    clear(this.out);
    const f = r.flow;
    this.out.append(
      h(
        "p",
        { class: "flow" },
        h("strong", {}, `${f.from} → ${f.to}`),
        h("br"),
        `${f.protocol} ${f.src}${f.sport ? ":" + f.sport : ""} → ${f.dst}${f.port ? ":" + f.port : ""}, ${f.size} bytes`,
        f.host ? ` (host ${f.host})` : "",
      ),
    );
    if (r.dns?.path && r.dns.path.length > 1) {
      const sel = h(
        "select",
        { id: "walk-dns-branch" },
        ...r.dns.path.map((p, i) =>
          h(
            "option",
            { value: String(i) },
            `DNS query path ${i + 1}: ${(p.probability * 100).toFixed(2)}% — ${p.disposition.verdict}${p.choices.length ? " — " + p.choices.join("; ") : ""}`,
          ),
        ),
      );
      sel.value = String(this.dnsIdx);
      sel.addEventListener("change", () => {
        this.dnsIdx = Number(sel.value);
        this.build();
      });
      this.out.append(
        h(
          "label",
          { for: "walk-dns-branch", class: "sub" },
          "DNS branch (the query to the kube-dns Service picks a CoreDNS pod)",
        ),
        sel,
      );
    }
    const fs = h(
      "fieldset",
      { class: "branches" },
      h("legend", {}, `Paths (${r.paths.length}${r.truncated ? ", truncated" : ""}): every random choice is a branch`),
    );
    r.paths.forEach((p, i) => {
      const id = `walk-path-${i}`;
      const inp = h("input", { type: "radio", name: "walk-path", id, value: String(i) });
      inp.checked = i === this.pathIdx;
      inp.addEventListener("change", () => {
        this.pathIdx = i;
        this.build();
      });
      fs.append(
        h(
          "div",
          { class: "branch" },
          inp,
          h(
            "label",
            { for: id },
            h("span", { class: `verdict v-${p.disposition.verdict}` }, p.disposition.verdict),
            ` ${(p.probability * 100).toFixed(2)}% `,
            h("span", { class: "choice" }, p.choices.join("; ") || "no random choice"),
          ),
        ),
      );
    });
    this.out.append(fs);
    this.playBtn = h(
      "button",
      { type: "button", id: "walk-play", onclick: () => (this.timer ? this.stop() : this.play()) },
      "▶ Play",
    );
    this.counter = h("span", { class: "counter", id: "walk-counter", "aria-live": "polite" });
    this.out.append(
      h(
        "div",
        { class: "controls", role: "toolbar", "aria-label": "Walk controls" },
        h("button", { type: "button", id: "walk-first", onclick: () => this.go(0), "aria-label": "First step" }, "|◀"),
        h(
          "button",
          { type: "button", id: "walk-back", onclick: () => this.go(this.pos - 1), "aria-label": "Back one step" },
          "◀ Back",
        ),
        this.playBtn,
        h(
          "button",
          { type: "button", id: "walk-step", onclick: () => this.go(this.pos + 1), "aria-label": "Next step" },
          "Step ▶",
        ),
        h(
          "button",
          {
            type: "button",
            id: "walk-last",
            onclick: () => this.go(this.frames.length - 1),
            "aria-label": "Last step",
          },
          "▶|",
        ),
        this.counter,
      ),
    );
    this.detail = h("div", { class: "step-detail", id: "step-detail", "aria-live": "polite" });
    this.out.append(this.detail);
    this.list = h("ol", { class: "steps", id: "walk-steps" });
    let lastHdr = "";
    this.frames.forEach((fr, i) => {
      const hdr = `${fr.phase}|${fr.hop}|${fr.ns}`;
      if (fr.kind === "step" && hdr !== lastHdr) {
        this.list.append(
          h(
            "li",
            { class: "hop-hdr", role: "presentation" },
            `${fr.phase === "dns" ? "DNS query · " : fr.phase === "reply" ? "reply · " : fr.phase === "backend" ? "controller → backend · " : ""}${fr.ns}`,
          ),
        );
        lastHdr = hdr;
      }
      const label =
        fr.kind === "resolver"
          ? "DNS: resolve the name"
          : fr.kind === "routing"
            ? `ROUTING: ${fr.routing!.detail}`
            : fr.kind === "verdict"
              ? `${fr.phase === "dns" ? "DNS query " : fr.phase === "reply" ? "reply " : ""}⇒ ${fr.path!.disposition.verdict}${fr.path!.disposition.reason ? ` (${fr.path!.disposition.reason})` : ""}`
              : `${fr.step!.decided ? "✗ " : ""}${fr.step!.action}: ${fr.step!.detail}`;
      this.list.append(
        h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: `step-btn a-${fr.step?.action ?? fr.kind}${fr.step?.decided ? " decided" : ""}`,
              ...(fr.step?.decided ? { title: "this step decided the path's verdict" } : {}),
              "data-i": i,
              onclick: () => this.go(i),
            },
            label,
          ),
        ),
      );
    });
    this.out.append(h("h3", { class: "sub" }, "All steps"), this.list);
  }

  private go(i: number): void {
    if (!this.frames.length) return;
    this.pos = Math.max(0, Math.min(this.frames.length - 1, i));
    this.show();
  }

  private play(): void {
    if (this.pos >= this.frames.length - 1) this.pos = 0;
    this.playBtn.textContent = "❚❚ Pause";
    this.show();
    this.timer = window.setInterval(() => {
      if (this.pos >= this.frames.length - 1) return this.stop();
      this.pos++;
      this.show();
    }, 650);
  }

  stop(): void {
    if (this.timer) window.clearInterval(this.timer);
    this.timer = null;
    if (this.playBtn) this.playBtn.textContent = "▶ Play";
  }

  private pointOf(i: number): Pt | null {
    const f = this.frames[i];
    const prevNs = this.frames[i - 1]?.ns;
    let next: string | undefined;
    for (let j = i + 1; j < this.frames.length; j++)
      if (this.frames[j].ns !== f.ns) {
        next = this.frames[j].ns;
        break;
      }
    let prev: string | undefined;
    for (let j = i - 1; j >= 0; j--)
      if (this.frames[j].ns !== f.ns) {
        prev = this.frames[j].ns;
        break;
      }
    return this.map.locate(f.ns, f.step, { prev: prev ?? prevNs, next });
  }

  private show(): void {
    const f = this.frames[this.pos];
    if (!f) return;
    this.counter.textContent = `step ${this.pos + 1} of ${this.frames.length}`;
    this.list.querySelectorAll("[aria-current]").forEach((e) => e.removeAttribute("aria-current"));
    const btn = this.list.querySelector(`[data-i="${this.pos}"]`) as HTMLElement | null;
    btn?.setAttribute("aria-current", "step");
    btn?.scrollIntoView({ block: "nearest" });
    // Map: trail of the current phase up to here.
    const trail: Pt[] = [];
    for (let i = 0; i <= this.pos; i++) {
      if (this.frames[i].phase !== f.phase) continue;
      const p = this.pointOf(i);
      if (p && !(trail.length && trail[trail.length - 1].x === p.x && trail[trail.length - 1].y === p.y)) trail.push(p);
    }
    const at = trail[trail.length - 1] ?? null;
    const activeKey = f.ns.startsWith("pod/")
      ? `pod:${f.ns.slice(4)}`
      : f.ns.startsWith("node/")
        ? `node:${f.ns.slice(5)}`
        : undefined;
    const verdict = f.kind === "verdict" ? f.path!.disposition.verdict : undefined;
    const o = f.step?.packet.outer;
    this.map.showPacket(trail, at, {
      outer: !!o,
      outerLabel: o ? (o.vni !== undefined ? `VXLAN ${o.src} → ${o.dst}` : `IPIP ${o.src} → ${o.dst}`) : undefined,
      verdict,
      activeKey,
    });
    const dst = f.phase === "dns" ? this.result!.dns?.nameserver : this.result!.flow.dst;
    const svc = this.m.services.find((s) => s.clusterIP === dst || s.externalIPs.includes(dst ?? ""));
    this.map.highlightService(svc ? `${svc.namespace}/${svc.name}` : null);
    this.renderDetail(f);
  }

  private renderDetail(f: Frame): void {
    clear(this.detail);
    const r = this.result!;
    const phase = h(
      "span",
      { class: `phase ph-${f.phase}` },
      f.phase === "dns"
        ? "DNS phase"
        : f.phase === "reply"
          ? "Reply"
          : f.phase === "backend"
            ? "Controller → backend"
            : "Packet",
    );
    if (f.kind === "routing") {
      const l = f.routing!;
      const d = l.decision;
      this.detail.append(
        h(
          "div",
          { class: "step-head" },
          phase,
          h("span", { class: "action a-ROUTING" }, "ROUTING"),
          h("span", { class: "ns" }, f.ns),
        ),
        h(
          "p",
          { class: "help" },
          `The Ingress controller (${l.controller}) ends the client's connection, decides by host and path, and opens its own connection to an endpoint of the backend Service (not its ClusterIP).`,
        ),
        h("p", { class: "detail" }, l.detail),
        h(
          "ul",
          { class: "routing" },
          h("li", {}, `request: ${l.request} → ${d.status}`),
          h("li", {}, `nginx server ${l.server}, location ${l.location ?? "<none>"}`),
          h(
            "li",
            {},
            `via: ${d.via ? `${d.via.kind} ${d.via.name}, rule ${d.rule}, match ${d.match}` : "no rule (default backend)"}`,
          ),
          d.backend ? h("li", {}, `backend: Service ${d.backend.service} port ${d.backend.port}`) : "",
          d.redirect ? h("li", {}, `redirect ${d.redirect.status} → ${d.redirect.location}`) : "",
          h("li", {}, `endpoint: ${l.endpoint ?? "none: the controller answers the client itself"}`),
        ),
      );
      return;
    }
    if (f.kind === "resolver") {
      const d = r.dns!;
      this.detail.append(
        h(
          "div",
          { class: "step-head" },
          phase,
          h("span", { class: "action a-DNS" }, "DNS"),
          h("span", { class: "ns" }, f.ns),
        ),
        h(
          "p",
          {},
          `The name is resolved first: the pod's resolver sends queries to its nameserver ${d.nameserver} (the kube-dns Service), walking the search list:`,
        ),
        h(
          "ol",
          { class: "dns-walk" },
          ...d.walk.map((q) =>
            h(
              "li",
              {},
              h("code", {}, `${q.name} ${q.type}`),
              ` → ${q.rcode}${q.answers.length ? " " + q.answers.join(", ") : ""}`,
            ),
          ),
        ),
        h(
          "p",
          {},
          d.answer
            ? `Answer used: ${d.answer}. Next: the first query's own packet (UDP 53), then the connection.`
            : "No answer: the connection cannot start.",
        ),
      );
      return;
    }
    if (f.kind === "verdict") {
      const d = f.path!.disposition;
      this.detail.append(
        h(
          "div",
          { class: "step-head" },
          phase,
          h("span", { class: `verdict v-${d.verdict}`, id: f.phase === "packet" ? "walk-verdict" : null }, d.verdict),
          d.reason ? h("span", { class: "reason" }, d.reason) : "",
        ),
        h("p", {}, d.detail),
        d.container && !d.detail.includes(d.container)
          ? h("p", {}, `container ${d.container}${d.port ? ` port ${d.port}` : ""}`)
          : "",
        d.object ? this.objectBox(d.object) : "",
        f.phase === "dns"
          ? h("p", { class: "sub" }, "The DNS answer returns to the pod; now the connection itself.")
          : "",
      );
      return;
    }
    const st = f.step!;
    const isNat = st.action === "NAT" && f.prev;
    this.detail.append(
      h(
        "div",
        { class: "step-head" },
        phase,
        h("span", { class: `action a-${st.action}` }, st.action),
        h("span", { class: "ns" }, f.ns),
      ),
      h("p", { class: "help" }, ACTION_HELP[st.action] ?? ""),
      h("p", { class: "detail" }, st.detail),
      st.decided ? h("p", { class: "decided" }, "✗ This step decided the path's verdict.") : "",
      st.object ? this.objectBox(st.object) : "",
      st.hubble ? this.hubbleBox(st) : "",
    );
    if (isNat) {
      this.detail.append(
        h(
          "div",
          { class: "nat" },
          h("div", {}, h("h4", {}, "Before NAT"), pktRows(f.prev!)),
          h("div", {}, h("h4", {}, "After NAT"), pktRows(st.packet, f.prev)),
        ),
      );
    } else {
      const inner = h(
        "div",
        { class: st.packet.outer ? "inner-box" : "" },
        h("h4", {}, st.packet.outer ? "Inner packet (the pod's, carried inside)" : "Packet headers"),
        pktRows(st.packet, f.prev?.outer ? undefined : f.prev),
      );
      // Encapsulated: the inner packet is drawn inside the outer one, as on the wire.
      if (st.packet.outer)
        this.detail.append(
          h(
            "div",
            { class: "outer-box", id: "outer-header" },
            h(
              "h4",
              {},
              `Outer header (${st.packet.outer.vni !== undefined ? "VXLAN in UDP" : "IP-in-IP"}), between node addresses`,
            ),
            outerRows(st.packet.outer),
            inner,
          ),
        );
      else this.detail.append(inner);
    }
  }

  /** Cilium: the event the datapath emits at this step, as Hubble shows it (identities, observation point). */
  private hubbleBox(st: Step): HTMLElement {
    const e = st.hubble!;
    const where = e.trace_observation_point ?? (e.drop_reason_desc ? "drop" : `policy-verdict ${e.traffic_direction}`);
    return h(
      "div",
      { class: "object k-hubble" },
      h("div", { class: "object-kind" }, `hubble · ${where} · ${e.node_name}`),
      h("pre", {}, hubbleCompact(st) ?? ""),
      h(
        "p",
        { class: "sub" },
        `source identity ${e.source.identity}${e.source.labels ? ` (${e.source.labels.join(", ")})` : ""}; destination identity ${e.destination.identity}${e.destination.labels ? ` (${e.destination.labels.join(", ")})` : ""}`,
      ),
    );
  }

  private objectBox(o: NonNullable<Step["object"]>): HTMLElement {
    const where = [
      o.table,
      o.chain,
      o.index !== undefined ? `rule #${o.index}` : "",
      o.layer ? `(${o.layer})` : "",
      o.line ? `line ${o.line}` : "",
    ]
      .filter(Boolean)
      .join(" ");
    return h(
      "div",
      { class: `object k-${o.kind}` },
      h("div", { class: "object-kind" }, `${o.kind}${where ? " · " + where : ""}`),
      h("code", {}, o.text),
    );
  }

  /** Live: run the real request for the current trace inside the source pod. */
  async runReal(target: HTMLElement): Promise<void> {
    clear(target);
    if (!this.result) {
      target.append("Trace a flow first.");
      return;
    }
    const f = this.result.flow;
    target.append("Running…");
    try {
      const r = await postJSON<ExecResult>("api/exec", { from: f.from, to: f.to, port: f.port, protocol: f.protocol });
      clear(target);
      const model = this.result.paths
        .map((p) => `${p.disposition.verdict} (${(p.probability * 100).toFixed(0)}%)`)
        .join(", ");
      target.append(
        h("p", {}, h("strong", {}, "Flow: "), `${f.from} → ${f.to} (${f.protocol}${f.port ? " " + f.port : ""})`),
        h("p", {}, h("strong", {}, "Model: "), model),
        h("p", {}, h("strong", {}, "Kernel: "), `exit ${r.exitCode}`),
        h("pre", {}, `$ ${r.command.join(" ")}\n${r.stdout}${r.stderr}`),
      );
    } catch (e) {
      clear(target);
      target.append(h("span", { class: "error" }, (e as Error).message));
    }
  }
}

export async function loadState(): Promise<StateResponse> {
  return getJSON<StateResponse>("api/state");
}
