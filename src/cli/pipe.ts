/**
 * Output to a pipe whose reader has gone (`wasmtime-align | head`): Node reports the failed write as an `error`
 * event (EPIPE) that, unhandled, ends the process with a stack trace. Here it only closes the stream: later writes
 * are dropped, and the run ends as it would have (same exit status; a --write finishes or rolls back as usual,
 * never stopped between two renames).
 */
export interface Output {
  write(s: string): boolean;
  readonly isTTY?: boolean;
}

export function quietOnClosedPipe(stream: NodeJS.WriteStream, other?: () => Output): Output {
  let closed = false;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    closed = true;
    // Another failure (EIO, ENOSPC...) is worth a line on the other stream, when that one still works.
    if (e.code !== 'EPIPE') other?.().write(`error: cannot write the output: ${e.message}\n`);
  });
  return {
    write: (s: string) => (closed || stream.destroyed ? true : stream.write(s)),
    get isTTY() {
      return stream.isTTY;
    },
  };
}
