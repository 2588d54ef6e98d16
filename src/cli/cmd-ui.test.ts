// The Live panel's real request: the command a person would type inside the source pod.
import { test } from "node:test";
import assert from "node:assert/strict";
import { commandFor } from "./cmd-ui.js";

const none = () => undefined;

test("a URL is fetched with curl as given (the pod's resolver does the DNS)", () => {
  const c = commandFor({ from: "default/order-app", to: "http://user-service/x" }, none);
  assert.equal(c[0], "curl");
  assert.equal(c[c.length - 1], "http://user-service/x");
  assert.ok(c.includes("-m"), "bounded in time");
});

test("svc/NS/NAME becomes the Service's DNS name NAME.NS; IP:PORT stays an address", () => {
  assert.equal(
    commandFor({ from: "a", to: "svc/production/user-service", port: 80 }, none).at(-1),
    "http://user-service.production:80/",
  );
  assert.equal(commandFor({ from: "a", to: "10.96.0.1:443" }, none).at(-1), "http://10.96.0.1:443/");
});

test("a pod destination uses the pod's IP; icmp pings; udp 53 asks with dig", () => {
  assert.equal(
    commandFor({ from: "a", to: "default/web-0", port: 80 }, (r) =>
      r === "default/web-0" ? "10.244.1.7" : undefined,
    ).at(-1),
    "http://10.244.1.7:80/",
  );
  assert.deepEqual(commandFor({ from: "a", to: "10.244.1.7", protocol: "icmp" }, none).slice(0, 1), ["ping"]);
  const d = commandFor({ from: "a", to: "10.96.0.10", port: 53, protocol: "udp" }, none);
  assert.equal(d[0], "dig");
  assert.ok(d.includes("@10.96.0.10"));
});

test("operands never read as options: --, --url, -g; hosts and ports are checked", () => {
  const p = commandFor({ from: "a", to: "10.244.1.7", protocol: "icmp" }, none);
  assert.deepEqual(p.slice(-2), ["--", "10.244.1.7"]);
  const c = commandFor({ from: "a", to: "http://web/{a,b}[1-9]" }, none);
  assert.ok(c.includes("-g"), "curl's URL globbing off");
  assert.equal(c.at(-2), "--url");
  for (const to of ["-V", "--help", "a b", "http://-x/", "http://u:p@web/", "10.0.0.1:0", "10.0.0.1:99999"])
    assert.throws(() => commandFor({ from: "a", to }, none), /not an IPv4|credentials|port|URL/, to);
  assert.throws(() => commandFor({ from: "a", to: "svc/-V", protocol: "icmp" }, none), /not an IPv4/);
});
