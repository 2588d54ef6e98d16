// podnet's DNS server inside a CoreDNS pod's network namespace (started with
// `ip netns exec <pod ns> node dns-main.js <state dir> <namespace/pod>`): it recomputes
// the cluster from the inputs `podnet up` recorded and answers from its zone on :53,
// UDP and TCP, reached at the kube-dns ClusterIP through kube-proxy's DNAT.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadCluster } from "../index.js";
import { createZone } from "../dns/zone.js";
import { startDnsServer } from "../dns/server.js";
import type { ClusterRecord } from "./state.js";

const [dir, podKey] = process.argv.slice(2);
const rec = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as ClusterRecord;
const { state } = await loadCluster({ files: rec.inputs.files, config: rec.inputs.config, seed: rec.inputs.seed });
const server = await startDnsServer({ zone: createZone(state), listen: "0.0.0.0:53", onError: (e) => process.stderr.write(`dns ${podKey}: ${String(e)}\n`) });
const safe = podKey.replace(/\//g, "_");
const readyPath = join(dir, `dns-${safe}.ready`);
writeFileSync(readyPath + ".tmp", JSON.stringify({ pid: process.pid, pod: podKey, address: server.address }));
renameSync(readyPath + ".tmp", readyPath);
process.stdout.write(`podnet dns ${podKey} pid ${process.pid} on ${server.address.host}:${server.address.port}\n`);
const stop = () => server.close().finally(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
// Safety net after a crash of `podnet up`/`down`: with the cluster's state gone, stop.
setInterval(() => {
  if (!existsSync(dir)) stop();
}, 1000);
