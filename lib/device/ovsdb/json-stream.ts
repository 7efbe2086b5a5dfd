import { SysdbError } from '../errors.js';

// OVSDB JSON-RPC frames are bare JSON texts back to back with no delimiter (RFC 7047 §4), so the
// stream is cut where the top-level value closes. Strings are tracked so braces inside them do not
// count. Each chunk is scanned once with charCodeAt and kept as a piece; a message is joined and
// parsed once when it completes, so an N-byte reply costs O(N), whatever the chunk size.
const QUOTE = 0x22, BACKSLASH = 0x5c, OPEN_BRACE = 0x7b, CLOSE_BRACE = 0x7d, OPEN_BRACKET = 0x5b, CLOSE_BRACKET = 0x5d;

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
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
      } else if (c === QUOTE) this.inString = true;
      else if (this.depth === 0 && c !== OPEN_BRACE && c !== OPEN_BRACKET && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
        throw new SysdbError('BAD_REPLY', `malformed reply from the server: ${JSON.stringify(chunk.slice(i, i + 20))} outside a JSON object`);
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
      else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --this.depth === 0) {
        this.pieces.push(chunk.slice(start, i + 1));
        start = i + 1;
        const text = this.pieces.join('');
        this.pieces = [];
        this.pending = 0;
        out.push(parse(text));
      }
    }
    if (start < chunk.length) {
      const rest = chunk.slice(start);
      // Whitespace between messages is not part of any message.
      if (this.depth > 0 || this.inString || rest.trim()) {
        this.pieces.push(rest);
        this.pending += rest.length;
      }
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
