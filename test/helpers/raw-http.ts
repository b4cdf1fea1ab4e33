// Raw HTTP over node:net, for requests no well-behaved client would send: broken
// percent-encoding, bad header names, half-closed or vanishing clients.
import net from 'node:net';

export interface RawResult {
  /** HTTP status of the first answer, if one arrived. */
  readonly status?: number;
  /** Everything the server sent. */
  readonly text: string;
  /** The server closed the connection (or it was reset) before our deadline. */
  readonly closed: boolean;
}

export interface RawOptions {
  /** Pieces written one after another, with `gapMs` between them. */
  readonly gapMs?: number;
  /** End our side after writing (half-close) instead of waiting with it open. */
  readonly halfClose?: boolean;
  /** Destroy the socket right after writing, without waiting for an answer. */
  readonly abandon?: boolean;
  /** Give up waiting after this long; the result then says `closed: false`. */
  readonly timeoutMs?: number;
}

/** Sends `pieces` to 127.0.0.1:`port` and collects the answer. */
export const rawHttp = (port: number, pieces: ReadonlyArray<string | Buffer>, opts: RawOptions = {}): Promise<RawResult> =>
  new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(received).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ ...(m ? { status: Number(m[1]) } : {}), text, closed });
    };
    const timer = setTimeout(() => finish(false), opts.timeoutMs ?? 5_000);
    socket.on('data', (d: Buffer) => {
      received.push(d);
      // One complete answer is enough: keep-alive would otherwise hold the socket open.
      const text = Buffer.concat(received).toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)/i.exec(text);
      if (head >= 0 && length && text.length >= head + 4 + Number(length[1])) finish(true);
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('connect', async () => {
      for (const [i, piece] of pieces.entries()) {
        if (i > 0 && opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
        if (socket.destroyed) return;
        socket.write(piece);
      }
      if (opts.abandon) return finish(true);
      if (opts.halfClose) socket.end();
    });
  });

/** A POST with a JSON body to the Invoke path of `name` (not encoded: the caller decides). */
export const invokeRequest = (name: string, body: string, extraHeaders = ''): string =>
  `POST /2015-03-31/functions/${name}/invocations HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extraHeaders}\r\n${body}`;
