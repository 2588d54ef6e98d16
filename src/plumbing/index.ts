// The flavor registry: `networking.cni` + `networking.backend` → a CniFlavor strategy.
// Shared code asks here and never switches on a flavor's name.

import type { ClusterConfig } from "../manifest/config.js";
import { SpecError } from "../manifest/errors.js";
import type { CniFlavor } from "./flavor.js";
import { flannelVxlan } from "./flannel-vxlan/index.js";
import { flannelHostGw } from "./flannel-host-gw/index.js";
import { calicoBgp, calicoIpip, calicoVxlan } from "./calico/index.js";
import { ciliumGeneve, ciliumNative, ciliumVxlan } from "./cilium/index.js";

export const flavors: Record<string, CniFlavor> = {
  "flannel/vxlan": flannelVxlan,
  "flannel/host-gw": flannelHostGw,
  "calico/bgp": calicoBgp,
  "calico/ipip": calicoIpip,
  "calico/vxlan": calicoVxlan,
  "cilium/vxlan": ciliumVxlan,
  "cilium/geneve": ciliumGeneve,
  "cilium/native": ciliumNative,
};

export function flavorFor(
  config: Pick<ClusterConfig, "networking"> & { name?: string; source?: ClusterConfig["source"] },
): CniFlavor {
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
      : `${where}networking.cni: "${cni}" has no dataplane model yet (supported: ${[...new Set(Object.keys(flavors).map((k) => k.split("/")[0]))].join(", ")}); the control-plane views still work`;
    throw new SpecError([
      { severity: "error", message: msg, file: src?.file, line, field, value: ok.length ? backend : cni },
    ]);
  }
  return f;
}

export type { CniFlavor, FlavorContext, PolicyOracle } from "./flavor.js";
