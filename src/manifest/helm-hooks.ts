/**
 * Helm's hooks in `helm template` output, as `helm install` leaves them
 * (https://helm.sh/docs/topics/charts_hooks/). The template prints every hook with the
 * chart; the installed release holds only some:
 *
 * - test hooks (`test`, the older `test-success`/`test-failure`) are created by `helm test`
 *   only (https://helm.sh/docs/topics/chart_tests/);
 * - hooks of no install event (only `pre-upgrade`, `post-delete`, `pre-rollback` …) are
 *   not created by `helm install`;
 * - an install hook whose `helm.sh/hook-delete-policy` holds `hook-succeeded` is deleted
 *   once it succeeded, as an installed release's hooks did;
 * - an install hook Job that stays (the default policy, `before-hook-creation`) has run to
 *   completion: Helm waits for a hook Job to complete before the install goes on and fails
 *   the release if it does not, so its pods have finished and hold no address.
 *
 * What a live cluster's dump holds (objects with a uid) is taken as it is.
 */
import { type Diags, isObj, keyPath, where } from "./diag.js";
import type { KubeObject } from "./types.js";

const HOOK = "helm.sh/hook";
const DELETE_POLICY = "helm.sh/hook-delete-policy";
const INSTALL = new Set(["pre-install", "post-install"]);
const TEST = new Set(["test", "test-success", "test-failure"]);

/** A comma-separated annotation's words, trimmed; none when the annotation is absent. */
function words(o: KubeObject, key: string): string[] {
  const v = o.metadata.annotations?.[key];
  if (v === undefined || v === null) return [];
  return String(v)
    .split(",")
    .map((w) => w.trim())
    .filter((w) => w !== "");
}

/** Why `helm install` leaves no such object in the cluster, or undefined when it does. */
function absentBecause(o: KubeObject): string | undefined {
  const hooks = words(o, HOOK);
  if (!hooks.length) return undefined;
  if (hooks.some((h) => TEST.has(h))) return "a Helm test hook: created by `helm test` only, not by `helm install`";
  if (!hooks.some((h) => INSTALL.has(h))) return "a Helm hook of no install event: `helm install` does not create it";
  if (words(o, DELETE_POLICY).includes("hook-succeeded"))
    return "a Helm install hook deleted once it succeeded (helm.sh/hook-delete-policy: hook-succeeded)";
  return undefined;
}

/**
 * The status the job controller leaves on a Job that completed: SuccessCriteriaMet, then
 * Complete (kubernetes/kubernetes pkg/controller/job/job_controller.go), every completion
 * succeeded (completions defaults to 1, pkg/apis/batch/v1/defaults.go).
 */
function completed(o: KubeObject): KubeObject {
  const c = o.spec?.completions;
  const succeeded = typeof c === "number" && Number.isInteger(c) && c >= 0 ? c : 1;
  return {
    ...o,
    status: {
      succeeded,
      conditions: [
        { type: "SuccessCriteriaMet", status: "True" },
        { type: "Complete", status: "True" },
      ],
    },
  };
}

/** The objects `helm install` leaves of a chart's output: a warning for each hook left out. */
export function asInstalled(objects: KubeObject[], diags: Diags): KubeObject[] {
  if (!objects.some((o) => words(o, HOOK).length)) return objects;
  const out: KubeObject[] = [];
  for (const o of objects) {
    // An object the API server returned (it has a uid: a dump) is in the cluster, hook or not.
    if (typeof o.metadata.uid === "string" && o.metadata.uid !== "") {
      out.push(o);
      continue;
    }
    const why = absentBecause(o);
    if (why) {
      diags.warn(where(o), keyPath("metadata.annotations", HOOK), o.metadata.annotations?.[HOOK], `${why} (ignored)`);
      continue;
    }
    // A Job with a status is a cluster's (a dump's): as given. (`status: {}` is a manifest's.)
    const given = isObj(o.status) && Object.keys(o.status).length > 0;
    if (o.kind !== "Job" || !words(o, HOOK).length || given) {
      out.push(o);
      continue;
    }
    diags.warn(
      where(o),
      keyPath("metadata.annotations", HOOK),
      o.metadata.annotations?.[HOOK],
      "a Helm install hook Job: Helm waits for it to complete, so it is Complete and runs no pods",
    );
    out.push(completed(o));
  }
  return out;
}
