// libnftables JSON building blocks, in the shapes `nft -j list ruleset` prints
// (checked against nft 1.0.6 with kube-proxy's own rule text).
import { frozen } from "../frozen.js";
export const payload = (protocol, field) => ({ payload: { protocol, field } });
export const meta = (key) => ({ meta: { key } });
export const match = (left, right, op = "==") => ({
    match: { op, left, right },
});
export const prefix = (cidr) => {
    const [addr, len] = cidr.split("/");
    return len === undefined ? addr : { prefix: { addr, len: Number(len) } };
};
export const jump = (target) => ({ jump: { target } });
export const goto_ = (target) => ({ goto: { target } });
export const DROP = frozen({ drop: null });
export const RETURN = frozen({ return: null });
export const REJECT = frozen({ reject: { type: "icmp", expr: "port-unreachable" } });
export const IP_SADDR = frozen(payload("ip", "saddr"));
export const IP_DADDR = frozen(payload("ip", "daddr"));
export const TH_DPORT = frozen(payload("th", "dport"));
export const L4PROTO = frozen(meta("l4proto"));
export const MARK = frozen(meta("mark"));
export const CT_STATE_NEW = frozen(match({ ct: { key: "state" } }, "new", "in"));
export const FIB_DADDR_LOCAL = frozen(match({ fib: { result: "type", flags: ["daddr"] } }, "local"));
export const FIB_SADDR_LOCAL = frozen(match({ fib: { result: "type", flags: ["saddr"] } }, "local"));
export const DADDR_PROTO_DPORT = frozen({ concat: [IP_DADDR, L4PROTO, TH_DPORT] });
export const PROTO_DPORT = frozen({ concat: [L4PROTO, TH_DPORT] });
export const vmap = (key, data) => ({ vmap: { key, data } });
//# sourceMappingURL=expr.js.map