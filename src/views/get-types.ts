// The shape of a `kubectl get` resource kind (what views/get.ts registers).

import type { ClusterState } from "../control/state.js";
import type { Labels } from "../manifest/types.js";
import type { ViewOptions } from "./common.js";

/** One row source: namespace ("" for cluster-scoped), name, labels, and the value. */
export interface Item<T = unknown> {
  namespace: string;
  name: string;
  labels: Labels;
  value: T;
}

/**
 * A resource kind of the registry: its names, and how it lists, tabulates and prints the
 * items it lists. T is what its items hold; the registry (RESOURCES) erases it: a
 * resource's row/object only ever receive the items of its own items(), so the methods
 * (method syntax: their parameters compare bivariantly) accept them without casts.
 */
export interface Resource<T = unknown> {
  kind: string;
  /** Plural resource name (what `kubectl api-resources` lists). */
  plural: string;
  singular: string;
  shortNames: string[];
  /** `-o name` prefix: "pod", "service", "deployment.apps" … */
  nameRef: string;
  namespaced: boolean;
  items(state: ClusterState): Item<T>[];
  header(wide: boolean): string[];
  row(state: ClusterState, item: Item<T>, wide: boolean, opts: ViewOptions): string[];
  object(state: ClusterState, item: Item<T>, opts: ViewOptions): Record<string, unknown>;
}
