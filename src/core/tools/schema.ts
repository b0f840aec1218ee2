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
      else if (schema.additionalProperties === false) errors.push(`${where}.${name} is not a known parameter (known: ${Object.keys(props).join(', ')})`);
    }
  }
  if (Array.isArray(value) && schema.items && typeof schema.items === 'object') {
    value.forEach((v, i) => check(schema.items as Record<string, unknown>, v, `${where}[${i}]`, errors));
  }
}
