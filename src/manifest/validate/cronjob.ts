// CronJob (kubernetes/kubernetes pkg/apis/batch/validation/validation.go ValidateCronJobCreate,
// validateCronJobSpec, validateScheduleFormat): its name, schedule, policy and job template.
// None of it changes the network but the template's pod spec: the reading commands list a
// CronJob's pods by that template (questions/reach.ts), and only `up` refuses the rest.
import type { KubeObject } from "../types.js";
import { NO_VALUE, isInt, isObj } from "../diag.js";
import { type Err, NET, checkLabels, notInteger } from "./common.js";
import { checkPodSpec } from "./pod.js";

// A Job's name is `<cronjob>-<minutes since the epoch>` (11 characters at most) and must stay a
// DNS-1035 label of 63: ValidateCronJobCreate allows 63 - 11.
const MAX_NAME = 52;
const POLICIES = ["Allow", "Forbid", "Replace"];

export function checkCronJob(err: Err, o: KubeObject): void {
  if (typeof o.metadata.name === "string" && o.metadata.name.length > MAX_NAME)
    err("metadata.name", o.metadata.name, `must be no more than ${MAX_NAME} characters`);
  const spec = o.spec;
  if (!isObj(spec)) return err("spec", spec ?? NO_VALUE, spec === undefined ? "is required" : "must be a mapping", NET);
  const schedule = spec.schedule;
  if (schedule === undefined || schedule === null || schedule === "") err("spec.schedule", NO_VALUE, "Required value");
  else if (typeof schedule !== "string") err("spec.schedule", schedule, "must be a string");
  else {
    const why = cronError(schedule);
    if (why) err("spec.schedule", schedule, why);
    // On create the API server refuses a time zone in the schedule (the timeZone field says it).
    if (schedule.includes("TZ"))
      err("spec.schedule", schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
  }
  const policy = spec.concurrencyPolicy;
  if (policy !== undefined && policy !== null && !POLICIES.includes(policy as string))
    err(
      "spec.concurrencyPolicy",
      policy,
      `Unsupported value: ${JSON.stringify(policy)}: supported values: "Allow", "Forbid", "Replace"`,
    );
  for (const key of ["startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"]) {
    const v = spec[key];
    if (v === undefined || v === null) continue;
    if (!isInt(v)) err(`spec.${key}`, v, notInteger(v));
    else if (v < 0) err(`spec.${key}`, v, "must be greater than or equal to 0");
  }
  const jt = spec.jobTemplate;
  if (!isObj(jt))
    return err("spec.jobTemplate", jt ?? NO_VALUE, jt === undefined ? "is required" : "must be a mapping", NET);
  if (!isObj(jt.spec))
    return err(
      "spec.jobTemplate.spec",
      jt.spec ?? NO_VALUE,
      jt.spec === undefined ? "is required" : "must be a mapping",
      NET,
    );
  const tmpl = jt.spec.template;
  const base = "spec.jobTemplate.spec.template";
  if (!isObj(tmpl)) return err(base, tmpl ?? NO_VALUE, tmpl === undefined ? "is required" : "must be a mapping", NET);
  if (tmpl.metadata !== undefined) {
    if (!isObj(tmpl.metadata)) err(`${base}.metadata`, tmpl.metadata, "must be a mapping", NET);
    else checkLabels(err, `${base}.metadata.labels`, tmpl.metadata.labels);
  }
  checkPodSpec(err, `${base}.spec`, tmpl.spec);
}

// The standard cron format as the API server parses it: robfig/cron v3 ParseStandard
// (github.com/robfig/cron/v3 parser.go). Written out because no npm cron library gives its
// rules and messages (cron-parser, for one, accepts seconds and says other things).
const FIELDS: { min: number; max: number; names?: Record<string, number> }[] = [
  { min: 0, max: 59 }, // minute
  { min: 0, max: 23 }, // hour
  { min: 1, max: 31 }, // day of month
  {
    min: 1,
    max: 12,
    names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 },
  },
  { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } },
];
const DESCRIPTORS = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]);
// Go's time.ParseDuration: a sequence of decimal numbers with units.
const DURATION = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$|^[-+]?0$/;

/** robfig/cron's error for a schedule, or undefined when it parses. */
export function cronError(schedule: string): string | undefined {
  let spec = schedule;
  if (spec.startsWith("TZ=") || spec.startsWith("CRON_TZ=")) {
    const i = spec.indexOf(" ");
    if (i < 0) return undefined; // a location alone: what follows is reported by the TZ rule
    spec = spec.slice(i).trim();
  }
  if (spec.startsWith("@")) {
    if (DESCRIPTORS.has(spec)) return undefined;
    if (spec.startsWith("@every ")) {
      const d = spec.slice("@every ".length);
      return DURATION.test(d)
        ? undefined
        : `failed to parse duration ${spec}: time: invalid duration ${JSON.stringify(d)}`;
    }
    return `unrecognized descriptor: ${spec}`;
  }
  const fields = spec.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]`;
  for (let i = 0; i < 5; i++)
    for (const expr of fields[i].split(",").filter(Boolean)) {
      const why = rangeError(expr, FIELDS[i]);
      if (why) return why;
    }
  return undefined;
}

/** getRange: `*`, `?`, `n`, `a-b`, each with an optional `/step`. */
function rangeError(expr: string, r: (typeof FIELDS)[number]): string | undefined {
  const rangeAndStep = expr.split("/");
  const lowAndHigh = rangeAndStep[0].split("-");
  let start: number;
  let end: number;
  if (lowAndHigh[0] === "*" || lowAndHigh[0] === "?") {
    start = r.min;
    end = r.max;
  } else {
    const s = intOrName(lowAndHigh[0], r.names);
    if (typeof s === "string") return s;
    start = end = s;
    if (lowAndHigh.length === 2) {
      const e = intOrName(lowAndHigh[1], r.names);
      if (typeof e === "string") return e;
      end = e;
    } else if (lowAndHigh.length > 2) return `too many hyphens: ${expr}`;
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    const s = mustParseInt(rangeAndStep[1]);
    if (typeof s === "string") return s;
    step = s;
    if (lowAndHigh.length === 1) end = r.max; // "N/step" is "N-max/step"
  } else if (rangeAndStep.length > 2) return `too many slashes: ${expr}`;
  if (start < r.min) return `beginning of range (${start}) below minimum (${r.min}): ${expr}`;
  if (end > r.max) return `end of range (${end}) above maximum (${r.max}): ${expr}`;
  if (start > end) return `beginning of range (${start}) beyond end of range (${end}): ${expr}`;
  if (step === 0) return `step of range should be a positive number: ${expr}`;
  return undefined;
}

function intOrName(expr: string, names?: Record<string, number>): number | string {
  const n = names && Object.hasOwn(names, expr.toLowerCase()) ? names[expr.toLowerCase()] : undefined;
  return n ?? mustParseInt(expr);
}

/** strconv.Atoi, then no negatives. */
function mustParseInt(expr: string): number | string {
  if (!/^[-+]?\d+$/.test(expr))
    return `failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`;
  const n = Number(expr);
  if (n < 0) return `negative number (${n}) not allowed: ${expr}`;
  return n;
}
