/**
 * Canonical JSON and SHA-256: the byte form a config is hashed in, so that two configs that mean the
 * same thing (same keys and values, any key order) get the same `configHash`, which names every cached
 * thing derived from the config (DESIGN "The flow").
 *
 * @module
 */

import { createHash } from "node:crypto";

/**
 * Canonical JSON of a plain JSON value: object keys sorted (by UTF-16 code units, as `Array.sort`),
 * no whitespace, numbers as `JSON.stringify` writes them (shortest round-trip form, `-0` as `0`).
 * Object properties whose value is `undefined` are dropped, as JSON does. Anything JSON would silently
 * change or drop elsewhere throws instead: NaN/±Infinity, `undefined` in an array, bigint, functions,
 * symbols, typed arrays, Maps, Dates and other non-plain objects, and cycles. `where` names the caller's
 * object in errors (e.g. `"config"`).
 */
export function canonicalJson(value: unknown, where = "value"): string {
  return _canon(value, where, new Set());
}

function _canon(v: unknown, path: string, seen: Set<object>): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "number":
      if (!Number.isFinite(v)) throw new TypeError(`canonicalJson: ${path} is ${v}; JSON cannot hold it`);
      return JSON.stringify(v);
    case "string":
    case "boolean":
      return JSON.stringify(v);
    case "object":
      break;
    default:
      throw new TypeError(`canonicalJson: ${path} is a ${typeof v}; only plain JSON values are allowed`);
  }
  const o = v as object;
  if (seen.has(o)) throw new TypeError(`canonicalJson: ${path} refers back to itself (a cycle)`);
  seen.add(o);
  try {
    if (Array.isArray(o)) {
      return "[" + o.map((e, i) => {
        if (e === undefined) throw new TypeError(`canonicalJson: ${path}[${i}] is undefined`);
        return _canon(e, `${path}[${i}]`, seen);
      }).join(",") + "]";
    }
    const proto = Object.getPrototypeOf(o);
    if (proto !== Object.prototype && proto !== null) {
      const name = (o as { constructor?: { name?: string } }).constructor?.name ?? "unknown";
      throw new TypeError(
        `canonicalJson: ${path} is a ${name}; only plain objects and arrays are allowed (convert it first)`,
      );
    }
    const rec = o as Record<string, unknown>;
    const keys = Object.keys(rec).filter((k) => rec[k] !== undefined).sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + _canon(rec[k], `${path}.${k}`, seen)).join(",") +
      "}";
  } finally {
    seen.delete(o);
  }
}

/** SHA-256 of a string (UTF-8) or bytes, as 64 lowercase hex digits. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The config hash: SHA-256 of the config's canonical JSON (sorted keys), 64 hex digits. */
export function configHash(config: Record<string, unknown>): string {
  return sha256Hex(canonicalJson(config, "config"));
}
