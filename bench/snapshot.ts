// Snapshot benchmark (issue 15 §6): the threshold cluster (5,000 nodes, 150,000 pods, 10,000
// Services) written the way
//   kubectl get nodes,namespaces,pods,services,endpointslices,networkpolicies,ingresses,
//     deployments,replicasets,statefulsets,daemonsets,jobs,configmaps -A -o yaml
// writes it, then loaded through podnet's loader (loadCluster, the path every `-f` takes).
// Target: loading ≤ 10 s wall, ≤ 4 GB peak RSS; `reach` over it as fast as over manifests
// (the dump holds the policy bench's 10,000 NetworkPolicies, bench/policy.ts, so that the
// answer has a readable size; reach over the manifests lists podnet's additions too, which
// the dump gives as its own objects).
//
//   npm run bench -- snapshot                          (full scale; the dump is loaded
//                        PODNET_BENCH_RUNS times, 3 by default, and the medians reported)
//   node --max-old-space-size=8192 dist/bench/snapshot.js [nodes] [pods] [services] [--json]
//   node --max-old-space-size=16384 dist/bench/snapshot.js load FILE   (load an existing dump)
//   node dist/bench/snapshot.js fingerprint FILE   (hashes of the objects read and the state
//     built: a change to the loader must print the same as main's build, e.g. dist-base/)
//
// The dump is made from buildState's result, so names, IPs, node placement and endpoints are
// those of a cluster podnet computes, and it is shaped like kubectl's output (kubectl
// pkg/cmd/get/get.go; sigs.k8s.io/yaml over go-yaml v2):
// - one `apiVersion: v1, kind: List, metadata: {resourceVersion: ""}` holding every item,
//   kinds in the order requested, each kind in the API server's order (namespace, name);
// - keys sorted, sequences not indented under their key, strings that would read as another
//   type double-quoted, multi-line strings as literal blocks;
// - every object with uid, resourceVersion, creationTimestamp; status blocks (pods Running
//   with podIP(s), hostIP(s), conditions, containerStatuses; nodes with addresses, capacity,
//   conditions, nodeInfo; Deployments/ReplicaSets/DaemonSets with replica counts);
//   ownerReferences with uids (pod → ReplicaSet → Deployment, pod → DaemonSet, EndpointSlice
//   → Service); `kubectl.kubernetes.io/last-applied-configuration` on what a user applied;
//   managedFields (kubectl ≥ 1.21 prints them only with --show-managed-fields: set
//   PODNET_BENCH_MANAGED_FIELDS=0 for the default output).
//
// The load runs in a child process so that the generator's memory does not count in its peak
// RSS. The file goes to the OS temp directory and is removed afterwards unless
// PODNET_BENCH_KEEP=1.
//
// Figures (2 cores, 23 GB, shared with other builds; examples/snapshots/README.md says more).
// Session 30: the pods' conditions stay in the file too, the model's readiness taken from a
// digest of their text made as the reader passes it (manifest/pod-status.ts readyDigest:
// only the canonical forms; anything else reads the list); every mapping's object made once
// its keys are read, by a constructor sized for them (fast-yaml.ts sized: no property
// arrays, 124,000 of them in a tenth's read heap before); a passed-over value's lines looked
// at in place (Reader.pass); a served slice's endpoint is the state's own object. Read heap
// of a tenth 53.2 MB -> 43.8 MB. Where a load goes now (--trace-gc-nvp, full scale): 274
// scavenges, 2.0 s of pauses (3.1 s before), 583 MB promoted (682), 503 MB live after a full
// collection. This bench at the end: load 9.97 s, median of 3 (9.61-10.26), CPU 13.07 s,
// peak RSS 781 MB; reach 1.93 s over the dump, 1.78 s over the manifests (other runs of it:
// 1.81-2.23 s against 4.07-4.16 s); get 6.30 s. `load FILE` five times in a row: 10.66,
// 10.00, 9.38, 9.55, 9.50 s (CPU 12.2-13.4 s, RSS 772-780 MB). Midway, alternated with the
// session's first build, four runs each (other tenants came and went: either build 10-14 s):
// 10.03/10.87/12.97/12.01 s against 10.90/10.62/14.12/13.37 s, peak RSS 797-800 MB against
// 887-904 MB. So the target is met on a quiet machine, within its noise of it: a busy hour
// gave one run of this bench 13.84 s (9.94-13.92). `fingerprint` prints the same spec for
// both builds; the state differs only in key order (a content hash with sorted keys
// matches). Tried and not kept: a regular expression to find where a passed-over value ends
// (+0.85 s); --max-semi-space-size=32 (-0.4 s, but podnet cannot set it once running);
// --no-concurrent-marking, --no-memory-reducer, --no-parallel-scavenge (the same or slower).
// Session 29: a load's system time is page faults (~9.5 µs each on this machine, 265,000 of
// them: ~2.5 s of the load), one per 4 KB of heap it fills, besides the collector's copies.
// A served pod's container statuses, podIPs and hostIPs now stay in the file until read
// (manifest/deferred.ts: accessors in place, a batch of the file read back on first look).
// Alternated with the session's first build, five runs each of loadSpecFromArgs+buildState
// (other tenants on the machine: wall 11-18 s for either): wall median 12.46 s against
// 14.54 s (fastest 11.03 against 12.32), CPU median 16.52 s against 18.51 s, page faults
// 231,000 against 264,000, peak RSS ~860 MB against ~980 MB, the same state (a content hash
// of every state field). This bench's `load`, three runs each: 11.31-11.81 s against
// 12.92-15.48 s (CPU 14.7-15.5 s against 17.1-20.4 s); reach 1.9-2.1 s against 2.1-2.9 s.
// `get all,endpointslices -A` after the load reads the container statuses back: 6.2-6.7 s
// against 4.0-4.4 s (valgrind --tool=callgrind, load and get over a tenth: 17.74 G
// instructions against 17.00 G; the load alone 14.2 G against 14.5 G). Tried and not kept: the pods' conditions deferred as well,
// the model's Ready taken from a digest made as the reader passed (parsing them for the
// digest cost what keeping them did); the deferred texts copied into an off-heap store
// instead of read back from the file (its pages faulted in: ~0.6 s for 180 MB); identical
// blocks (labels, owner references, ports) shared between pods by a hash of their text
// (heap -14 %, wall the same: the hashing); V8's --single-generation (read-only in
// release builds: no effect).
// Session 28: at the start this bench 14.69 s (one run; CPU 19.17 s, peak RSS 1,123 MB). Three
// changes, each checked by a fingerprint of the objects read and the state built (or, where
// the read objects change on purpose, by src/views/slim.test.ts: the model, its network,
// reach and the views the same whole and in part): the split scan passes over the items'
// lines 16 bytes at a time in WebAssembly (manifest/line-pass.ts; the scan alone 1.47 s ->
// 0.68 s; valgrind --tool=callgrind over a tenth: 16.13 G instructions -> 14.93 G with the
// next change); served pods are read without tolerations and node selector (heap
// after a tenth's load 1.49 M nodes -> 1.37 M); and buildState and validation make fewer
// objects and passes (joined keys, per-controller member lists, address maps, per-pod
// memo keys: build 3.19 s -> 2.54 s, validation -0.25 s). Alternated with the session's
// first build, three runs each (other load on the machine): 14.6/11.4/14.6 s against
// 18.4/13.3/16.0 s. This bench at the end: load 11.90 s, median of 3 (11.47-15.87), CPU
// 15.69 s, peak RSS 966 MB; reach 2.16 s over the dump, 2.89 s over the manifests; get all
// 4.41 s. Measured and left out: a served pod's container statuses, podIPs and startTime
// also kept out of the heap with only their file offsets noted and read back by views
// (a manifest/aside.ts, tried and not kept): -7 % instructions more for the load, but
// `get all -A` over a tenth 0.56 s -> 1.0-1.2 s (every pod's rows and the snapshot's clock
// read them back), so views paid what the load saved. Still ~2 s over the target: what is
// left is the reader's object making (~3 s) and the collector (~3.4 s) for what is kept.
// Session 24: this bench at the start 14.83 s (CPU 19.50 s, peak RSS 1,112 MB; reach 2.13 s
// over the dump, 4.15 s over the manifests). Where the load goes, by leaving parts out in
// in-process runs (read = loadSpecFromArgs, build = buildState; two runs each): as it is, read
// 9.7-10.9 s and build 3.0-3.8 s (minor GC 3.6-3.8 s in 328 scavenges); the served Pods not
// read at all, read 3.8-4.9 s (nodes, Services, 150,000 endpoints in slices, policies …; the
// build then makes 150,000 pods itself, 5.7-6.1 s); the Pods read and dropped, read 7.1-7.3 s.
// So reading a served Pod costs ~3 s and keeping it (promotion, validation, the lists) ~3 s
// more. A model that held served Pods in columns would start from ~4 s of the rest plus the
// ~3 s build: ≤ 10 s is within reach only if the slices' endpoints go the same way. Tried
// and left out: --page-promotion-threshold=0/20 and --initial-old-space-size=3000 (the same
// scavenge time, wall within the noise). At the session's end (zone hints and the rest
// merged), this bench: load 16.46 s, median of 3 (13.69-16.77; other work ran beside it),
// CPU 18.73 s, peak RSS 1,120 MB; reach 2.76 s over the dump, 3.46 s over the manifests.
// Session 23: this bench at the start 15.26 s (CPU 20.5 s, peak RSS 1,184 MB; reach 2.15 s
// over the dump, 2.80 s over the manifests). A heap census by shape (a tenth) found the given
// EndpointSlices' endpoints copied whole into the state (each its own addresses, conditions
// and targetRef: 106,000 objects of the tenth's 1.6 M) and an owner object and an empty
// annotations object per observed pod: now shared (control/endpoints.ts givenEndpoint,
// observed.ts sharedOwner). In-process runs alternated with the session's first build, three
// each: buildState 3.18-3.64 s against 3.63-4.13 s, the load 13.43-14.56 s against
// 13.78-15.11 s, heap 1.07 GB against 1.14 GB, the same state (fingerprint). Measured and
// left out: every field a served Pod's views alone read left for later (conditions,
// containerStatuses, resources, tolerations, podIPs/hostIPs, the scheduling fields):
// 11.58-11.67 s against 13.52-14.53 s (-15 %), but `get pods` reads containerStatuses and
// conditions for every row, and the scheduler counts bound pods' requests, so each would read
// every pod again (inFull). At the session's end this bench: load 16.82 s, median of 3
// (14.40-17.46), CPU 21.99 s, peak RSS 1,116 MB (1,184 before); reach 2.60 s over the dump,
// 4.60 s over the manifests. Still 40-70 % over the target on this machine.
// Session 22 (same build): load 15.2 s in this bench; in-process runs alternated with a
// variant, three each, on a quiet machine: 13.6-14.2 s (17-20 s while other work ran).
// A heap census of a tenth (v8.writeHeapSnapshot): the read objects 1.20 M heap nodes, 62 MB
// (per pod ~33 objects, 11 arrays, 10 strings, 10 property stores), the state 0.42 M more,
// 21 MB: three quarters of what the collector copies is the given objects. Measured and
// left out:
// - more of a served Pod left for later (tolerations, nodeSelector, priority and
//   preemption, restartPolicy, service account, resources, conditions' lastTransitionTime,
//   containerStatuses' image/lastState/started, qosClass, startTime, generateName,
//   resourceVersion): 13.05-13.49 s against 13.96-14.21 s, RSS -5 %; -0.8 s is not worth
//   the scheduler and diagnose reading a served Pending pod's tolerations and nodeSelector
//   through inFull;
// - --max-semi-space-size=32: 13.20-13.41 s against 13.58-13.77 s (-2.5 %, in the noise);
// - values kept as slices of the window's text (no flat()): 20.5-23.4 s against
//   15.4-17.5 s, RSS 2.1 GB: V8 flattens them on each read, and the windows stay alive.
// A worker reading half the pods and handing over only columns (no structured clone) still
// leaves the main thread the objects the model holds, buildState (~3.4 s) and their
// collection: ~11-13 s by the figures above. The floor stays the representation.
// At the session's end (its merges: Cilium and Calico inference, Helm hooks), this bench:
// load 18.42 s, median of 3 (17.42-18.76), CPU 24.05 s, peak RSS 1,189 MB; reach 2.48 s
// over the dump, 2.46 s over the manifests. Alternated in one process with the session's
// first build on a tenth, five runs each: 1.78 s against 1.64 s (median), within this
// hour's noise but perhaps a few per cent.
// Session 21 (same build as session 20): load 17.9 s in this bench, 13.8-17.1 s in-process
// runs of loadCluster alone (the same code; the machine's noise is ±20 %). A --cpu-prof:
// the collector 4.7 s (334 scavenges, 4.0 s; 323,000 page faults, ~3 s of system time),
// the reader 5.5 s, buildState 4.1 s, validation 1 s. Measured to find the floor:
// - a ceiling: every served Pod cut by a script to the fields the model reads (containers'
//   name/image/ports, dnsPolicy, nodeName, hostNetwork, the Ready condition, the IPs: 349
//   MB instead of 1,015): 10.4-14.8 s against 14.3-16.8 s in alternate runs; the collector
//   still 3.4 s, the reader 3.2 s, buildState 2.5 s: even a reader of only these fields
//   does not reach 10 s reliably here;
// - the reader is at the cost of making the objects: v8.deserialize of the read values of a
//   tenth (41 MB) takes 1.0-1.2 s, fastRead of the same 1.1-1.4 s, so handing a worker
//   thread's reading over by structured clone (or by JSON.parse, which Node 20's V8 does not
//   pretenure: 324 MB of pod JSON took 8.6 s, 156 scavenges) gains nothing;
// - V8 flags: --max-semi-space-size 4/8/32/256/1024 gave 17.0/16.1/13.8/21.1/26.1 s (large
//   spaces fault in more pages), --single-generation is read-only in release builds.
// What is left is the number of heap objects a served pod and slice become: ≤ 10 s needs the
// model to hold them columnar (typed arrays, text offsets) and make objects only for views.
// Session 20 (a slower machine: the same build loaded in 16-21 s, the session before's
// 13-14 s): load 14.2 s, CPU 18.7 s, peak RSS 1,186 MB, reach 2.1 s, get 4.8 s. Measured and
// left out: a ceiling with served pods read for the model's fields alone (conditions,
// containerStatuses, tolerations, nodeSelector, podIPs/hostIPs, resources and the pod's
// other scheduling fields left for later): 16.3-17.2 s against 20.6-21.0 s in alternate
// runs, -20 %; the rest is the scan of the text (~1.5 s), the model (~3.5 s), validation
// (~1 s) and the collector (2.5-4.3 s: 334 scavenges copying ~1.8 GB of survivors, each
// object twice). ≤ 10 s on this hardware needs another representation of a served pod, not
// fewer fields.
// Session 19: a row for the cost of diagnostics. A dump with one rule broken on every pod
// (a label value the API would refuse) warns on each at the field's line; the line came from
// the YAML library's composer over the item (~2.3 ms a pod) and a map of every path kept per
// item: `podnet reach` over such a full-scale dump took 60 s and 3.6 GB (37 s on a tenth),
// `up` (strict) ~10 min. Now the fast reader finds the one path asked (fast-yaml.ts
// fastLines): 26 s and 1.3 GB, the same output; the row below over a tenth 1.09 s for 15,000
// pods (51.9 s before). Measured and left out for the load itself: identical subtrees shared
// (labels, ownerReferences, tolerations … one object per distinct text: heap -15 %, wall the
// same: the extra scan to find a block's text costs what the collector saves); V8 flags
// (--max-semi-space-size=64/128: -0.3 s; --v8-pool-size, --single-threaded-gc, --minor-mc:
// slower or the same); a ceiling: served pods read without conditions, containerStatuses,
// tolerations and nodeSelector (views would read them again) load in ~11.7 s against ~13.5 s.
// Session 18 (load ~1-2), this bench: load 13.78 s, CPU 18.5 s, peak RSS 1,190 MB; reach
// over the dump 1.88 s, over the manifests 2.63 s; `get all,endpointslices -A` over the dump
// 3.80 s for 191,969 lines (`get deploy -A` alone had been ~15 s: a scan of every pod per
// row). Per-pod digests by crypto.hash. `load FILE` alternated with the session's first
// build, three runs each (load 1-3 from other work): 18.4/16.0/13.4 s against
// 17.3/15.7/14.1 s, CPU 17.7-23.7 s against 18.7-22.2 s: the same, within the noise. Tried and left out: allocation-site pretenuring of
// the reader's mappings (an object literal with a property, `{__proto__: …}` or `{_: 0}` and
// a delete, so that V8 tracks the site): the scavenges' time fell ~1.1 s at full scale, but
// the children (arrays, strings, property arrays) stay young, every store into the old
// object then takes the write barrier's slow path, and the literal itself went through the
// runtime: wall unchanged or worse. A --cpu-prof of the load now: the collector ~4.5 s, the
// reader ~5 s, validation ~0.9 s, buildState ~2.7 s of JavaScript.
// Session 17 (load ~2-3), `load FILE` alternated with the build before, three runs each:
// wall 15.7/16.4/15.8 s (before 24.4/20.2/22.2), CPU 20.3-20.8 s (25.0-30.4), peak RSS
// ~1,225 MB (~1,413); the session's last build through this bench: load 14.76 s, CPU 19.5 s,
// peak RSS 1,194 MB, reach over the dump 2.34 s, over the manifests 3.69 s. The reader looks at characters through typed arrays (~2x faster per
// read than charCodeAt), its tables keep their texts in a flat byte pool (reading a cached
// string's length was a cache miss per value), hashes come from the scans that find a
// value's end; buildState shares resolv.conf by shape, takes a dumped pod's uid as given,
// and keeps per-want data in arrays. Now (--cpu-prof): the collector ~4 s, the reader ~6.5 s,
// buildState ~4.5 s. Tried and left out: passing blocks by a regular expression (slower than
// the line loop), windows above the young generation's object limit (much slower), objects
// made from a literal per key list (no faster, -5 % RSS), a hash per slot (within noise).
// Session 16, `load FILE` alternated with the build before, two runs each: wall 18.1/17.9 s
// (before 18.7/19.3), CPU 23.1/22.9 s (23.8/24.4), peak RSS ~1,410 MB: items read in their
// window's string instead of a copy each (1 GB less garbage). Tried and left out, measured
// end to end: a worker thread reading half the batches (the main one reading the rest and
// JSON.parse-ing the worker's) 22-25 s wall, CPU +11 s: on 2 cores the main thread's own
// reading ran ~30 % slower beside it and the collectors' helper threads. Where the time goes
// now (--trace-gc-nvp): 495 scavenges, 5.3 s of main-thread pauses, each copying ~1.9 MB of
// survivors out of ~14 MB allocated; --max-semi-space-size=64 makes it 141 and 4.5 s, wall
// -1 s (a V8 flag podnet cannot set for itself once running).
// Session 15 (load ~1-2), `load FILE` alternated with the build before, two runs each: wall
// 18.2/19.1 s (before 21.2/21.3), CPU 23.3/24.2 s (28.0/26.7), peak RSS 1,412/1,417 MB
// (1,547/1,627): managedFields passed over instead of cut from the text, a served Pod's
// view-only fields left to be read when a view asks (documents.ts inFull), no string keys
// per pod in PodIndex and liveFamilies. The main thread's reading is ~9 s of it; handing
// the same objects over from a worker as JSON costs it ~6 s (JSON.parse of 475 MB), so on
// 2 cores a worker reader gains ~nothing: fewer objects per pod come first.
// Session 14 (load ~1.8), `load FILE` alternated with the build before, two runs each: wall
// 21.6/21.4 s (before 22.2/23.6), CPU 28.3/27.8 s (29.0/30.8), peak RSS 1,575/1,522 MB
// (1,697/1,670): the reader's arrays are exact-size now (grown by push, a one-element list
// kept room for 17: 34 % of a spec's heap); the spec after a full GC 742 MB (1,036 before).
// Session 13, `npm run bench -- snapshot` with the 10,000 policies in the dump (load ~1.5):
// wall 22.3 s, CPU 29.3 s, peak RSS 1,659 MB; reach over the dump 1.90 s, over the manifests
// 3.41 s (12,452 lines each). In-process runs of the load alone: wall 23-26 s, of which reading the objects 15.5-17.5 s and
// buildState 6.6-7.5 s; CPU 27-33 s. Where the floor is: ~45 % of the CPU is the garbage
// collector copying what survives (each dumped pod is ~110 heap objects, then its state)
// from the young generation to the old, and Node 20's V8 has no way to allocate them old:
// allocation-site pretenuring, JSON.parse and v8.deserialize of batches over 100 KB all
// allocate young (measured: JSON.parse of the same objects, at full scale, 2.3 s + 4.3 s of
// GC; --single-generation is not built in; semi-space sizes move it ±10 %). So reading every
// dumped field costs ≥ ~7 s before buildState starts: ≤ 10 s needs the given objects slim
// (only what the network reads parsed, the rest kept as text for `get -o yaml` and
// `describe`) and the reading spread over both cores. Tried this session: skipping
// volumes, tolerations and volumeMounts -9 % CPU; sharing identical subtrees between pods
// and exact-size objects (a constructor per key set) no gain; a flat item text -15 % of the
// reader on a tenth, with the scheduler's deferred accounting ~4 % of the load at full scale
// (bench/ab-style A/B of two builds in one process, alternating loads).
// Session 11, quiet machine (load ~2): wall 29.2 / 36.2 s, CPU 37.4 / 45.5 s, peak 1.70 / 1.76 GB.
// Session 11 (load average 13-36 on 2 cores: wall times say nothing): the threshold YAML with
// managedFields, `load FILE` alternated with main's build, three runs each: CPU 40.9-52.0 s,
// median 44.0 (main 50.9-56.5, median 51.5); peak RSS 1,736-1,790 MB (main 1,803-2,057).
// What went: the depth walk over every item (the fast reader bails past 64 levels itself),
// spreads, arrays and Sets made per observed pod, a second sha256 per pod (its container ID),
// the taken-names set when no name is generated, a regex per managedFields cut, a second scan
// per plain scalar. Still over the target: ~44 s of CPU; a full-scale profile before these:
// the collector ~28 % (scavenges), the item reader ~28 %, buildState ~24 %, depth walk ~4 %.
// Session 10 (load average 16-37 on 2 cores, so wall times say little): the threshold
// cluster as YAML with managedFields (1,002 MB), `load FILE` alternated with main's build,
// two runs each: peak RSS 1,885-1,894 MB (main 2,070-2,170), 46.5-50.3 s of CPU (main
// 48.5-51.2), wall 163-167 s (main 155-194). A tenth: the reader's parse alone, alternated
// in one process, 0.90x main's CPU. Earlier: 2.15 GB / 44-45 s of CPU (before reading in
// pieces: 4.0-4.1 GB, 62 s); JSON with managedFields (2,264 MB): 1.68-1.69 GB, 33-37 s of
// CPU. Over the 10 s target: ~47 s of CPU. A profile of a tenth (--cpu-prof, --trace-gc):
// the collector's scavenges ~28 % (what is read stays: each object is copied on its way to
// the old generation), the item reader ~30 %, buildState ~30 %, validation ~4 %, the line
// reader ~3 %. V8 heap flags do not help: --max-semi-space-size=64 takes 10 % more CPU and
// 80 MB more RSS on a tenth (128: more still), --single-threaded-gc is within noise, and
// allocation-site pretenuring on or off (the launcher turns it off) is within noise.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildState } from "../src/control/build.js";
import { uidFor } from "../src/control/hash.js";
import { loadCluster } from "../src/load/cluster.js";
import { inFull } from "../src/manifest/documents.js";
import type { KubeObject } from "../src/manifest/types.js";
import { thresholdCluster, type ThresholdOptions } from "./control.js";
import { thresholdPolicies } from "./policy.js";
import { computeReach } from "../src/questions/reach.js";
import { runGet } from "../src/cli/cmd-get.js";
import {
  byNsName,
  configMaps,
  controllerItem,
  lastApplied,
  MANAGED,
  metaKey,
  nextRV,
  nodeItem,
  policyItem,
  podItem,
  serviceItem,
  sliceItem,
  ts,
} from "./snapshot-items.js";
import { itemJson, itemYaml, type Json } from "./snapshot-yaml.js";

