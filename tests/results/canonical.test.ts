import assert from "node:assert/strict";
import { canonicalJson, configHash, sha256Hex } from "../../lib/results/canonical.ts";

/** SHA-256 through WebCrypto, an implementation independent of node:crypto. */
async function subtleSha256(text: string): Promise<string> {
  const buf = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("sha256Hex matches the FIPS 180-2 test vector for 'abc'", () => {
  assert.equal(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.equal(sha256Hex(new TextEncoder().encode("abc")), sha256Hex("abc"));
});

Deno.test("canonicalJson sorts keys at every depth and writes no whitespace", () => {
  const x = { b: 1, a: [3, { z: null, y: "s" }], c: { y: true, x: -0.5e-7 } };
  assert.equal(canonicalJson(x), '{"a":[3,{"y":"s","z":null}],"b":1,"c":{"x":-5e-8,"y":true}}');
  // Undefined properties are dropped, as JSON does.
  assert.equal(canonicalJson({ a: 1, b: undefined }), '{"a":1}');
});

Deno.test("configHash is sha256 of the sorted-key JSON, stable under key order", async () => {
  const a = { lr: 1e-3, sigmas: [80, 0.002], model: { channels: 32, depth: 2 }, name: "c2" };
  const b = { name: "c2", model: { depth: 2, channels: 32 }, sigmas: [80, 0.002], lr: 0.001 };
  const expected = await subtleSha256(
    '{"lr":0.001,"model":{"channels":32,"depth":2},"name":"c2","sigmas":[80,0.002]}',
  );
  assert.equal(configHash(a), expected);
  assert.equal(configHash(b), expected);
});

Deno.test("configHash changes when any value changes (also deep, also array order)", () => {
  const base = { lr: 1e-3, sigmas: [80, 0.002], model: { channels: 32 } };
  const h = configHash(base);
  assert.notEqual(configHash({ ...base, lr: 1.0000001e-3 }), h);
  assert.notEqual(configHash({ ...base, sigmas: [0.002, 80] }), h);
  assert.notEqual(configHash({ ...base, model: { channels: "32" } }), h);
  assert.notEqual(configHash({ ...base, extra: null }), h);
});

Deno.test("canonicalJson refuses what JSON would silently change", () => {
  assert.throws(() => canonicalJson({ a: NaN }, "config"), /config\.a is NaN/);
  assert.throws(() => canonicalJson({ a: [1, Infinity] }, "config"), /config\.a\[1\] is Infinity/);
  assert.throws(() => canonicalJson({ a: [undefined] }, "config"), /config\.a\[0\] is undefined/);
  assert.throws(() => canonicalJson({ a: new Float64Array(2) }, "config"), /config\.a is a Float64Array/);
  assert.throws(() => canonicalJson({ a: new Date(0) }, "config"), /config\.a is a Date/);
  assert.throws(() => canonicalJson({ a: 1n }, "config"), /config\.a is a bigint/);
  const cyc: Record<string, unknown> = {};
  cyc.self = cyc;
  assert.throws(() => canonicalJson(cyc, "config"), /config\.self refers back/);
  // A shared (non-cyclic) sub-object is fine.
  const shared = { k: 1 };
  assert.equal(canonicalJson({ a: shared, b: shared }), '{"a":{"k":1},"b":{"k":1}}');
});
