// CronJob validation: the API server's rules (kubernetes/kubernetes pkg/apis/batch/validation
// validateCronJobSpec) and the schedule parser it calls, robfig/cron v3 ParseStandard, whose
// messages the API server returns as they are. Expected texts are robfig's format strings
// (github.com/robfig/cron/v3 parser.go) filled in by hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkSpec } from "../parse.js";
import { cronError } from "./cronjob.js";

test("schedules the standard parser takes: five fields, names, ranges, steps, descriptors", () => {
  for (const s of [
    "*/5 * * * *",
    "0 0 * * *",
    "0 9-17/2 * * MON-FRI",
    "30 4 1,15 jan,jul *",
    "? * * * *",
    "5/15 * * * *",
    "0 0 31 12 6",
    "@hourly",
    "@daily",
    "@midnight",
    "@weekly",
    "@monthly",
    "@yearly",
    "@annually",
    "@every 1h30m",
    "  0   0  * * *  ",
  ])
    assert.equal(cronError(s), undefined, s);
});

test("schedules it refuses, with its messages", () => {
  const cases: [string, string][] = [
    ["* * * *", "expected exactly 5 fields, found 4: [* * * *]"],
    ["0 0 * * * *", "expected exactly 5 fields, found 6: [0 0 * * * *]"],
    ["60 * * * *", "end of range (60) above maximum (59): 60"],
    ["* 24 * * *", "end of range (24) above maximum (23): 24"],
    ["* * 0 * *", "beginning of range (0) below minimum (1): 0"],
    ["* * * 13 *", "end of range (13) above maximum (12): 13"],
    // Day of week is 0-6 (Sunday 0): 7 is past it.
    ["* * * * 7", "end of range (7) above maximum (6): 7"],
    ["5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"],
    ["*/0 * * * *", "step of range should be a positive number: */0"],
    ["1-2-3 * * * *", "too many hyphens: 1-2-3"],
    ["*/2/3 * * * *", "too many slashes: */2/3"],
    ["x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ["@reboot", "unrecognized descriptor: @reboot"],
    ["@every soon", 'failed to parse duration @every soon: time: invalid duration "soon"'],
  ];
  for (const [s, want] of cases) assert.equal(cronError(s), want, s);
});

const cronJob = (name: string, spec: string) => `apiVersion: batch/v1
kind: CronJob
metadata:
  name: ${name}
spec:
${spec}`;

const TEMPLATE = `  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: c
            image: busybox`;

function messages(text: string, mode: "strict" | "tolerant" = "strict") {
  const r = checkSpec([{ file: "cj.yaml", text }], undefined, mode);
  return r.diagnostics.map((d) => `${d.severity}: ${d.message}`);
}

test("a CronJob's schedule, name and policy as the API server checks them", () => {
  assert.deepEqual(messages(cronJob("backup", `  schedule: "*/5 * * * *"\n${TEMPLATE}`)), []);
  const bad = messages(cronJob("backup", `  schedule: "61 * * * *"\n  concurrencyPolicy: Sometimes\n${TEMPLATE}`));
  assert.deepEqual(bad, [
    'error: cj.yaml:6 (CronJob default/backup) spec.schedule: "61 * * * *" end of range (61) above maximum (59): 61',
    'error: cj.yaml:7 (CronJob default/backup) spec.concurrencyPolicy: "Sometimes" Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
  ]);
  const missing = messages(cronJob("backup", TEMPLATE));
  assert.equal(missing.length, 1);
  assert.match(missing[0], /spec\.schedule: Required value$/);
  // A Job's name is the CronJob's and an 11-character suffix, within a DNS-1035 label's 63.
  const long = messages(cronJob("a".repeat(53), `  schedule: "@daily"\n${TEMPLATE}`));
  assert.equal(long.length, 1);
  assert.match(long[0], /metadata\.name: "a{53}" must be no more than 52 characters$/);
  // A time zone goes in spec.timeZone.
  assert.match(
    messages(cronJob("tz", `  schedule: "CRON_TZ=UTC 0 0 * * *"\n${TEMPLATE}`)).join("\n"),
    /cannot use TZ or CRON_TZ in schedule, use timeZone field instead/,
  );
});

test("reading commands go on past a bad schedule; what the template's pods need stays an error", () => {
  const text = cronJob("backup", `  schedule: "every minute"\n${TEMPLATE}`);
  assert.ok(messages(text, "tolerant").every((m) => m.startsWith("warning: ")));
  assert.ok(messages(text, "strict").some((m) => m.startsWith("error: ")));
  const noContainers = cronJob(
    "backup",
    `  schedule: "@daily"\n  jobTemplate:\n    spec:\n      template:\n        spec: {}`,
  );
  assert.ok(messages(noContainers, "tolerant").some((m) => m.startsWith("error: ")));
  // batch/v1beta1 was removed in 1.25: kubectl's refusal, only a warning when reading.
  const old = messages(text.replace("batch/v1", "batch/v1beta1"), "tolerant");
  assert.deepEqual(
    old.filter((m) => m.includes("no matches")),
    [
      'warning: cj.yaml:1 (CronJob backup) apiVersion: "batch/v1beta1" no matches for kind "CronJob" in version "batch/v1beta1" (use "batch/v1")',
    ],
  );
});
