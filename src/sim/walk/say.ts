// Step objects and texts of the walk (links, routes, neighbours, FDB entries, conntrack
// entries), made once per IR object and kept in the IR's CompiledIR (the objects are
// shared and read-only).

import type { Link, Route } from "../../ir/types.js";
import { intToIp } from "../../net/ipv4.js";
import type { CompiledIR } from "../topology.js";
import type { CRoute } from "../fib.js";
import type { StepObject } from "../trace.js";
import type { CtEntry, Tuple } from "./ct-table.js";

export const NO_META: { physIn?: string } = {};
export function linkObj(c: CompiledIR, l: Link): StepObject {
  const objs = c.linkObjs;
  let o = objs.get(l);
  if (!o) objs.set(l, (o = linkObjMake(l)));
  return o;
}
export function linkObjMake(l: Link): StepObject {
  let t = `${l.name}: <${l.up ? "UP" : "DOWN"}> mtu ${l.mtu} ${l.kind} ${l.mac}`;
  if (l.master) t += ` master ${l.master}`;
  if (l.vxlan)
    t += ` vxlan id ${l.vxlan.vni} local ${l.vxlan.local} dev ${l.vxlan.dev} dstport ${l.vxlan.port}${l.vxlan.learning ? "" : " nolearning"}`;
  if (l.peer) t += ` peer ${l.peer.name}@${l.peer.ns}`;
  return { kind: "link", text: t };
}

/** A route's step object and the end of its ROUTED text, made once per route (routes are shared, read-only) and kept on its compiled form. */
export function routeSay(c: CompiledIR, cr: CRoute): { obj: StepObject; how: string } {
  let v = cr.say;
  if (!v) {
    const r = cr.route;
    const how =
      r.type === "local"
        ? `: local (delivered in this namespace)`
        : r.via
          ? `: via ${r.via} dev ${r.dev}`
          : `: dev ${r.dev} (directly connected)`;
    cr.say = v = { obj: { kind: "route", text: routeText(c, r) }, how };
  }
  return v;
}

export function routeText(c: CompiledIR, r: Route): string {
  const texts = c.routeTexts;
  let t = texts.get(r);
  if (t === undefined) texts.set(r, (t = routeTextMake(r)));
  return t;
}
export function routeTextMake(r: Route): string {
  const parts: string[] = [];
  if (r.type !== "unicast") parts.push(r.type);
  parts.push(r.dst.endsWith("/32") ? r.dst.slice(0, -3) : r.dst);
  if (r.via) parts.push("via", r.via);
  if (r.dev) parts.push("dev", r.dev);
  if (r.table !== "main") parts.push("table", String(r.table));
  if (r.proto !== undefined) parts.push("proto", String(r.proto));
  if (r.scope && r.scope !== "global") parts.push("scope", r.scope);
  if (r.src) parts.push("src", r.src);
  if (r.metric) parts.push("metric", String(r.metric));
  if (r.onlink) parts.push("onlink");
  return parts.join(" ");
}

export function ctText(e: CtEntry): string {
  const t = (x: Tuple) => `src=${intToIp(x.src)} dst=${intToIp(x.dst)} sport=${x.sport} dport=${x.dport}`;
  return `${e.proto} ${t(e.orig)} ${t(e.reply)}${e.dnat ? " [DNAT]" : ""}${e.snat ? " [SNAT]" : ""}`;
}
