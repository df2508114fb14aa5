/**
 * Test helper: run `fn` with environment variables set (e.g. a temporary HG_CACHE_DIR), restoring the
 * previous values afterwards.
 *
 * @module
 */

/** Run `fn` with `vars` set in the environment; the old values (or their absence) are restored after. */
export async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const old = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  for (const [k, v] of Object.entries(vars)) Deno.env.set(k, v);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(old)) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
}
