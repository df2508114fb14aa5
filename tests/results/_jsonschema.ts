/**
 * A small JSON Schema (draft 2020-12) evaluator for the keywords results/schema.json uses, so tests can
 * check the schema file itself against examples. It throws on any keyword it does not know, so the schema
 * cannot silently rely on something untested.
 */

type Schema = Record<string, unknown> | boolean;

const ANNOTATIONS = new Set(["$schema", "$id", "title", "description", "$comment", "x-compare", "$defs"]);
const KNOWN = new Set([
  ...ANNOTATIONS,
  "type",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "enum",
  "const",
  "pattern",
  "minLength",
  "minimum",
  "anyOf",
  "$ref",
]);

/** Errors of `value` against `root` (empty when valid), each as `path: keyword`. */
export function jsonSchemaErrors(root: Record<string, unknown>, value: unknown): string[] {
  const errs: string[] = [];
  _eval(root, root, value, "", errs);
  return errs;
}

function _type(v: unknown): string[] {
  if (v === null) return ["null"];
  if (Array.isArray(v)) return ["array"];
  if (typeof v === "number") return Number.isInteger(v) ? ["number", "integer"] : ["number"];
  return [typeof v];
}

function _eval(root: Record<string, unknown>, s: Schema, v: unknown, at: string, errs: string[]): void {
  if (s === true) return;
  if (s === false) return void errs.push(`${at}: false schema`);
  for (const k of Object.keys(s)) if (!KNOWN.has(k)) throw new Error(`unsupported keyword ${k} at ${at}`);
  if (typeof s.$ref === "string") {
    const m = /^#\/\$defs\/(.+)$/.exec(s.$ref);
    if (!m) throw new Error(`unsupported $ref ${s.$ref}`);
    _eval(root, (root.$defs as Record<string, Schema>)[m[1]], v, at, errs);
  }
  if (s.type !== undefined) {
    const want = Array.isArray(s.type) ? s.type : [s.type];
    if (!_type(v).some((t) => want.includes(t))) return void errs.push(`${at}: type`);
  }
  if ("const" in s && JSON.stringify(s.const) !== JSON.stringify(v)) errs.push(`${at}: const`);
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    errs.push(`${at}: enum`);
  }
  if (typeof v === "string") {
    if (typeof s.pattern === "string" && !new RegExp(s.pattern, "u").test(v)) errs.push(`${at}: pattern`);
    if (typeof s.minLength === "number" && [...v].length < s.minLength) errs.push(`${at}: minLength`);
  }
  if (typeof v === "number" && typeof s.minimum === "number" && v < s.minimum) errs.push(`${at}: minimum`);
  if (Array.isArray(s.anyOf)) {
    if (!s.anyOf.some((sub) => jsonSchemaErrorsAt(root, sub as Schema, v, at).length === 0)) {
      errs.push(`${at}: anyOf`);
    }
  }
  if (Array.isArray(v) && s.items !== undefined) {
    v.forEach((e, i) => _eval(root, s.items as Schema, e, `${at}[${i}]`, errs));
  }
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    for (const r of (s.required as string[] | undefined) ?? []) {
      if (!(r in o)) errs.push(`${at}.${r}: required`);
    }
    const props = (s.properties as Record<string, Schema> | undefined) ?? {};
    for (const [k, e] of Object.entries(o)) {
      if (k in props) _eval(root, props[k], e, `${at}.${k}`, errs);
      else if (s.additionalProperties !== undefined) {
        _eval(root, s.additionalProperties as Schema, e, `${at}.${k}`, errs);
      }
    }
  }
}

function jsonSchemaErrorsAt(root: Record<string, unknown>, s: Schema, v: unknown, at: string): string[] {
  const errs: string[] = [];
  _eval(root, s, v, at, errs);
  return errs;
}