export interface SnapshotWritten {
  file: string;
  bytes: number;
  items: number;
  pods: number;
  generateMs: number;
  /** computeReach over the state built from the manifests (the dump's source), for comparison. */
  reachMs: number;
  reachLines: number;
  writeMs: number;
  /** Given pods the load is checked against (a sample): name → podIP. */
  sample: Record<string, string>;
}

/** Writes the threshold cluster (or a smaller one) as a `kubectl get -o yaml` dump (or `-o json`). */
export async function writeSnapshot(
  file: string,
  opts: ThresholdOptions & { format?: "yaml" | "json"; policies?: number } = {},
): Promise<SnapshotWritten> {
  const json = opts.format === "json";
  const t0 = performance.now();
  const spec = thresholdCluster(opts);
  // The policy bench's 10,000 NetworkPolicies (default deny, DNS egress, per-app rules):
  // what a cluster that size has, and what makes `reach` over it an answer of readable size.
  if (opts.policies !== 0) spec.objects.push(...thresholdPolicies(spec, opts.policies ?? 10000));
  const state = buildState(spec);
  const generateMs = performance.now() - t0;
  const tr = performance.now();
  // The dump gives CoreDNS, kube-proxy and the CNI's agent as objects of its own: the
  // manifests' reach lists podnet's additions too, so that both answer the same question.
  const reachLines = computeReach(state, { includeSystem: true }).lines.length;
  const reachMs = performance.now() - tr;
  const t1 = performance.now();

  const objects = state.objects ?? [];
  const systemCount = objects.findIndex((o) => o.kind === "Namespace" && o.metadata.name.startsWith("ns-"));
  const isSystem = (o: KubeObject) => objects.indexOf(o) < systemCount;
  const given = new Map(objects.map((o) => [`${o.kind}/${o.metadata.namespace ?? "default"}/${o.metadata.name}`, o]));
  const svcUid = new Map(state.services.map((s) => [`${s.namespace}/${s.name}`, s.uid]));
  const running = new Map<string, number>();
  for (const p of state.pods)
    if (p.owner && p.phase === "Running")
      running.set(`${p.namespace}/${p.owner.name}`, (running.get(`${p.namespace}/${p.owner.name}`) ?? 0) + 1);

  const stream = createWriteStream(file);
  let buf: string[] = [];
  let size = 0;
  let bytes = 0;
  let items = 0;
  const flush = async () => {
    const chunk = buf.join("");
    buf = [];
    size = 0;
    bytes += Buffer.byteLength(chunk);
    if (!stream.write(chunk)) await new Promise<void>((r) => stream.once("drain", () => r()));
  };
  const put = async (o: { [k: string]: Json }) => {
    const s = json ? `${items ? ",\n" : ""}${itemJson(o)}` : itemYaml(o);
    buf.push(s);
    size += s.length;
    items++;
    if (size > 1 << 20) await flush();
  };

  buf.push(json ? '{\n    "apiVersion": "v1",\n    "items": [\n' : "apiVersion: v1\nitems:\n");
  for (const n of [...state.nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)))
    await put(nodeItem(n));
  for (const ns of [...state.namespaces].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const o = given.get(`Namespace/default/${ns.name}`);
    await put({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        ...(o && !isSystem(o) ? { annotations: lastApplied(o) } : {}),
        creationTimestamp: ts(o && !isSystem(o) ? 30 : 0),
        labels: { ...ns.labels, "kubernetes.io/metadata.name": ns.name },
        name: ns.name,
        resourceVersion: nextRV(),
        uid: uidFor(`Namespace/${ns.name}`),
      },
      spec: { finalizers: ["kubernetes"] },
      status: { phase: "Active" },
    });
  }
  const pods = [...state.pods].sort(byNsName);
  const sample: Record<string, string> = {};
  const every = Math.max(1, Math.floor(pods.length / 1000));
  for (let i = 0; i < pods.length; i++) {
    const p = pods[i];
    if (i % every === 0 && p.podIP && !p.spec.hostNetwork) sample[`${p.namespace}/${p.name}`] = p.podIP;
    await put(podItem(p));
  }
  for (const s of [...state.services].sort(byNsName)) {
    const o = given.get(`Service/${s.namespace}/${s.name}`);
    await put(serviceItem(s, o, !o || isSystem(o)));
  }
  for (const e of [...state.endpointSlices].sort(byNsName))
    await put(sliceItem(e, svcUid.get(`${e.namespace}/${e.serviceName}`)));
  for (const o of objects.filter((x) => x.kind === "NetworkPolicy").sort((a, b) => byNsName(metaKey(a), metaKey(b))))
    await put(policyItem(o));
  const controllers = (kind: string) =>
    objects.filter((o) => o.kind === kind).sort((a, b) => byNsName(metaKey(a), metaKey(b)));
  for (const d of controllers("Deployment")) {
    const n = d.spec?.replicas ?? 1;
    const rs = state.replicaSets?.find((r) => r.deployment === d.metadata.name && r.namespace === metaKey(d).namespace);
    await put(
      controllerItem(d, !isSystem(d), {
        availableReplicas: n,
        conditions: [
          {
            lastTransitionTime: ts(20),
            lastUpdateTime: ts(20),
            message: "Deployment has minimum availability.",
            reason: "MinimumReplicasAvailable",
            status: "True",
            type: "Available",
          },
          {
            lastTransitionTime: ts(1),
            lastUpdateTime: ts(20),
            message: `ReplicaSet "${rs?.name ?? d.metadata.name}" has successfully progressed.`,
            reason: "NewReplicaSetAvailable",
            status: "True",
            type: "Progressing",
          },
        ],
        observedGeneration: 1,
        readyReplicas: n,
        replicas: n,
        updatedReplicas: n,
      }),
    );
  }
  const deployments = new Map(
    objects.filter((o) => o.kind === "Deployment").map((d) => [`${metaKey(d).namespace}/${d.metadata.name}`, d]),
  );
  for (const rs of [...(state.replicaSets ?? [])].sort(byNsName)) {
    const d = rs.deployment ? deployments.get(`${rs.namespace}/${rs.deployment}`) : undefined;
    if (!d) continue;
    const labels = { ...(d.spec.template?.metadata?.labels ?? {}), "pod-template-hash": rs.podTemplateHash };
    const o: KubeObject = {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name: rs.name, namespace: rs.namespace, labels },
      spec: {
        replicas: rs.replicas,
        selector: { matchLabels: { ...(d.spec.selector?.matchLabels ?? {}), "pod-template-hash": rs.podTemplateHash } },
        template: { ...d.spec.template, metadata: { ...(d.spec.template?.metadata ?? {}), labels } },
      },
    };
    const n = running.get(`${rs.namespace}/${rs.name}`) ?? 0;
    await put(
      controllerItem(
        o,
        false,
        { availableReplicas: n, fullyLabeledReplicas: n, observedGeneration: 1, readyReplicas: n, replicas: n },
        {
          ownerReferences: [
            {
              apiVersion: "apps/v1",
              blockOwnerDeletion: true,
              controller: true,
              kind: "Deployment",
              name: rs.deployment as string,
              uid: uidFor(`Deployment/${rs.namespace}/${rs.deployment}`),
            },
          ],
        },
      ),
    );
  }
  for (const ds of controllers("DaemonSet")) {
    const n = running.get(`${metaKey(ds).namespace}/${ds.metadata.name}`) ?? 0;
    await put(
      controllerItem(ds, !isSystem(ds), {
        currentNumberScheduled: n,
        desiredNumberScheduled: n,
        numberAvailable: n,
        numberMisscheduled: 0,
        numberReady: n,
        observedGeneration: 1,
        updatedNumberScheduled: n,
      }),
    );
  }
  for (const cm of configMaps(state).sort((a, b) => byNsName(a.metadata as never, b.metadata as never))) await put(cm);
  buf.push(
    json
      ? '\n    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n'
      : 'kind: List\nmetadata:\n  resourceVersion: ""\n',
  );
  await flush();
  await new Promise<void>((resolve, reject) => stream.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return {
    file,
    bytes,
    items,
    pods: pods.length,
    generateMs,
    reachMs,
    reachLines,
    writeMs: performance.now() - t1,
    sample,
  };
}

