// An HTTP fuzz corpus of malformed requests (issue 19) and a client that sends one and
// reports what came back, for the pod server's tests (loopback and kernel) and
// `npm run bench:chaos`. Classes: bad paths, bad methods and request lines, huge heads,
// bad header fields, invalid chunked bodies, request-smuggling shapes, slowloris
// partials, binary garbage. Deterministic (seeded).

import net from "node:net";
import { mulberry32 } from "./random.js";

export interface FuzzCase {
  name: string;
  cls: "path" | "method" | "huge" | "header" | "chunked" | "smuggling" | "slowloris" | "garbage" | "reset";
  /** What is sent, in pieces (written one after another). */
  parts: Buffer[];
  /** Keep the connection open after sending, without ending it (slowloris): the server must close it. */
  hold?: boolean;
  /** Close with a reset right after sending. */
  reset?: boolean;
  /** The status a server that refuses malformed requests answers (when it answers HTTP at all). */
  expect?: number;
}

const b = (s: string) => Buffer.from(s, "latin1");
const req = (line: string, headers = "Host: x\r\n", body = "") => b(`${line}\r\n${headers}\r\n${body}`);

/** The corpus: a fixed list, then `garbage` seeded binary cases. */
export function httpFuzzCorpus(garbage = 40, seed = 19): FuzzCase[] {
  const c: FuzzCase[] = [];
  const add = (name: string, cls: FuzzCase["cls"], data: Buffer | Buffer[], more: Partial<FuzzCase> = {}) =>
    c.push({ name, cls, parts: Array.isArray(data) ? data : [data], ...more });
  // Bad paths (the first one crashed the pod server: issue 19).
  add("GET //[", "path", req("GET //[ HTTP/1.1"), { expect: 400 });
  add("GET //[ HTTP/1.0", "path", req("GET //[ HTTP/1.0", ""), { expect: 400 });
  add("GET http://[::1", "path", req("GET http://[::1 HTTP/1.1"), { expect: 400 });
  add("GET http://x:99999/", "path", req("GET http://x:99999/ HTTP/1.1"), { expect: 400 });
  add("GET //@:/", "path", req("GET //@:/ HTTP/1.1"));
  add("GET relative", "path", req("GET hostname HTTP/1.1"), { expect: 400 });
  add("GET %zz", "path", req("GET /%zz%%%ff HTTP/1.1"));
  add("GET /echo bad escapes", "path", req("GET /echo?msg=%E0%A4%A&%%% HTTP/1.1"));
  add("GET dot segments", "path", req("GET /../../../../etc/passwd HTTP/1.1"));
  add("GET backslashes", "path", req("GET /\\\\\\..\\..\\ HTTP/1.1"));
  add("GET high bytes", "path", req("GET /\xff\xfe\x80 HTTP/1.1"));
  add("GET long path", "path", req(`GET /${"a".repeat(12_000)} HTTP/1.1`));
  add("GET path over the head limit", "path", req(`GET /${"a".repeat(40_000)} HTTP/1.1`), { expect: 431 });
  add("OPTIONS *", "path", req("OPTIONS * HTTP/1.1"));
  add("GET *", "path", req("GET * HTTP/1.1"), { expect: 400 });
  // Bad methods and request lines.
  add("lower-case method", "method", req("get / HTTP/1.1"));
  add("long method", "method", req(`${"A".repeat(40)} / HTTP/1.1`));
  add("NUL in method", "method", req("GE\x00T / HTTP/1.1"));
  add("CONNECT", "method", req("CONNECT example.com:443 HTTP/1.1"), { expect: 405 });
  add("unknown method", "method", req("BREW /pot HTTP/1.1"));
  add("leading space", "method", req(" GET / HTTP/1.1"));
  add("double space", "method", req("GET  / HTTP/1.1"));
  add("HTTP/9.9", "method", req("GET / HTTP/9.9"), { expect: 505 });
  add("HTTP/2 preface", "method", b("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
  add("HTTP/0.9", "method", b("GET /\r\n\r\n"));
  add("trailing junk on the line", "method", req("GET / HTTP/1.1 junk"));
  add("bare LF lines", "method", b("GET /hostname HTTP/1.1\nHost: x\n\n"), { expect: 200 });
  add("bare CR", "method", b("GET / HTTP/1.1\rHost: x\r\r"));
  add("empty lines first", "method", b("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  // Huge heads and bad header fields.
  add("100 KB header value", "huge", req("GET / HTTP/1.1", `Host: x\r\nX-Big: ${"b".repeat(100_000)}\r\n`), {
    expect: 431,
  });
  add(
    "5,000 headers",
    "huge",
    req("GET / HTTP/1.1", `Host: x\r\n${Array.from({ length: 5000 }, (_, i) => `X-${i}: y\r\n`).join("")}`),
    { expect: 431 },
  );
  add("1 MB without a line end", "huge", b("GET /".padEnd(1 << 20, "x")), { expect: 431 });
  add("no Host in HTTP/1.1", "header", req("GET / HTTP/1.1", ""), { expect: 400 });
  add("two Hosts", "header", req("GET / HTTP/1.1", "Host: a\r\nHost: b\r\n"), { expect: 400 });
  add("space before colon", "header", req("GET / HTTP/1.1", "Host : x\r\n"), { expect: 400 });
  add("no colon", "header", req("GET / HTTP/1.1", "Host: x\r\nNoColonHere\r\n"), { expect: 400 });
  add("obs-fold", "header", req("GET / HTTP/1.1", "Host: x\r\nX-A: a\r\n  folded\r\n"), { expect: 400 });
  add("NUL in a value", "header", req("GET / HTTP/1.1", "Host: x\r\nX-A: a\x00b\r\n"), { expect: 400 });
  add("name with a space", "header", req("GET / HTTP/1.1", "Host: x\r\nBad Name: y\r\n"), { expect: 400 });
  add("empty name", "header", req("GET / HTTP/1.1", "Host: x\r\n: y\r\n"), { expect: 400 });
  // Invalid chunked bodies.
  const chunked = (body: string, te = "chunked") =>
    req("POST / HTTP/1.1", `Host: x\r\nTransfer-Encoding: ${te}\r\n`, body);
  add("chunk size not hex", "chunked", chunked("ZZZ\r\nabc\r\n0\r\n\r\n"));
  add("chunk size overflow", "chunked", chunked("FFFFFFFFFFFFFFFFFFFFFFFF\r\nabc\r\n"));
  add("negative chunk size", "chunked", chunked("-5\r\nabc\r\n0\r\n\r\n"));
  add("chunk longer than said", "chunked", chunked("2\r\nabcdef\r\n0\r\n\r\n"));
  add("no last chunk", "chunked", chunked("3\r\nabc\r\n"));
  add("chunk extensions flood", "chunked", chunked(`1;${"e=1;".repeat(5000)}\r\na\r\n0\r\n\r\n`));
  add("chunked then identity", "chunked", chunked("0\r\n\r\n", "chunked, identity"), { expect: 400 });
  add("xchunked", "chunked", chunked("0\r\n\r\n", "xchunked"), { expect: 400 });
  add("unknown coding", "chunked", chunked("0\r\n\r\n", "br, chunked"), { expect: 501 });
  // Request smuggling shapes (CL.TE, TE.CL, TE.TE, duplicate lengths, pipelining).
  add(
    "CL.TE",
    "smuggling",
    req("POST / HTTP/1.1", "Host: x\r\nContent-Length: 13\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\nSMUGGLED"),
    { expect: 400 },
  );
  add(
    "TE.CL",
    "smuggling",
    req(
      "POST / HTTP/1.1",
      "Host: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n",
      "8\r\nSMUGGLED\r\n0\r\n\r\n",
    ),
    { expect: 400 },
  );
  add(
    "TE with a space before the colon",
    "smuggling",
    req("POST / HTTP/1.1", "Host: x\r\nTransfer-Encoding : chunked\r\n"),
    {
      expect: 400,
    },
  );
  add(
    "TE tab-separated",
    "smuggling",
    req("POST / HTTP/1.1", "Host: x\r\nTransfer-Encoding:\tchunked\r\n", "0\r\n\r\n"),
  );
  add(
    "two TE fields",
    "smuggling",
    req("POST / HTTP/1.1", "Host: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n"),
    {
      expect: 400,
    },
  );
  add(
    "two different Content-Lengths",
    "smuggling",
    req("POST / HTTP/1.1", "Host: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n", "abcdef"),
    {
      expect: 400,
    },
  );
  add("Content-Length -1", "smuggling", req("POST / HTTP/1.1", "Host: x\r\nContent-Length: -1\r\n"), { expect: 400 });
  add("Content-Length 1e3", "smuggling", req("POST / HTTP/1.1", "Host: x\r\nContent-Length: 1e3\r\n"), { expect: 400 });
  add(
    "Content-Length huge",
    "smuggling",
    req("POST / HTTP/1.1", "Host: x\r\nContent-Length: 99999999999999999999\r\n"),
    {
      expect: 400,
    },
  );
  add("TE in HTTP/1.0", "smuggling", req("POST / HTTP/1.0", "Transfer-Encoding: chunked\r\n", "0\r\n\r\n"), {
    expect: 400,
  });
  add(
    "pipelined second request",
    "smuggling",
    b("GET /hostname HTTP/1.1\r\nHost: x\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n"),
    { expect: 200 },
  );
  add(
    "body then a request",
    "smuggling",
    req("POST / HTTP/1.1", "Host: x\r\nContent-Length: 40\r\n", "GET /x HTTP/1.1\r\nHost: x\r\n\r\n"),
    {
      expect: 200,
    },
  );
  // Slowloris: a head that never ends, and one sent a byte at a time.
  add("partial head held", "slowloris", b("GET / HTTP/1.1\r\nHost: x\r\nX-a: "), { hold: true });
  add("partial request line held", "slowloris", b("GET /hostn"), { hold: true });
  add(
    "head byte by byte",
    "slowloris",
    [...b("GET /hostname HTTP/1.1\r\nHost: x\r\n\r\n")].map((x) => Buffer.from([x])),
    { expect: 200 },
  );
  add("connect and hold", "slowloris", Buffer.alloc(0), { hold: true });
  // Resets mid-request.
  add("reset mid-head", "reset", b("GET / HTTP/1.1\r\nHo"), { reset: true });
  add("reset mid-body", "reset", req("POST / HTTP/1.1", "Host: x\r\nContent-Length: 100000\r\n", "x".repeat(5000)), {
    reset: true,
  });
  // Binary garbage.
  add("TLS ClientHello", "garbage", Buffer.from("160301020001000200fc0303" + "00".repeat(64), "hex"));
  add("all zero bytes", "garbage", Buffer.alloc(4096));
  add("all 0xff", "garbage", Buffer.alloc(4096, 0xff));
  const r = mulberry32(seed);
  for (let i = 0; i < garbage; i++) {
    const n = 1 + Math.floor(r() * (i % 4 === 0 ? 70_000 : 600));
    const buf = Buffer.alloc(n);
    for (let k = 0; k < n; k++) buf[k] = Math.floor(r() * 256);
    // Some start like a request, then turn to garbage.
    const lead = i % 3 === 0 ? b("GET /") : i % 3 === 1 ? b("POST / HTTP/1.1\r\nHost: x\r\n") : Buffer.alloc(0);
    add(`garbage ${i}`, "garbage", Buffer.concat([lead, buf]));
  }
  return c;
}

export interface FuzzResult {
  /** The HTTP status answered, if the answer was HTTP. */
  status?: number;
  /** Bytes received. */
  bytes: number;
  /** How the connection ended: "closed" by the server, "timeout" (we gave up), "error". */
  end: "closed" | "timeout" | "error";
  /** The first answer's head line. */
  head?: string;
  /** How many HTTP responses came back (a smuggled request must not get one). */
  responses: number;
  ms: number;
}

/**
 * Sends one case to host:port (from `localAddress` if given) and waits for the server to
 * close, at most `timeoutMs` (held cases: the server's own deadline must close them).
 */
export function sendFuzzCase(
  host: string,
  port: number,
  fc: FuzzCase,
  timeoutMs = 3000,
  connect: (o: net.NetConnectOpts) => net.Socket = (o) => net.connect(o),
): Promise<FuzzResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let got = 0;
    let settled = false;
    const done = (end: FuzzResult["end"]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      const all = Buffer.concat(chunks).toString("latin1");
      const head = /^HTTP\/1\.[01] (\d{3})[^\r\n]*/.exec(all);
      resolve({
        status: head ? Number(head[1]) : undefined,
        head: head?.[0],
        bytes: got,
        end,
        responses: (all.match(/(^|\r\n)HTTP\/1\.[01] \d{3} /g) ?? []).length,
        ms: performance.now() - t0,
      });
    };
    const timer = setTimeout(() => done("timeout"), timeoutMs);
    const s = connect({ host, port });
    s.on("data", (d) => {
      got += d.length;
      if (got < 1 << 20) chunks.push(d);
    });
    s.on("error", () => done(got ? "closed" : "error"));
    s.on("close", () => done("closed"));
    s.on("connect", async () => {
      for (const p of fc.parts) {
        if (s.destroyed) return;
        if (p.length) s.write(p);
        if (fc.parts.length > 1) await new Promise((r) => setTimeout(r, 2));
      }
      if (fc.reset) s.resetAndDestroy();
      else if (!fc.hold) s.end();
    });
  });
}
