// The list of command modules. Each exports `register(program)`.
import type { Command } from "commander";
import { register as reach } from "./cmd-reach.js";
import { register as real } from "./cmd-real.js";
import { register as dns } from "./cmd-dns.js";
import { register as get } from "./cmd-get.js";
import { register as describe } from "./cmd-describe.js";
import { register as podInfo } from "./cmd-pod-info.js";
import { register as change } from "./cmd-change.js";
import { register as demo } from "./cmd-demo.js";
import { register as net } from "./cmd-net.js";
import { register as rules } from "./cmd-rules.js";
import { register as trace } from "./cmd-trace.js";
import { register as check } from "./cmd-check.js";
import { register as diagnose } from "./cmd-diagnose.js";
import { register as ui } from "./cmd-ui.js";
import { register as verify } from "./cmd-verify.js";
import { register as observe } from "./cmd-observe.js";
import { register as fault } from "./cmd-fault.js";
import { register as route } from "./cmd-route.js";
import { register as compare } from "./cmd-compare.js";
import { register as bpf } from "./cmd-bpf.js";
import { register as compareCni } from "./cmd-compare-cni.js";

export const commands: ((program: Command) => void)[] = [
  reach,
  real,
  dns,
  get,
  describe,
  podInfo,
  change,
  demo,
  net,
  rules,
  trace,
  check,
  diagnose,
  ui,
  verify,
  observe,
  fault,
  route,
  compare,
  bpf,
  compareCni,
];
