// The policy matrix: workloads × workloads (/api/reach, the same computeReach as
// `podnet reach`), a cell per pair with what NetworkPolicy allows; a click explains.

import { h, clear, getJSON, trunc } from "./dom.js";
import type { ReachCell, ReachModel, StateResponse } from "./types.js";

type Proto = "TCP" | "UDP" | "SCTP";

function allows(c: ReachCell, proto: Proto, port: number): boolean {
  return c.conns[proto].some(([a, b]) => port >= a && port <= b);
}
function isAll(c: ReachCell): boolean {
  return (["TCP", "UDP", "SCTP"] as Proto[]).every(
    (p) => c.conns[p].length === 1 && c.conns[p][0][0] === 1 && c.conns[p][0][1] === 65535,
  );
}
function isNone(c: ReachCell): boolean {
  return (["TCP", "UDP", "SCTP"] as Proto[]).every((p) => c.conns[p].length === 0);
}

export class Matrix {
  readonly root: HTMLElement;
  private nsSel: HTMLSelectElement;
  private portInput: HTMLInputElement;
  private protoSel: HTMLSelectElement;
  private table: HTMLElement;
  private explain: HTMLElement;
  private data: ReachModel | null = null;
  onTrace: (src: string, dst: string, port?: number, proto?: string) => void = () => {};

  constructor(m: StateResponse) {
    this.nsSel = h(
      "select",
      { id: "mx-ns" },
      h("option", { value: "" }, "all namespaces"),
      ...m.namespaces.map((n) => h("option", { value: n }, n)),
    );
    this.nsSel.addEventListener("change", () => void this.load());
    this.portInput = h("input", { id: "mx-port", inputmode: "numeric", placeholder: "any", size: 6 });
    this.portInput.addEventListener("input", () => this.draw());
    this.protoSel = h("select", { id: "mx-proto" }, ...["TCP", "UDP", "SCTP"].map((p) => h("option", { value: p }, p)));
    this.protoSel.addEventListener("change", () => this.draw());
    this.table = h("div", { class: "mx-wrap" });
    this.explain = h(
      "div",
      { class: "mx-explain", id: "mx-explain", "aria-live": "polite" },
      "Click a cell to see which policies and rules decide it.",
    );
    const legend = h(
      "p",
      { class: "sub" },
      h("span", { class: "cell c-all" }, "✓"),
      " all allowed   ",
      h("span", { class: "cell c-some" }, "◐"),
      " some ports   ",
      h("span", { class: "cell c-none" }, "✗"),
      " denied   ",
      `(${m.policies.length} ${m.policies.length === 1 ? "policy" : "policies"}; rows are sources, columns destinations)`,
    );
    this.root = h(
      "section",
      { class: "matrix", "aria-label": "Policy matrix" },
      h(
        "div",
        { class: "toolbar" },
        h("label", { for: "mx-ns" }, "Namespace"),
        this.nsSel,
        h("label", { for: "mx-port" }, "Port"),
        this.portInput,
        h("label", { for: "mx-proto", class: "vh" }, "Protocol"),
        this.protoSel,
      ),
      legend,
      h("div", { class: "mx-layout" }, this.table, this.explain),
    );
  }

  private loaded = false;
  /** Loads once, when the tab is first shown (the matrix is quadratic in workloads). */
  async ensureLoaded(): Promise<void> {
    if (this.loaded) return;
    this.loaded = true;
    await this.load();
  }

  async load(): Promise<void> {
    const ns = this.nsSel.value;
    this.data = await getJSON<ReachModel>(`api/reach${ns ? `?namespace=${encodeURIComponent(ns)}` : ""}`);
    this.draw();
  }

  private draw(): void {
    clear(this.table);
    if (!this.data) return;
    const d = this.data;
    if (d.tooMany) {
      this.table.append(
        h(
          "p",
          { class: "error" },
          `${d.tooMany} workloads${this.nsSel.value ? ` in ${this.nsSel.value}` : ""}: too many for a matrix. Choose a namespace, or use podnet reach --from/--to on the command line.`,
        ),
      );
      return;
    }
    const port = Number(this.portInput.value);
    const usePort = Number.isInteger(port) && port >= 1 && port <= 65535;
    const proto = this.protoSel.value as Proto;
    const cells = new Map(d.cells.map((c) => [`${c.src}→${c.dst}`, c]));
    const srcs = d.workloads.filter((w) => d.cells.some((c) => c.src === w.name));
    const dsts = d.workloads.filter((w) => d.cells.some((c) => c.dst === w.name));
    const short = (n: string) => n.replace(/\[(\w+)\]$/, "");
    const head = h(
      "tr",
      {},
      h("th", { scope: "col", class: "corner" }, "from ↓ / to →"),
      ...dsts.map((w) =>
        h("th", { scope: "col", class: "colh", title: w.name }, h("span", {}, trunc(short(w.name), 28))),
      ),
    );
    const rows = srcs.map((sw) =>
      h(
        "tr",
        {},
        h("th", { scope: "row", title: sw.name }, trunc(short(sw.name), 34)),
        ...dsts.map((dw) => {
          const c = cells.get(`${sw.name}→${dw.name}`);
          if (!c) return h("td", { class: "cell c-na" }, "");
          let cls: string;
          let sym: string;
          let what: string;
          if (usePort) {
            const ok = allows(c, proto, port);
            cls = ok ? "c-all" : "c-none";
            sym = ok ? "✓" : "✗";
            what = ok ? `${proto} ${port} allowed` : `${proto} ${port} denied`;
          } else if (isAll(c)) [cls, sym, what] = ["c-all", "✓", "all connections allowed"];
          else if (isNone(c)) [cls, sym, what] = ["c-none", "✗", "no connections allowed"];
          else [cls, sym, what] = ["c-some", "◐", `only ${c.text}`];
          const b = h(
            "button",
            {
              type: "button",
              class: `cell ${cls}`,
              "aria-label": `${c.src} to ${c.dst}: ${what}`,
              title: `${c.src} → ${c.dst}: ${c.text}`,
            },
            sym,
          );
          b.addEventListener("click", () => this.show(c));
          return h("td", {}, b);
        }),
      ),
    );
    this.table.append(h("table", { class: "mx" }, h("thead", {}, head), h("tbody", {}, ...rows)));
  }

  private show(c: ReachCell): void {
    clear(this.explain);
    const port = Number(this.portInput.value) || undefined;
    const pod = (w: string) => /^[^/[]+\/[^[]+\[/.test(w);
    this.explain.append(
      h("h3", {}, `${c.src} → ${c.dst}`),
      h("p", {}, h("strong", {}, "Allowed: "), c.text),
      h("ul", {}, ...c.explain.map((e) => h("li", {}, e))),
      pod(c.src) && pod(c.dst)
        ? h(
            "button",
            {
              type: "button",
              class: "primary",
              onclick: () => this.onTrace(c.src, c.dst, port, this.protoSel.value.toLowerCase()),
            },
            "Trace this flow",
          )
        : "",
    );
  }
}
