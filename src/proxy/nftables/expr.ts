// libnftables JSON building blocks, in the shapes `nft -j list ruleset` prints
// (checked against nft 1.0.6 with kube-proxy's own rule text).

export const payload = (protocol: string, field: string) => ({ payload: { protocol, field } });
export const meta = (key: string) => ({ meta: { key } });
export const match = (left: any, right: any, op: "==" | "!=" | "in" = "==") => ({ match: { op, left, right } });
export const prefix = (cidr: string): any => {
  const [addr, len] = cidr.split("/");
  return len === undefined ? addr : { prefix: { addr, len: Number(len) } };
};
export const jump = (target: string) => ({ jump: { target } });
export const goto_ = (target: string) => ({ goto: { target } });
export const DROP = Object.freeze({ drop: null });
export const RETURN = Object.freeze({ return: null });
export const REJECT = Object.freeze({ reject: { type: "icmp", expr: "port-unreachable" } });

export const IP_SADDR = Object.freeze(payload("ip", "saddr"));
export const IP_DADDR = Object.freeze(payload("ip", "daddr"));
export const TH_DPORT = Object.freeze(payload("th", "dport"));
export const L4PROTO = Object.freeze(meta("l4proto"));
export const MARK = Object.freeze(meta("mark"));
export const CT_STATE_NEW = Object.freeze(match({ ct: { key: "state" } }, "new", "in"));
export const FIB_DADDR_LOCAL = Object.freeze(match({ fib: { result: "type", flags: ["daddr"] } }, "local"));
export const FIB_SADDR_LOCAL = Object.freeze(match({ fib: { result: "type", flags: ["saddr"] } }, "local"));
export const DADDR_PROTO_DPORT = Object.freeze({ concat: [IP_DADDR, L4PROTO, TH_DPORT] });
export const PROTO_DPORT = Object.freeze({ concat: [L4PROTO, TH_DPORT] });
export const vmap = (key: any, data: any) => ({ vmap: { key, data } });
