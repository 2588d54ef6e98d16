// The flavor registry: `networking.cni` + `networking.backend` → a CniFlavor strategy.
// Shared code asks here and never switches on a flavor's name.
import { SpecError } from "../manifest/errors.js";
import { flannelVxlan } from "./flannel-vxlan/index.js";
import { flannelHostGw } from "./flannel-host-gw/index.js";
import { calicoBgp, calicoIpip, calicoVxlan } from "./calico/index.js";
export const flavors = {
    "flannel/vxlan": flannelVxlan,
    "flannel/host-gw": flannelHostGw,
    "calico/bgp": calicoBgp,
    "calico/ipip": calicoIpip,
    "calico/vxlan": calicoVxlan,
};
export function flavorFor(config) {
    const { cni, backend } = config.networking;
    const f = flavors[`${cni}/${backend}`];
    if (!f) {
        const src = config.source;
        const ok = Object.keys(flavors)
            .filter((k) => k.startsWith(`${cni}/`))
            .map((k) => k.split("/")[1]);
        const field = ok.length ? "networking.backend" : "networking.cni";
        const line = src ? (src.lineOf?.(field) ?? src.line) : undefined;
        const where = src ? `${src.file}:${line} (Cluster ${config.name ?? ""}) ` : "";
        const msg = ok.length
            ? `${where}networking.backend: "${backend}" is not a backend of ${cni} (supported: ${ok.join(", ")})`
            : // Cilium forwards in eBPF programs, which the IR (routes, FDB, netfilter) cannot express.
                `${where}networking.cni: "${cni}" has no dataplane model yet (supported: ${[...new Set(Object.keys(flavors).map((k) => k.split("/")[0]))].join(", ")}); the control-plane views still work`;
        throw new SpecError([
            { severity: "error", message: msg, file: src?.file, line, field, value: ok.length ? backend : cni },
        ]);
    }
    return f;
}
//# sourceMappingURL=index.js.map