// Cilium's reserved security identities (pkg/identity/numericidentity.go): shared by the
// maps (maps.ts) and the policy map's entries (policy-map.ts).
import type { BpfIdentity } from "../../ir/types.js";

export const ID_UNKNOWN = 0;
export const ID_HOST = 1;
export const ID_WORLD = 2;
export const ID_UNMANAGED = 3;
export const ID_HEALTH = 4;
export const ID_INIT = 5;
export const ID_REMOTE_NODE = 6;
export const ID_KUBE_APISERVER = 7;
export const RESERVED: BpfIdentity[] = [
  { id: ID_HOST, labels: ["reserved:host"] },
  { id: ID_WORLD, labels: ["reserved:world"] },
  { id: ID_UNMANAGED, labels: ["reserved:unmanaged"] },
  { id: ID_HEALTH, labels: ["reserved:health"] },
  { id: ID_INIT, labels: ["reserved:init"] },
  { id: ID_REMOTE_NODE, labels: ["reserved:remote-node"] },
  { id: ID_KUBE_APISERVER, labels: ["reserved:kube-apiserver"] },
];
