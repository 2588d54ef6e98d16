// `podnet diagnose FROM TO`: the troubleshooting checklist (DNS, Service, path,
// NetworkPolicy, listener) run on the model; exit 3 when a check fails (1 stays usage errors).
// With --name N, on the running cluster's recorded state, then asked of its kernel
// (questions/diagnose-kernel.ts); a difference between the two is a failed check too.
//   FROM: a pod (the one pod lookup of every command) | external[:IP]
//   TO:   a pod | svc/[ns/]NAME | a name[:PORT] | a URL | IP[:PORT]; a bare word that is a Service's
//         name in the namespace is that name (as an app calls it), else a pod, else a DNS name.
//         A headless Service is its name (looked up to the pods).

import type { Command } from "commander";
import type { ClusterState, PodState } from "../control/state.js";
import { kernelIO } from "../linux/diagnose-io.js";
import { recompute } from "../linux/probe.js";
import { DiagnoseInputError, type DiagnoseSeen, diagnose } from "../questions/diagnose.js";
import { diagnoseKernel } from "../questions/diagnose-kernel.js";
import { modelSession, TraceInputError, type Protocol } from "../questions/trace.js";
import { diagnoseAll } from "../questions/diagnose-all.js";
import { diagnoseAllKernel } from "../questions/diagnose-all-kernel.js";
import {
  renderClusterDiagnosis,
  renderClusterKernelDiagnosis,
  renderDiagnosis,
  renderKernelDiagnosis,
} from "../views/diagnose.js";
import { addClusterOptions, loadFromFlags, type ClusterFlags } from "./cluster-opts.js";
import { EXIT_FAILED_CHECK, UsageError } from "./errors.js";
import { findPod } from "./resolve-target.js";
import { runningCluster } from "./running.js";

const PROTOS = ["tcp", "udp", "sctp"];

interface DiagnoseFlags extends ClusterFlags {
  port?: string;
  protocol?: string;
  namespace?: string;
  output: string;
  all?: boolean;
  name?: string;
}

const JSON_HELP = `
-o json fields (stable):
  from, to, target {kind: pod|service|name|ip, name}, protocol, port
  checks[]: {code, layer: dns|service|pod|path|policy|listener, title, ok, severity: error|warning, evidence, why?, fix?, yaml?}
  first_failure: {code, layer, why, fix} | null
  paths[]: the flow's traced paths {probability, choices, verdict, drop_reason?, drop_reason_desc?, detail}
    (drop_reason: Hubble's number, 0 where Hubble has no such reason; drop_reason_desc: the name)
  allow_policy: NetworkPolicy YAML that would allow the flow (when policy denies it)
check codes, in order:
  dns.coredns  dns.endpoints  dns.policy  dns.resolve  dns.ndots
  service.exists  service.port  service.selector  service.targetPort  service.endpoints
  service.endpoints.ready  service.trafficPolicy  service.proxy  pod.running
  path.route  policy.egress  policy.ingress  listener
--all -o json: checked {nodePairs, servicePorts, serviceNames, pods}, findings[] {code, subject, evidence}
  (worst first; codes as above, and service.answers: a connection to the Service does not get through)
--name N -o json adds kernel: {cluster, findings[] {code: dns.resolve|connect|path.route|path.neigh|path.fdb|listener,
  what, model, kernel, agree: true|false|null}, differ, ms}; with --all: {cluster, checked, findings[]
  {code: path.route|service.answers|dns.resolve|dns.reach, subject, model, kernel, agree}, differ, ms}
exit status: 0 every check holds (warnings allowed), 3 a check failed, 1 usage error, 2 invalid input`;

/** The pod lookup for TO: undefined when nothing matches (TO is then a name); ambiguity stays an error. */
function podOrUndefined(state: ClusterState, ns: string | undefined) {
  return (ref: string): PodState | undefined => {
    try {
      return findPod(state, ref, ns);
    } catch (e) {
      if (e instanceof UsageError && /not found/.test(e.message)) return undefined;
      throw e;
    }
  };
}

