// podnet's DNS server inside a CoreDNS pod's network namespace (started by its watchdog,
// py/dns_watchdog.py, as `node dns-main.js <state dir> <namespace/pod>`): it recomputes
// the cluster from the inputs `podnet up` recorded plus the change log, and answers
// from its zone on :53, UDP and TCP, reached at the kube-dns ClusterIP through
// kube-proxy's DNAT. SIGHUP (sent by `podnet apply|delete|scale --name` after the
// rules are loaded, and `podnet fault add|clear --name`): recompute and swap the zone live
// (with the faults: dns-upstream-down silences the names outside the zones);
// `dns-<pod>.loaded` then says how many changes the zone includes (the sender waits for it).
import { existsSync, readFileSync } from "node:fs";
import { replaceFile } from "./safe-fs.js";
import { join } from "node:path";
import { createZone } from "../dns/zone.js";
import { startDnsServer, upstreamDownIn } from "../dns/server.js";
import { recordedState } from "./live-state.js";
import type { ChangeEntry, ClusterRecord } from "./state.js";
import { dnsBase } from "./supervisor.js";

const [dir, podKey] = process.argv.slice(2);
const base = dnsBase(dir, podKey);

async function load() {
  const rec = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as ClusterRecord;
  let changes: ChangeEntry[] = [];
  try {
    changes = JSON.parse(readFileSync(join(dir, "changes.json"), "utf8")) as ChangeEntry[];
  } catch {
    /* no change yet */
  }
  return { state: await recordedState(rec, changes), changes: changes.length };
}

function writeAtomic(path: string, data: unknown) {
  replaceFile(path, JSON.stringify(data));
}

const first = await load();
const server = await startDnsServer({
  zone: createZone(first.state),
  // Fault dns-upstream-down (faults.json joins the state, live-state.ts): outside names get
  // no answer from the upstream. fault add|clear send SIGHUP, and setState follows it.
  upstreamDown: upstreamDownIn(first.state),
  listen: "0.0.0.0:53",
  onError: (e) => process.stderr.write(`dns ${podKey}: ${String(e)}\n`),
});
const loadedPath = `${base}.loaded`;
writeAtomic(loadedPath, { changes: first.changes, serial: server.zone.serial });

// Reloads one at a time; a SIGHUP during a reload makes one more afterwards.
let reloading = false;
let again = false;
async function reload() {
  if (reloading) {
    again = true;
    return;
  }
  reloading = true;
  try {
    do {
      again = false;
      try {
        const { state, changes } = await load();
        // A bad state never replaces a good zone: load() throws before setState.
        const z = server.setState(state);
        writeAtomic(loadedPath, { changes, serial: z.serial });
        process.stdout.write(`podnet dns ${podKey}: zone reloaded (${changes} changes, serial ${z.serial})\n`);
      } catch (e) {
        process.stderr.write(`dns ${podKey}: reload failed, keeping the previous zone: ${(e as Error).message}\n`);
      }
    } while (again);
  } finally {
    reloading = false;
  }
}
process.on("SIGHUP", () => void reload());
const stop = () => server.close().finally(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
// Safety net after a crash of `podnet up`/`down`: with the cluster's state gone, stop.
setInterval(() => {
  if (!existsSync(dir)) stop();
}, 1000);
// Last: the watchdog passes SIGHUP on once this names our pid (the handler is in place).
writeAtomic(`${base}.ready`, { pid: process.pid, pod: podKey, address: server.address });
process.stdout.write(`podnet dns ${podKey} pid ${process.pid} on ${server.address.host}:${server.address.port}\n`);
