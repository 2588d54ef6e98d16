// Byte lengths under a kernel limit (nft comments and names, NFLOG prefixes) counted in
// UTF-8, as the kernel stores the text. Cut in one step by TextEncoder.encodeInto (it stops
// before a character that does not fit, never inside one), where cutting a character at a
// time and encoding again was quadratic (a drop comment naming 1,000 policies took seconds
// per pod).

const enc = new TextEncoder();

/** The text's length in UTF-8 bytes (a lone surrogate: 3, U+FFFD's). */
export function utf8Length(s: string): number {
  return enc.encode(s).length;
}

/** The longest start of the text, in whole characters, that takes at most `max` UTF-8 bytes. */
export function fitUtf8(s: string, max: number): string {
  return s.slice(0, enc.encodeInto(s, new Uint8Array(Math.max(0, max))).read);
}
