/**
 * Helpers of the fault-injection tests: a frozen-version fixture, and running a task as a child process
 * (its exit code and stderr), as a user would.
 *
 * @module
 */
import { join } from "node:path";
import { freezeVersion, resultPath } from "../../lib/results/frozen.ts";
import { writeResult } from "../../lib/results/io.ts";
import { goodResult } from "../results/_fixture.ts";

/** Repository root (absolute). */
export const REPO: string = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** A temp folder with `results/v1` frozen from one fixture result (C10, ci, mnist) and its figure. */
export async function frozenFixture(): Promise<{ dir: string; root: string; file: string }> {
  const dir = await Deno.makeTempDir({ prefix: "hg-faults-" });
  const r = goodResult();
  const p = resultPath(join(dir, "latest"), r.profile, r.dataset, r.claim);
  await writeResult(p, r);
  for (const f of r.figures) await Deno.writeTextFile(join(p, "..", f.path), `<svg>${f.path}</svg>`);
  const root = join(dir, "results");
  await freezeVersion(join(dir, "latest"), "v1", { root, artifactVersion: "0.0.0" });
  return { dir, root, file: resultPath(join(root, "v1"), r.profile, r.dataset, r.claim) };
}

/** What a child process did. */
export interface Ran {
  /** Exit code. */
  code: number;
  /** Its stderr. */
  stderr: string;
  /** Its stdout. */
  stdout: string;
}

/**
 * Run `deno <args>` with the repository's config from `cwd` (default the repository), with `env` added;
 * resolves when it exits.
 */
export async function runDeno(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Ran> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: opts.cwd ?? REPO,
    env: { HG_QUIET: "1", NO_COLOR: "1", ...opts.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stderr: dec.decode(out.stderr), stdout: dec.decode(out.stdout) };
}

/** The pid of a process that has exited (for stale files "of a dead process"). */
export async function deadPid(): Promise<number> {
  const child = new Deno.Command("true", { stdout: "null", stderr: "null" }).spawn();
  await child.status;
  return child.pid;
}

/**
 * Copy the shipped models `keys` (from models/) into a temp root with an INDEX.json listing only them;
 * returns the root.
 */
export async function shippedCopy(keys: string[]): Promise<string> {
  const src = `${REPO}/models`;
  const root = await Deno.makeTempDir({ prefix: "hg-models-" });
  const index = JSON.parse(await Deno.readTextFile(`${src}/INDEX.json`)) as { key: string }[];
  const cp = async (from: string, to: string) => {
    await Deno.mkdir(to, { recursive: true });
    for (const e of Deno.readDirSync(from)) {
      if (e.isDirectory) await cp(`${from}/${e.name}`, `${to}/${e.name}`);
      else await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
    }
  };
  for (const k of keys) await cp(`${src}/${k}`, `${root}/${k}`);
  const entries = index.filter((e) => keys.includes(e.key));
  await Deno.writeTextFile(`${root}/INDEX.json`, JSON.stringify(entries, null, 1) + "\n");
  return root;
}

/** Run `fn` capturing what it logs on stderr (lib/progress.ts), with HG_QUIET unset. */
export async function captureStderr<T>(fn: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const lines: string[] = [];
  const write = Deno.stderr.writeSync;
  const quiet = Deno.env.get("HG_QUIET");
  Deno.env.delete("HG_QUIET");
  Deno.stderr.writeSync = (b: Uint8Array) => {
    lines.push(...new TextDecoder().decode(b).split("\n").filter((l) => l));
    return b.length;
  };
  try {
    return { value: await fn(), lines };
  } finally {
    Deno.stderr.writeSync = write;
    if (quiet !== undefined) Deno.env.set("HG_QUIET", quiet);
  }
}

/**
 * Start `tests/faults/_child.ts <args>`, wait for its `ready` line, let it run `delayMs` more, then
 * kill -9 it; resolves once it is gone (with whatever it printed after `ready`).
 */
export async function killDuring(args: string[], delayMs: number): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", `${REPO}/deno.json`, `${REPO}/tests/faults/_child.ts`, ...args],
    cwd: REPO,
    env: { HG_QUIET: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("ready\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`_child.ts ${args[0]} exited before it was ready: ${text}`);
    text += value;
  }
  await new Promise((r) => setTimeout(r, delayMs));
  try {
    child.kill("SIGKILL");
  } catch { /* already exited */ }
  await child.status;
  // Drain what it printed after `ready`.
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  return text;
}