/** The running cluster's state and IR as `podnet up` recorded them, with every live change since. */
async function runningModel(name: string) {
  const cluster = runningCluster(name, "podnet diagnose --name asks the kernel");
  let r: Awaited<ReturnType<typeof recompute>>;
  try {
    r = await recompute(cluster);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (!r.state) throw new UsageError(`cluster "${cluster}" was built from a test fixture: it has no Kubernetes state`);
  return { cluster, state: r.state, ir: r.ir };
}

export function register(program: Command): void {
  const cmd = program
    .command("diagnose")
    .description(
      "why FROM cannot reach TO: DNS, Service, path, NetworkPolicy and listener checks, the first failure and its fix. FROM = pod | external[:IP]; TO = pod | svc/[ns/]NAME | name[:PORT] | URL | IP[:PORT]",
    )
    .argument("[from]", "source")
    .argument("[to]", "destination")
    .option("--all", "check the whole cluster: node pairs, every Service's endpoints and name, every pod's DNS")
    .option("-p, --port <port>", "destination port (default: the URL's, the Service's first, the pod's first)")
    .option("--protocol <proto>", "tcp|udp|sctp")
    .option("-n, --namespace <ns>", "namespace of FROM and TO given by name")
    .option("-o, --output <format>", "text|json", "text")
    .option(
      "--name <cluster>",
      "a running cluster (podnet up): diagnose its recorded state, then ask its kernel the same (root)",
    )
    .addHelpText("after", JSON_HELP);
  addClusterOptions(cmd);
  cmd.action(async (from: string | undefined, to: string | undefined, o: DiagnoseFlags) => {
    if (o.output !== "text" && o.output !== "json") throw new UsageError(`-o must be text or json: "${o.output}"`);
    if (o.name !== undefined && (o.filename?.length || o.config))
      throw new UsageError("--name diagnoses the running cluster as it was built: give no -f/--config with it");
    if (o.all) {
      if (from !== undefined) throw new UsageError("--all takes no FROM and TO");
      const running = o.name !== undefined ? await runningModel(o.name) : undefined;
      const session = modelSession(running?.state ?? (await loadFromFlags(o)).state);
      const all = diagnoseAll(session);
      const kernel = running ? await diagnoseAllKernel(running.cluster, session, kernelIO(running.cluster)) : undefined;
      if (o.output === "json") process.stdout.write(JSON.stringify(kernel ? { ...all, kernel } : all, null, 2) + "\n");
      else
        process.stdout.write(renderClusterDiagnosis(all) + (kernel ? `\n${renderClusterKernelDiagnosis(kernel)}` : ""));
      if (all.findings.length || kernel?.findings.length) process.exitCode = EXIT_FAILED_CHECK;
      return;
    }
    if (from === undefined || to === undefined) throw new UsageError("diagnose needs FROM and TO (or --all)");
    if (o.protocol && !PROTOS.includes(o.protocol))
      throw new UsageError(`--protocol must be one of ${PROTOS.join("|")}: "${o.protocol}"`);
    let port: number | undefined;
    if (o.port !== undefined) {
      port = Number(o.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535)
        throw new UsageError(`-p/--port must be an integer 1-65535: "${o.port}"`);
    }
    const running = o.name !== undefined ? await runningModel(o.name) : undefined;
    const state = running?.state ?? (await loadFromFlags(o)).state;
    const external = from === "external" || from.startsWith("external:");
    const src = external ? undefined : findPod(state, from, o.namespace);
    let d: ReturnType<typeof diagnose>;
    const seen: DiagnoseSeen = {};
    try {
      d = diagnose(
        modelSession(state),
        {
          from: src ? `${src.namespace}/${src.name}` : from,
          to,
          port,
          protocol: o.protocol as Protocol | undefined,
          namespace: o.namespace,
          findPod: podOrUndefined(state, o.namespace),
        },
        seen,
      );
    } catch (e) {
      if (e instanceof DiagnoseInputError || e instanceof TraceInputError) throw new UsageError(e.message);
      throw e;
    }
    const kernel = running
      ? await diagnoseKernel(running.cluster, running.ir, d, seen, kernelIO(running.cluster))
      : undefined;
    if (o.output === "json") process.stdout.write(JSON.stringify(kernel ? { ...d, kernel } : d, null, 2) + "\n");
    else process.stdout.write(renderDiagnosis(d) + (kernel ? `\n${renderKernelDiagnosis(kernel)}` : ""));
    const failed = d.first_failure && d.checks.some((c) => !c.ok && c.severity === "error");
    if (failed || kernel?.differ) process.exitCode = EXIT_FAILED_CHECK;
  });
}
