import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { UserError } from '../errors.js';
import { ioMessage } from '../manifest/read.js';
import type { FilePlan } from '../pipeline.js';

/**
 * Writes every planned file or none. First every file is checked to still hold the bytes that were planned
 * from; then each new text goes to a temporary file beside its target (same directory, same mode); only when
 * all are staged are they renamed into place. A failed rename puts back the files already replaced.
 */
export function writeAll(files: readonly FilePlan[]): void {
  for (const f of files) {
    let now: Buffer;
    try {
      now = fs.readFileSync(f.writePath);
    } catch (e) {
      throw new UserError(`cannot read the file again before writing: ${ioMessage(e)}`, { file: f.manifest.path });
    }
    if (!now.equals(f.manifest.bytes)) {
      throw new UserError('the file changed on disk since it was read; nothing was written, run again', { file: f.manifest.path });
    }
  }

  const staged: { target: string; temp: string; original: Buffer }[] = [];
  const discard = (): void => {
    for (const s of staged) fs.rmSync(s.temp, { force: true });
  };
  try {
    for (const f of files) {
      const target = f.writePath;
      const temp = path.join(path.dirname(target), `.${path.basename(target)}.wasmtime-align-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
      const mode = fs.statSync(target).mode & 0o7777;
      staged.push({ target, temp, original: f.manifest.bytes });
      fs.writeFileSync(temp, f.after, { encoding: 'utf8', mode, flag: 'wx' });
      fs.chmodSync(temp, mode);
    }
  } catch (e) {
    discard();
    const failed = staged.at(-1)?.target;
    throw new UserError(`cannot write: ${ioMessage(e)}; nothing was written`, failed ? { file: failed } : undefined);
  }

  const done: typeof staged = [];
  for (const s of staged) {
    try {
      fs.renameSync(s.temp, s.target);
      done.push(s);
    } catch (e) {
      for (const d of done) fs.writeFileSync(d.target, d.original);
      discard();
      throw new UserError(`cannot replace the file: ${ioMessage(e)}; files already replaced were restored`, { file: s.target });
    }
  }
}
