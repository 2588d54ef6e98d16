// What podnet writes is safe to show on a terminal. Names, labels and annotations come from
// the input; the API server refuses control characters in most of them, but tolerant reading
// warns and goes on, and a label value with ESC could set the terminal's title, clear its
// screen or, with a CR, overwrite a line. kubectl escapes ESC as "^[" and CR as "\r"
// (kubernetes/cli-runtime pkg/printers/terminal.go, EscapeTerminal); podnet does the same and
// writes the other C0 control characters but newline and tab as \xNN. JSON and YAML output
// never hold a C0 character raw (JSON.stringify and the YAML printer escape them in strings),
// so every format passes unchanged. DEL and C1 are left alone: JSON leaves them raw, and an
// escape here would make its output invalid.

// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it finds
const UNSAFE = /[\x00-\x08\x0b-\x1f]/g;

const escapeOne = (c: string): string =>
  c === "\x1b" ? "^[" : c === "\r" ? "\\r" : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;

/** The text with every control character but newline and tab made visible. */
export function escapeTerminal(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}

const ESCAPED = Symbol("podnet.escapeWrites");

/** Makes every later write of the stream go through escapeTerminal (text writes only). */
export function escapeWrites(stream: NodeJS.WriteStream & { [ESCAPED]?: true }): void {
  if (stream[ESCAPED]) return;
  stream[ESCAPED] = true;
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) =>
    write(typeof chunk === "string" ? escapeTerminal(chunk) : chunk, ...rest)) as typeof stream.write;
}
