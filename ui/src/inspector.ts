// The node inspector: a node's links, addresses, routes, neighbours, FDB and rules as
// ip / bridge / iptables-save / nft print them (from /api/ir/node/NAME), searchable,
// with the lines the selected trace used highlighted.

import { h, clear, getJSON } from "./dom.js";
import type { NodeInspect, StateResponse } from "./types.js";
import type { MatchedObject } from "./walk.js";

const TABS: { key: keyof NodeInspect; label: string; kinds: string[] }[] = [
  { key: "rules", label: "Rules", kinds: ["rule", "nft-rule"] },
  { key: "routes", label: "Routes", kinds: ["route"] },
  { key: "links", label: "Links", kinds: ["link"] },
  { key: "addrs", label: "Addresses", kinds: [] },
  { key: "neigh", label: "Neighbours", kinds: ["neigh"] },
  { key: "fdb", label: "FDB", kinds: ["fdb"] },
];

const norm = (t: string) => t.replace(/\s+/g, " ").trim();

export class Inspector {
  readonly root: HTMLElement;
  private nodeSel: HTMLSelectElement;
  private search: HTMLInputElement;
  private onlyMatched: HTMLInputElement;
  private tab: keyof NodeInspect = "rules";
  private data: NodeInspect | null = null;
  private body: HTMLElement;
  private status: HTMLElement;
  private tabBtns = new Map<string, HTMLButtonElement>();

  constructor(
    m: StateResponse,
    private matched: () => MatchedObject[],
  ) {
    this.nodeSel = h(
      "select",
      { id: "insp-node" },
      ...m.nodes.map((n) => h("option", { value: n.name }, `${n.name} — ${n.address}`)),
    );
    this.nodeSel.addEventListener("change", () => void this.load(this.nodeSel.value));
    this.search = h("input", {
      id: "insp-search",
      type: "search",
      placeholder: "search (e.g. KUBE-SVC, 10.244.1.5, DNAT)",
      spellcheck: "false",
    });
    this.search.addEventListener("input", () => this.draw());
    this.onlyMatched = h("input", { type: "checkbox", id: "insp-only" });
    this.onlyMatched.addEventListener("change", () => this.draw());
    const tabs = h("div", { class: "subtabs", role: "tablist", "aria-label": "Kernel state" });
    for (const t of TABS) {
      const b = h(
        "button",
        {
          type: "button",
          role: "tab",
          "data-tab": t.key,
          onclick: () => {
            this.tab = t.key;
            this.draw();
          },
        },
        t.label,
      );
      this.tabBtns.set(t.key, b);
      tabs.append(b);
    }
    this.status = h("p", { class: "sub", id: "insp-status", "aria-live": "polite" });
    this.body = h("div", { class: "listing", id: "insp-body", role: "tabpanel", tabindex: "0" });
    this.root = h(
      "section",
      { class: "inspector", "aria-label": "Node inspector" },
      h(
        "div",
        { class: "toolbar" },
        h("label", { for: "insp-node" }, "Node"),
        this.nodeSel,
        tabs,
        h("label", { for: "insp-search", class: "vh" }, "Search"),
        this.search,
        h("label", { class: "chk" }, this.onlyMatched, " only lines the trace used"),
      ),
      this.status,
      this.body,
    );
  }

  async load(name: string): Promise<void> {
    this.nodeSel.value = name;
    this.data = await getJSON<NodeInspect>(`api/ir/node/${encodeURIComponent(name)}`);
    this.draw();
  }

  draw(): void {
    for (const [k, b] of this.tabBtns) b.setAttribute("aria-selected", String(k === this.tab));
    clear(this.body);
    if (!this.data) return;
    const text = String(this.data[this.tab] ?? "");
    const ns = `node/${this.data.name}`;
    const spec = TABS.find((t) => t.key === this.tab)!;
    const objs = this.matched().filter((o) => o.ns === ns && spec.kinds.includes(o.kind));
    const used = new Set(objs.filter((o) => o.kind !== "nft-rule").map((o) => norm(o.text)));
    // nft rules are identified by table, chain and position (their text alone, e.g. "drop", is not unique).
    const nftUsed = new Set(
      objs
        .filter((o) => o.kind === "nft-rule" && o.chain !== undefined && o.index !== undefined)
        .map((o) => `${o.table ?? ""}|${o.chain}|${o.index}`),
    );
    let table = "";
    let chain = "";
    let ruleIx = -1;
    const q = this.search.value.trim().toLowerCase();
    let shown = 0;
    let hits = 0;
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    const frag = document.createDocumentFragment();
    lines.forEach((line, i) => {
      const n = norm(line);
      let nftHit = false;
      const tm = /^table (\S+) (\S+) \{/.exec(n);
      const cm = /^chain (\S+) \{/.exec(n);
      if (tm) [table, chain] = [`${tm[1]} ${tm[2]}`, ""];
      else if (cm) [chain, ruleIx] = [cm[1], -1];
      else if (chain && n !== "}" && n !== "" && !/^(type |policy |comment )/.test(n)) {
        ruleIx++;
        nftHit =
          nftUsed.has(`${table}|${chain}|${ruleIx}`) ||
          nftUsed.has(`|${chain}|${ruleIx}`) ||
          nftUsed.has(`${table.split(" ")[1]}|${chain}|${ruleIx}`);
      } else if (n === "}") chain = "";
      const isUsed = n !== "" && (nftHit || used.has(n));
      if (isUsed) hits++;
      if (this.onlyMatched.checked && !isUsed) return;
      if (q && !line.toLowerCase().includes(q)) return;
      shown++;
      const row = h(
        "div",
        { class: `ln${isUsed ? " used" : ""}` },
        h("span", { class: "no", "aria-hidden": "true" }, String(i + 1)),
      );
      if (q) {
        const lo = line.toLowerCase();
        let at = 0;
        const code = h("code", {});
        for (let k = lo.indexOf(q); k >= 0; k = lo.indexOf(q, at)) {
          code.append(line.slice(at, k), h("mark", {}, line.slice(k, k + q.length)));
          at = k + q.length;
        }
        code.append(line.slice(at));
        row.append(code);
      } else row.append(h("code", {}, line));
      if (isUsed) row.append(h("span", { class: "used-tag" }, "used by the trace"));
      frag.append(row);
    });
    this.body.append(frag);
    const fmt = this.tab === "rules" ? ` (${this.data.rulesFormat})` : "";
    this.status.textContent = `${this.data.name}: ${spec.label}${fmt} — ${shown} of ${lines.length} lines shown; ${hits} used by the selected trace`;
  }
}
