import { Writable } from "node:stream";

/** A stream that keeps what is written to it, seen by the writer as a terminal (`isTTY`) or a pipe. */
export class Capture extends Writable {
  text = "";
  isTTY: boolean;
  constructor({ isTTY = false } = {}) {
    super();
    this.isTTY = isTTY;
  }
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}
