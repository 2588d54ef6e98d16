// libnftables JSON building blocks, in the shapes `nft -j list ruleset` prints
// (checked against nft 1.0.6 with kube-proxy's own rule text).

import type { NftExpr, NftExprObj, NftStmt, NftVerdict } from "../../ir/types.js";
import { frozen } from "../frozen.js";

export const payload = (protocol: string, field: string): NftExprObj => ({ payload: { protocol, field } });
export const meta = (key: string): NftExprObj => ({ meta: { key } });
export const match = (left: NftExpr, right: NftExpr, op: "==" | "!=" | "in" = "=="): NftStmt => ({
  match: { op, left, right },
});
export const prefix = (cidr: string): NftExpr => {
  const [addr, len] = cidr.split("/");
  return len === undefined ? addr : { prefix: { addr, len: Number(len) } };
};
export const jump = (target: string): NftVerdict => ({ jump: { target } });
export const goto_ = (target: string): NftVerdict => ({ goto: { target } });
export const DROP: NftVerdict = frozen({ drop: null });
export const RETURN: NftVerdict = frozen({ return: null });
export const REJECT: NftStmt = frozen({ reject: { type: "icmp", expr: "port-unreachable" } });

export const IP_SADDR = frozen(payload("ip", "saddr"));
export const IP_DADDR = frozen(payload("ip", "daddr"));
export const TH_DPORT = frozen(payload("th", "dport"));
export const L4PROTO = frozen(meta("l4proto"));
export const MARK = frozen(meta("mark"));
export const CT_STATE_NEW = frozen(match({ ct: { key: "state" } }, "new", "in"));
export const FIB_DADDR_LOCAL = frozen(match({ fib: { result: "type", flags: ["daddr"] } }, "local"));
export const FIB_SADDR_LOCAL = frozen(match({ fib: { result: "type", flags: ["saddr"] } }, "local"));
export const DADDR_PROTO_DPORT: NftExpr = frozen({ concat: [IP_DADDR, L4PROTO, TH_DPORT] });
export const PROTO_DPORT: NftExpr = frozen({ concat: [L4PROTO, TH_DPORT] });
export const vmap = (key: NftExpr, data: NftExpr): NftStmt => ({ vmap: { key, data } });
