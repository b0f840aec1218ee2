/**
 * A small JSON-schema validator for the subset tool parameters use: type,
 * required, enum, properties, items. Errors are written for the model so it
 * can correct its call.
 */
import { JsonSchema } from '../llm/types';

export function validateArgs(schema: JsonSchema, value: unknown): string[] {
  const errors: string[] = [];
  check(schema, value, 'arguments', errors);
  return errors;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function matchesType(expected: string, v: unknown): boolean {
  const actual = typeOf(v);
  if (expected === 'number') return actual === 'number' || actual === 'integer';
  return expected === actual;
}

function check(schema: Record<string, unknown>, value: unknown, where: string, errors: string[]): void {
  const type = schema.type;
  const types = Array.isArray(type) ? (type as string[]) : typeof type === 'string' ? [type] : [];
  if (types.length && !types.some((t) => matchesType(t, value))) {
    errors.push(`${where} must be ${types.join(' or ')}, got ${typeOf(value)}${typeof value === 'string' ? ` ${JSON.stringify(value.slice(0, 40))}` : ''}`);
    return;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => e === value)) {
    errors.push(`${where} must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${JSON.stringify(value)}`);
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
    for (const name of (schema.required as string[] | undefined) ?? []) {
      if (obj[name] === undefined) errors.push(`${where}.${name} is required`);
    }
    for (const [name, v] of Object.entries(obj)) {
      const sub = props[name];
      if (sub) check(sub, v, `${where}.${name}`, errors);
      else if (schema.additionalProperties === false) errors.push(`${where}.${name} is not a known parameter (allowed: ${Object.keys(props).join(', ')})`);
    }
  }
  if (Array.isArray(value) && schema.items && typeof schema.items === 'object') {
    value.forEach((v, i) => check(schema.items as Record<string, unknown>, v, `${where}[${i}]`, errors));
  }
}

/**
 * The arguments with their aliases renamed to the schema's names. Both names for one parameter
 * with different values is an error (which one did the model mean?).
 */
export function resolveAliases(
  args: Record<string, unknown>,
  aliases: Readonly<Record<string, string>> | undefined,
  schema: JsonSchema,
): { args: Record<string, unknown>; renamed: string[] } | { error: string } {
  if (!aliases) return { args, renamed: [] };
  const props = (schema.properties ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const renamed: string[] = [];
  for (const [name, value] of Object.entries(args)) {
    const target = name in props ? undefined : aliases[name];
    if (!target) {
      if (name in out && JSON.stringify(out[name]) !== JSON.stringify(value)) return { error: `${name} is given twice with different values (also as an alias)` };
      out[name] = value;
      continue;
    }
    if (target in out && JSON.stringify(out[target]) !== JSON.stringify(value)) {
      return { error: `${name} and ${target} name the same parameter with different values (${JSON.stringify(value)} vs ${JSON.stringify(out[target])}): give it once` };
    }
    if (target in args && JSON.stringify(args[target]) !== JSON.stringify(value)) {
      return { error: `${name} and ${target} name the same parameter with different values (${JSON.stringify(value)} vs ${JSON.stringify(args[target])}): give it once` };
    }
    out[target] = value;
    renamed.push(`${name} as ${target}`);
  }
  return { args: out, renamed };
}

/** The parameters in one line for an error message: names, types, which are required, the aliases. */
export function describeParameters(schema: JsonSchema, aliases?: Readonly<Record<string, string>>): string {
  const props = (schema.properties ?? {}) as Record<string, { type?: unknown; enum?: unknown[] }>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const list = Object.entries(props).map(([name, p]) => {
    const type = p.enum ? p.enum.map((e) => JSON.stringify(e)).join('|') : Array.isArray(p.type) ? p.type.join('|') : String(p.type ?? 'any');
    return `${name} (${type}${required.has(name) ? ', required' : ''})`;
  });
  const also = aliases && Object.keys(aliases).length ? `. Also accepted: ${Object.entries(aliases).map(([a, t]) => `${a} = ${t}`).join(', ')}` : '';
  return `${list.join(', ')}${also}.`;
}
