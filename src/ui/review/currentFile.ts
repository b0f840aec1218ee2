/**
 * The file a proposal changes, as it is on disk now: what the left side of a
 * review starts from. Refuses what a review cannot show (folders, binary and
 * oversized files, paths outside the workspace) with the reason as its message.
 */
import { promises as fs } from 'node:fs';
import { refuseContent } from '../../core/review/guards';
import { NodeFileStore } from '../../core/util/nodeFileStore';
import { NotRegularFileError, refuseSpecialFile } from '../../core/util/regularFile';

/** Thrown for content the reviewer will not show; its message is the rejection reason. */
export class Refusal extends Error {}

/** The file's current text, null when it does not exist; refuses paths outside the workspace, folders, binary and oversized files. */
export async function readCurrent(store: NodeFileStore, path: string): Promise<string | null> {
  const abs = store.resolve(path);
  let bytes: Buffer;
  try {
    await refuseSpecialFile(abs, `'${path}'`);
    bytes = await fs.readFile(abs);
  } catch (err) {
    if (err instanceof NotRegularFileError) throw new Refusal(`Refused: ${err.message}.`);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'EISDIR') throw new Refusal(`Refused: '${path}' is a folder; propose a file path.`);
    throw err;
  }
  const refusal = refuseContent(path, bytes, 'current');
  if (refusal) throw new Refusal(refusal);
  return bytes.toString('utf8');
}
