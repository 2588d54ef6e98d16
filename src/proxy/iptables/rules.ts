// Small builders for IptRule values. Constant options are shared objects (never mutate
// a rule's opts): at 100k+ rules this keeps the shared layer compact.

import { FLOW_LOG_GROUP, flowLogPrefix } from "../../ir/flowlog.js";
import type { DropTag, IptChain, IptLayer, IptOpt, IptRule, IptTableName } from "../../ir/types.js";
import { frozen } from "../frozen.js";

export const o = (opt: string, ...args: string[]): IptOpt => ({ opt, args });
export const not = (opt: string, ...args: string[]): IptOpt => ({ opt, args, neg: true });

export const M_COMMENT = frozen(o("-m", "comment"));
export const M_STATISTIC = frozen(o("-m", "statistic"));
export const MODE_RANDOM = frozen(o("--mode", "random"));
export const M_RECENT = frozen(o("-m", "recent"));
export const M_ADDRTYPE = frozen(o("-m", "addrtype"));
export const M_CONNTRACK = frozen(o("-m", "conntrack"));
export const M_MARK = frozen(o("-m", "mark"));
export const DST_LOCAL = frozen(o("--dst-type", "LOCAL"));
export const SRC_LOCAL = frozen(o("--src-type", "LOCAL"));

const protoOpts = new Map<string, [IptOpt, IptOpt]>();
/** `-m tcp -p tcp` (kube-proxy's order). */
export function proto(p: string): [IptOpt, IptOpt] {
  let v = protoOpts.get(p);
  if (!v) {
    v = [frozen(o("-m", p)), frozen(o("-p", p))];
    protoOpts.set(p, v);
  }
  return v;
}

export function comment(text: string): IptOpt[] {
  return [M_COMMENT, o("--comment", text)];
}

export function rule(opts: IptOpt[], target?: string, targetOpts?: IptOpt[]): IptRule {
  const r: IptRule = { opts };
  if (target !== undefined) r.target = target;
  if (targetOpts?.length) r.targetOpts = targetOpts;
  return r;
}

/** kube-proxy's REJECT/DROP for a Service without endpoints (anywhere, or on this node). */
export const NO_ENDPOINTS: DropTag = Object.freeze({ reason: "SERVICE_BACKEND_NOT_FOUND" });
export const NO_LOCAL_ENDPOINTS: DropTag = Object.freeze({ reason: "SERVICE_BACKEND_NOT_FOUND", local: true });

/** A rule whose verdict stands for `tag` (the interpreter reads it when the rule drops a packet). */
export function dropRule(opts: IptOpt[], target: "REJECT" | "DROP", tag: DropTag): IptRule {
  return { opts, target, drop: tag };
}

/**
 * `-j NFLOG --nflog-prefix REASON --nflog-group 30` (iptables-save's option order,
 * iptables extensions/libxt_NFLOG.c nflog_print): an iptables rule has one target, so the
 * log that nftables puts in the drop rule itself is a rule of its own here, with the
 * drop's matches, just before it. NFLOG is non-terminal: the packet goes on to the drop.
 */
const nflogOpts = new Map<string, IptOpt[]>();
function nflogTarget(tag: DropTag): IptOpt[] {
  const prefix = flowLogPrefix({ reason: tag.reason });
  let v = nflogOpts.get(prefix);
  if (!v) {
    v = frozen([frozen(o("--nflog-prefix", prefix)), frozen(o("--nflog-group", String(FLOW_LOG_GROUP)))]);
    nflogOpts.set(prefix, v);
  }
  return v;
}

/** The NFLOG rule (podnet's, for `podnet observe`) and the drop rule standing for `tag`, in that order. */
export function loggedDropRules(opts: IptOpt[], target: "REJECT" | "DROP", tag: DropTag): [IptRule, IptRule] {
  return [{ opts, target: "NFLOG", targetOpts: nflogTarget(tag) }, dropRule(opts, target, tag)];
}

/** A layer under construction. */
export class LayerBuilder {
  readonly layer: IptLayer;
  constructor(owner: string) {
    this.layer = { owner, role: "kube-proxy", tables: {} };
  }
  /** Per table: chain names in creation order, for tables that record it (see track). */
  private order: Partial<Record<IptTableName, { push(name: string): void }>> = {};
  /** Record the names of the chains created in `table` from now on into `into`. */
  track(table: IptTableName, into: { push(name: string): void }): void {
    this.order[table] = into;
  }
  chain(table: IptTableName, name: string): IptChain {
    const t = (this.layer.tables[table] ??= {});
    let c = t[name];
    if (!c) {
      c = { name, rules: [] };
      t[name] = c;
      this.order[table]?.push(name);
    }
    return c;
  }
  add(table: IptTableName, chain: string, r: IptRule): void {
    this.chain(table, chain).rules.push(r);
  }
}
