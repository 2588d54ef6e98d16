import type { CniFlavor } from "../flavor.js";
export declare const VXLAN_DEV = "flannel.1";
/** The VTEP MAC flanneld publishes in its node annotation (flannel.alpha.coreos.com/backend-data). */
export declare function vtepMac(nodeName: string): string;
export declare const flannelVxlan: CniFlavor;