// ---------------------------------------------------------------------------------------
// Loading it.

export interface SnapshotLoad {
  ok: boolean;
  wallMs: number;
  /** CPU time of the load (user + system, all threads): steadier than wall time on a shared machine. */
  cpuMs: number;
  peakRssMB: number;
  error?: string;
  warnings: number;
  firstWarnings: string[];
  nodes?: number;
  pods?: number;
  running?: number;
  services?: number;
  /** Of the sampled given pods: found under their own name, and with their own IP. */
  sampled?: { total: number; sameName: number; sameIP: number };
  /** computeReach over the loaded state (after the load's figures). */
  reachMs?: number;
  reachLines?: number;
  /** `get all,endpointslices -A` over the loaded state. */
  getMs?: number;
  getLines?: number;
  /** A field's line asked of every given Pod (what a warning on each costs), and how many. */
  linesMs?: number;
  linesAsked?: number;
}

/** Times loadCluster on FILE in this process; peak RSS is the process's high-water mark. */
export async function timeLoad(file: string, sample: Record<string, string> = {}): Promise<SnapshotLoad> {
  let warnings = 0;
  const firstWarnings: string[] = [];
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const cpuMs = () => {
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000;
  };
  try {
    const { spec, state } = await loadCluster({
      files: [file],
      warn: (m) => {
        if (warnings++ < 3) firstWarnings.push(m.length > 240 ? `${m.slice(0, 240)}…` : m);
      },
    });
    const wallMs = performance.now() - t0;
    const cpu = cpuMs();
    const peakRssMB = process.resourceUsage().maxRSS / 1024;
    const tr = performance.now();
    const reachLines = computeReach(state).lines.length;
    const reachMs = performance.now() - tr;
    // The listings a user starts with, over every namespace: linear in the objects (a scan
    // per row made `get deploy -A` alone ~15 s at this scale).
    const tg = performance.now();
    const got = runGet(state, ["all,endpointslices"], { allNamespaces: true });
    const getMs = performance.now() - tg;
    const getLines = got.stdout.split("\n").length - 1;
    // A dump where every pod breaks one rule (a label value the API would refuse) warns once
    // per pod, at the field's line: the item is read again to find it (documents.ts lineOf).
    const tl = performance.now();
    let linesAsked = 0;
    for (const o of spec.objects)
      if (o.kind === "Pod" && o.source) {
        o.source.lineOf?.("metadata.labels[pod-template-hash]");
        linesAsked++;
      }
    const linesMs = performance.now() - tl;
    const byName = new Map(state.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
    const names = Object.keys(sample);
    return {
      ok: true,
      wallMs,
      cpuMs: cpu,
      peakRssMB,
      warnings,
      firstWarnings,
      reachMs,
      reachLines,
      getMs,
      getLines,
      linesMs,
      linesAsked,
      nodes: state.nodes.length,
      pods: state.pods.length,
      running: state.pods.filter((p) => p.phase === "Running").length,
      services: state.services.length,
      sampled: {
        total: names.length,
        sameName: names.filter((n) => byName.has(n)).length,
        sameIP: names.filter((n) => byName.get(n)?.podIP === sample[n]).length,
      },
    };
  } catch (e) {
    const err = e as Error & { diagnostics?: { message: string }[]; code?: string };
    const d = err.diagnostics;
    const error = d
      ? `${d.length} error(s); first: ${d
          .slice(0, 3)
          .map((x) => x.message)
          .join(" | ")}`
      : `${err.code ? `${err.code}: ` : ""}${err.message}`;
    return {
      ok: false,
      wallMs: performance.now() - t0,
      cpuMs: cpuMs(),
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      error: error.length > 600 ? `${error.slice(0, 600)}…` : error,
      warnings,
      firstWarnings,
    };
  }
}

/**
 * A digest of a value's content. An object met again (the state shares one environment, one
 * resolv.conf … among many pods) costs a lookup, not its text once more: JSON of the whole
 * state repeats those per pod, ~17 KB a pod, and at the threshold runs for many minutes.
 * Content-based, so two builds that share differently still agree. Maps and Sets count with
 * their entries in order; getters and toJSON are not called.
 */
function contentDigest(): (v: unknown) => string {
  const memo = new Map<object, string>();
  const short = (text: string) =>
    text.length <= 64 ? text : `#${createHash("sha256").update(text).digest("base64").slice(0, 22)}`;
  const digest = (v: unknown): string => {
    if (v === null || typeof v !== "object") {
      if (typeof v === "number" && !Number.isFinite(v)) return JSON.stringify(String(v));
      return v === undefined ? "undefined" : typeof v === "function" ? "fn" : (JSON.stringify(v) ?? String(v));
    }
    const seen = memo.get(v);
    if (seen !== undefined) return seen;
    let text: string;
    if (Array.isArray(v)) text = `[${v.map(digest).join(",")}]`;
    else if (v instanceof Map) text = `Map[${[...v].map(([k, x]) => `${digest(k)}:${digest(x)}`).join(",")}]`;
    else if (v instanceof Set) text = `Set[${[...v].map(digest).join(",")}]`;
    else {
      const parts: string[] = [];
      for (const k of Object.keys(v)) {
        const x = (v as Record<string, unknown>)[k];
        if (x !== undefined) parts.push(`${JSON.stringify(k)}:${digest(x)}`);
      }
      text = `{${parts.join(",")}}`;
    }
    const d = short(text);
    memo.set(v, d);
    return d;
  };
  return digest;
}

/** Hashes of what loadCluster gives for FILE: the objects read (with the config, warnings and inferred settings) and the ClusterState. */
export async function fingerprint(file: string): Promise<{ spec: string; state: string }> {
  const { spec, state } = await loadCluster({ files: [file] });
  // The state is built from the objects as read (a dump's pods without what only views
  // show); they are hashed whole, so the hashes say the same as a build that read all.
  for (const o of spec.objects) inFull(o);
  const digest = contentDigest();
  const hash = (parts: Iterable<unknown>) => {
    const h = createHash("sha256");
    for (const x of parts) h.update(`${digest(x)}\n`);
    return h.digest("hex").slice(0, 16);
  };
  return {
    spec: hash([spec.config, spec.warnings, spec.inferred, ...spec.objects]),
    state: hash(Object.entries(state).flatMap(([k, v]) => [k, v])),
  };
}

// ---------------------------------------------------------------------------------------
// Command line.

const mb = (b: number) => `${(b / 1048576).toFixed(0)} MB`;
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? Number.NaN;

/**
 * `runs` loads of the dump, each in a child process (its own heap and peak RSS), one after
 * another; the text to print instead when one fails.
 */
function loadRuns(file: string, heap: string, runs: number): SnapshotLoad[] | string {
  const self = fileURLToPath(import.meta.url);
  const out: SnapshotLoad[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, [`--max-old-space-size=${heap}`, self, "load", file], {
      encoding: "utf8",
      maxBuffer: 1 << 24,
    });
    const line = r.stdout.trim().split("\n").pop() ?? "";
    let res: SnapshotLoad;
    try {
      res = JSON.parse(line) as SnapshotLoad;
    } catch {
      return `load process ended with ${r.status ?? r.signal}; stderr:\n${r.stderr.slice(-2000)}`;
    }
    if (!res.ok) return `load failed: ${res.error ?? "(no message)"}`;
    out.push(res);
  }
  return out;
}
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "load") {
    const file = argv[1];
    const sampleFile = `${file}.sample.json`;
    const sample = existsSync(sampleFile)
      ? (JSON.parse(readFileSync(sampleFile, "utf8")) as Record<string, string>)
      : {};
    process.stdout.write(`${JSON.stringify(await timeLoad(file, sample))}\n`);
    return 0;
  }
  if (argv[0] === "fingerprint") {
    if (!argv[1] || !existsSync(argv[1])) {
      console.error(
        `usage: snapshot.js fingerprint FILE (${JSON.stringify((argv[1] ?? "").slice(0, 80))}: no such file)`,
      );
      return 1;
    }
    process.stdout.write(`${JSON.stringify(await fingerprint(argv[1]))}\n`);
    return 0;
  }
  const format = argv.includes("--json") ? "json" : "yaml";
  const nums = argv.filter((a) => !a.startsWith("--"));
  const [nodes, pods, services] = [Number(nums[0] ?? 5000), Number(nums[1] ?? 150000), Number(nums[2] ?? 10000)];
  const file = join(tmpdir(), `podnet-snapshot-${nodes}-${pods}-${services}.${format}`);
  console.log(
    `podnet snapshot benchmark: ${nodes} nodes, ${pods} pods, ${services} Services as \`kubectl get -A -o ${format}\``,
  );
  const w = await writeSnapshot(file, { nodes, pods, services, format });
  writeFileSync(`${file}.sample.json`, JSON.stringify(w.sample));
  console.log(
    `wrote ${file}: ${mb(w.bytes)}, ${w.items} items (${w.pods} pods), managedFields ${MANAGED ? "on" : "off"}; ` +
      `buildState ${sec(w.generateMs)}, serialize+write ${sec(w.writeMs)}`,
  );
  const heap = process.env.PODNET_BENCH_LOAD_HEAP ?? "16384";
  const runs = Math.max(1, Math.floor(Number(process.env.PODNET_BENCH_RUNS ?? 3)) || 1);
  const loads = loadRuns(file, heap, runs);
  if (process.env.PODNET_BENCH_KEEP !== "1") {
    rmSync(file, { force: true });
    rmSync(`${file}.sample.json`, { force: true });
  }
  if (!Array.isArray(loads)) {
    console.log(loads);
    return 1;
  }
  // The figures are medians over the runs (the machine is shared: one run says little); the
  // rest (counts, the sample, warnings) is the median run's, the same in every run.
  const res = [...loads].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(loads.length / 2)]!;
  const med = (f: (r: SnapshotLoad) => number | undefined) => median(loads.map(f).filter((x) => x !== undefined));
  const spread = (f: (r: SnapshotLoad) => number) =>
    loads.length > 1
      ? ` (median of ${loads.length}: ${sec(Math.min(...loads.map(f)))}-${sec(Math.max(...loads.map(f)))})`
      : "";
  res.wallMs = med((r) => r.wallMs);
  res.cpuMs = med((r) => r.cpuMs);
  res.peakRssMB = Math.max(...loads.map((r) => r.peakRssMB));
  if (res.reachMs !== undefined) res.reachMs = med((r) => r.reachMs);
  if (res.getMs !== undefined) res.getMs = med((r) => r.getMs);
  if (res.linesMs !== undefined) res.linesMs = med((r) => r.linesMs);
  const rows: [string, string, string][] = [
    ["load (loadCluster -f dump)", `${sec(res.wallMs)}${spread((r) => r.wallMs)}`, "≤ 10 s"],
    ["CPU of the load (user+sys)", `${sec(res.cpuMs)}${spread((r) => r.cpuMs)}`, ""],
    ["peak RSS of the load process", `${res.peakRssMB.toFixed(0)} MB (the largest; heap cap ${heap} MB)`, "≤ 4096 MB"],
  ];
  if (res.ok) {
    rows.push(["state", `${res.nodes} nodes, ${res.pods} pods (${res.running} Running), ${res.services} Services`, ""]);
    const s = res.sampled;
    if (s)
      rows.push([
        "given pods kept (sample)",
        `${s.sameName}/${s.total} by name, ${s.sameIP}/${s.total} with their IP`,
        `${s.total}/${s.total}`,
      ]);
  }
  if (res.reachMs !== undefined)
    rows.push(
      [`reach over the dump (${res.reachLines} lines)`, sec(res.reachMs), "as over manifests"],
      [
        `reach over the manifests (${w.reachLines} lines)`,
        `${sec(w.reachMs)} (dump/manifests ${(res.reachMs / w.reachMs).toFixed(2)})`,
        "",
      ],
    );
  if (res.getMs !== undefined) rows.push([`get all,endpointslices -A (${res.getLines} lines)`, sec(res.getMs), ""]);
  if (res.linesMs !== undefined)
    rows.push([`a field's line for each of ${res.linesAsked} pods (a warning on each)`, sec(res.linesMs), ""]);
  rows.push(["warnings", String(res.warnings), ""]);
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  console.log(`\n${"measure".padEnd(w0)}  ${"podnet".padEnd(w1)}  target`);
  console.log(`${"-".repeat(w0)}  ${"-".repeat(w1)}  ------`);
  for (const x of rows) console.log(`${x[0].padEnd(w0)}  ${x[1].padEnd(w1)}  ${x[2]}`);
  if (res.error) console.log(`\nerror: ${res.error}`);
  for (const m of res.firstWarnings) console.log(`warning: ${m}`);
  if (existsSync(file)) console.log(`\nkept ${file} (${mb(statSync(file).size)})`);
  return res.ok ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
