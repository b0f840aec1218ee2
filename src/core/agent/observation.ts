/**
 * One observation never floods the context: above the cap the head and the
 * tail are kept and the full text is saved in the run folder
 * (`observations/obs-N.txt`), readable with read_file.
 */
import { OBSERVATION_CAP } from '../tools/observationCap';

export { OBSERVATION_CAP };

export async function capObservation(
  text: string,
  save: (full: string) => Promise<string>,
  cap = OBSERVATION_CAP,
): Promise<{ text: string; savedAs?: string }> {
  if (text.length <= cap) return { text };
  const savedAs = await save(text);
  const head = Math.floor(cap * 0.4);
  const tail = cap - head;
  const lines = text.split('\n').length;
  return {
    savedAs,
    text:
      `${text.slice(0, head)}\n\n[... ${text.length - cap} of ${text.length} characters (${lines} lines) omitted. ` +
      `The full text is in ${savedAs}: read it with read_file (offset/limit) if you need the middle ...]\n\n${text.slice(text.length - tail)}`,
  };
}
