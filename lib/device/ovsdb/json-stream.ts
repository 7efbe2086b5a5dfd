import { SysdbError } from '../errors.js';

// OVSDB JSON-RPC frames are bare JSON texts back to back with no delimiter (RFC 7047 §4), so the
// stream is cut where the top-level value closes. Strings are tracked so braces inside them do not
// count. Each chunk is scanned once (string contents skipped with indexOf) and kept as a piece; a
// message is joined and parsed once when it completes, so an N-byte reply costs O(N), whatever the
// chunk size.
const QUOTE = 0x22,
  OPEN_BRACE = 0x7b,
  CLOSE_BRACE = 0x7d,
  OPEN_BRACKET = 0x5b,
  CLOSE_BRACKET = 0x5d;

export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

export class JsonStreamSplitter {
  private pieces: string[] = [];
  private pending = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;

  /** maxChars bounds one message: an endless or oversized reply is refused, not buffered forever. */
  constructor(private readonly maxChars = DEFAULT_MAX_MESSAGE_BYTES) {}

  push(chunk: string): unknown[] {
    const out: unknown[] = [];
    const len = chunk.length;
    // The scan state lives in locals while scanning (field access in this loop doubled its cost).
    let { depth, inString, escaped } = this;
    let start = 0;
    // Next quote and backslash at or after the scan position (-1: none left in this chunk), each
    // searched again only once passed, so skipping string contents with indexOf stays linear.
    let quote = -2;
    let backslash = -2;
    for (let i = 0; i < len; i++) {
      if (inString) {
        if (escaped) {
          escaped = false;
          continue;
        }
        // Skip the string's contents at native speed: to its closing quote or its next escape.
        if (quote !== -1 && quote < i) quote = chunk.indexOf('"', i);
        if (backslash !== -1 && backslash < i) backslash = chunk.indexOf('\\', i);
        if (backslash !== -1 && (quote === -1 || backslash < quote)) {
          if (backslash === len - 1) escaped = true;
          i = backslash + 1;
          continue;
        }
        if (quote === -1) break;
        inString = false;
        i = quote;
        continue;
      }
      const c = chunk.charCodeAt(i);
      if (depth === 0 && c !== OPEN_BRACE && c !== OPEN_BRACKET && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
        throw new SysdbError('BAD_REPLY', `malformed reply from the server: ${JSON.stringify(chunk.slice(i, i + 20))} outside a JSON object`);
      }
      if (c === QUOTE) inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (--depth === 0) {
          this.pieces.push(chunk.slice(start, i + 1));
          start = i + 1;
          const text = this.pieces.length === 1 ? this.pieces[0] : this.pieces.join('');
          this.pieces = [];
          this.pending = 0;
          out.push(parse(text));
        }
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    // Whitespace between messages is not part of any message.
    if (start < len && depth > 0) {
      const rest = start === 0 ? chunk : chunk.slice(start);
      this.pieces.push(rest);
      this.pending += rest.length;
    }
    if (this.pending > this.maxChars) throw new SysdbError('BAD_REPLY', `reply larger than ${this.maxChars} bytes refused`);
    return out;
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SysdbError('BAD_REPLY', `malformed JSON from the server: ${(e as Error).message}`);
  }
}
