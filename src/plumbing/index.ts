// The flavor registry: `networking.cni` + `networking.backend` → a CniFlavor strategy.
// Shared code asks here and never switches on a flavor's name.

import type { ClusterConfig } from "../spec/config.js";
import type { CniFlavor } from "./flavor.js";
import { flannelVxlan } from "./flannel-vxlan/index.js";
import { flannelHostGw } from "./flannel-host-gw/index.js";
import { calicoBgp, calicoIpip, calicoVxlan } from "./calico/index.js";

export const flavors: Record<string, CniFlavor> = {
  "flannel/vxlan": flannelVxlan,
  "flannel/host-gw": flannelHostGw,
  "calico/bgp": calicoBgp,
  "calico/ipip": calicoIpip,
  "calico/vxlan": calicoVxlan,
};

export function flavorFor(config: Pick<ClusterConfig, "networking"> & { source?: ClusterConfig["source"] }): CniFlavor {
  const { cni, backend } = config.networking;
  const f = flavors[`${cni}/${backend}`];
  if (!f) {
    const src = config.source;
    const where = src ? `${src.file}:${src.lineOf?.("networking.backend") ?? src.line}: ` : "";
    const ok = Object.keys(flavors).filter((k) => k.startsWith(`${cni}/`)).map((k) => k.split("/")[1]);
    const what = ok.length ? `is not a backend of ${cni} (supported: ${ok.join(", ")})` : `: CNI "${cni}" is not modelled yet`;
    throw new Error(`${where}networking.backend: "${backend}" ${what}`);
  }
  return f;
}

export type { CniFlavor, FlavorContext } from "./flavor.js";
