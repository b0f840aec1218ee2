/** Small helpers for writing Python source. */
import { ConfigValue, CONFIG_END, CONFIG_START, toPythonLiteral } from '../configBlock';
import { pyComment } from './escape';

export interface ConfigLine {
  name: string;
  value: ConfigValue;
  comment?: string;
}

/** The CONFIG block: one `NAME = value  # why` per line, aligned for reading. */
export function configBlock(lines: (ConfigLine | string)[]): string {
  const entries = lines.filter((l): l is ConfigLine => typeof l !== 'string');
  const width = Math.max(...entries.map((l) => `${l.name} = ${toPythonLiteral(l.value)}`.length));
  const body = lines.map((l) => {
    if (typeof l === 'string') return l ? `# ${pyComment(l)}` : '';
    const head = `${l.name} = ${toPythonLiteral(l.value)}`;
    return l.comment ? `${head.padEnd(width)}  # ${pyComment(l.comment)}` : head;
  });
  return [`${CONFIG_START} (edit freely; one NAME = value per line: ML Intern rewrites these lines by name) ---`, ...body, `${CONFIG_END} ---`].join('\n');
}

/** A call with one keyword per line: `Name(\n    a=b,\n)`. Values are Python expressions. */
export function call(name: string, kwargs: [string, string, string?][], indent = ''): string {
  const inner = kwargs.map(([k, v, comment]) => `${indent}    ${k}=${v},${comment ? `  # ${pyComment(comment)}` : ''}`);
  return `${name}(\n${inner.join('\n')}\n${indent})`;
}

/** Kept here for the templates that import it from pyutil: the one Python string escaper is in escape.ts. */
export { pyStr } from './escape';
