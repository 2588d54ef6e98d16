// Which class an Ingress has, and whether a controller owns it.
//  - The API server's DefaultIngressClass admission plugin gives a new Ingress with neither
//    spec.ingressClassName nor the legacy `kubernetes.io/ingress.class` annotation the class
//    annotated `ingressclass.kubernetes.io/is-default-class: "true"`; with two such classes
//    it refuses the Ingress (kubernetes/kubernetes plugin/pkg/admission/network/defaultingressclass).
//  - ingress-nginx serves an Ingress whose annotation equals its --ingress-class ("nginx"),
//    or whose spec.ingressClassName names an IngressClass with its --controller-class
//    ("k8s.io/ingress-nginx"); one without either only with --watch-ingress-without-class,
//    off by default (kubernetes/ingress-nginx internal/ingress/controller/store/store.go).
// Here, below the control plane, because both podnet's own install (control/system.ts: is an
// ingress-nginx needed?) and the edge proxies (ingress/nginx.ts) ask it.
import type { KubeObject } from "./types.js";

/** The annotation the DefaultIngressClass admission plugin looks for. */
export const DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class";
export const LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class";

export interface IngressClassOf {
  /** The class the Ingress has once admitted (null: none). */
  name: string | null;
  from: "spec.ingressClassName" | "annotation" | "default class" | null;
  /** Set when the API server would have refused the Ingress (two default classes). */
  refused?: string;
}

/** The IngressClasses marked default, in input order. */
export function defaultClasses(classes: readonly KubeObject[]): KubeObject[] {
  return classes.filter((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === "true");
}

export function ingressClassOf(ing: KubeObject, classes: readonly KubeObject[]): IngressClassOf {
  const field = ing.spec?.ingressClassName;
  if (typeof field === "string" && field !== "") return { name: field, from: "spec.ingressClassName" };
  const ann = ing.metadata.annotations?.[LEGACY_CLASS_ANNOTATION];
  if (ann !== undefined) return { name: ann, from: "annotation" };
  const defs = defaultClasses(classes);
  if (defs.length === 1) return { name: defs[0].metadata.name, from: "default class" };
  if (defs.length > 1)
    return {
      name: null,
      from: null,
      refused: `${defs.length} default IngressClasses were found, only 1 allowed (${defs.map((c) => c.metadata.name).join(", ")})`,
    };
  return { name: null, from: null };
}

/** A controller: its --ingress-class (the annotation's value) and --controller-class. */
export interface ControllerIdentity {
  ingressClass: string;
  controller: string;
}

/** Whether that controller owns `ing` (any IngressClass of its controller-class counts). */
export function ownsIngress(ing: KubeObject, classes: readonly KubeObject[], ctl: ControllerIdentity): boolean {
  const c = ingressClassOf(ing, classes);
  if (c.name === null) return false;
  if (c.from === "annotation") return c.name === ctl.ingressClass;
  const cls = classes.find((k) => k.metadata.name === c.name);
  return cls !== undefined && cls.spec?.controller === ctl.controller;
}
