// What an Ingress shows once a cluster has admitted it and its controller has synced it.
import type { ClusterState } from "../control/state.js";
import { INGRESS_NGINX } from "../control/system.js";
import { ingressClassOf, ownsIngress } from "../manifest/ingress-class.js";
import type { KubeObject } from "../manifest/types.js";
import { loadBalancerAddresses } from "./objects.js";

export const classesOf = (s: ClusterState): KubeObject[] => (s.objects ?? []).filter((o) => o.kind === "IngressClass");

/** spec.ingressClassName as stored: given, or set by the DefaultIngressClass admission plugin. */
export function admittedClass(state: ClusterState, o: KubeObject): string | null {
  const c = ingressClassOf(o, classesOf(state));
  return c.from === "spec.ingressClassName" || c.from === "default class" ? c.name : null;
}

/**
 * What ingress-nginx's status sync writes to an Ingress it serves (--publish-service,
 * internal/ingress/status/status.go statusAddressFromService): a LoadBalancer Service's
 * ingress IPs, else its externalIPs, else its ClusterIP. Observed Ingresses keep their status.
 */
export function publishedAddresses(state: ClusterState, o: KubeObject): string[] {
  const given = ((o.status?.loadBalancer?.ingress ?? []) as { ip?: string; hostname?: string }[])
    .map((i) => i.ip || i.hostname || "")
    .filter(Boolean);
  if (given.length || o.status) return given;
  const ctl = { ingressClass: INGRESS_NGINX.className, controller: INGRESS_NGINX.controller };
  if (!ownsIngress(o, classesOf(state), ctl)) return [];
  const svc = state.services.find((s) => s.namespace === INGRESS_NGINX.namespace && s.name === INGRESS_NGINX.name);
  if (!svc) return [];
  // statusAddressFromService: each ingress entry's IP, else its hostname, then the externalIPs.
  if (svc.type === "LoadBalancer") return [...loadBalancerAddresses(state, svc), ...svc.externalIPs];
  return svc.externalIPs.length ? svc.externalIPs : svc.clusterIP ? [svc.clusterIP] : [];
}
