/**
 * Interrupted writes, cleaned up: replacing a folder by rename (never delete-then-rename), and sweeping
 * what a process killed mid-write leaves behind once that process is gone.
 *
 * Names this project's writers use, each carrying its writer's pid:
 * - `.<name>.<pid>.<hex>.tmp`: a file being written (lib/results/io.ts `writeFileAtomic`);
 * - `.write-probe-<pid>-<hex>.tmp` (older runs: `.write-probe-<pid>.tmp`): the `--out` writability probe;
 * - `<name>.partial-<pid>/`: a shipped model being exported (lib/training/shipped.ts);
 * - `.<vN>.staging.<pid>/`: a version being frozen (lib/results/frozen.ts);
 * - `<name>.old-<pid>-<hex>`: the previous copy of a folder being replaced ({@link replaceDir});
 * - `.<name>.<pid>.<hex>.commit.json`: a set of files being renamed into place together (io.ts
 *   `writeFilesTogether`), completed by {@link sweepStale}.
 *
 * A writer is gone when {@link processState} says so; when that cannot be checked (no --allow-all for
 * /proc, no --allow-run for a signal probe), its files are stale once older than {@link STALE_AGE_MS}.
 *
 * @module
 */
import { log } from "./progress.ts";

/**
 * Whether process `pid` (on this machine) is gone: `/proc/<pid>` on Linux when readable (Deno asks for
 * --allow-all there), else signal probing (SIGCONT, harmless; needs --allow-run), else "unknown".
 */
export function processState(pid: number): "gone" | "alive" | "unknown" {
  if (pid === Deno.pid) return "alive";
  if (Deno.build.os === "linux") {
    try {
      Deno.statSync(`/proc/${pid}`);
      return "alive";
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return "gone";
    }
  }
  try {
    Deno.kill(pid, "SIGCONT");
    return "alive";
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "gone";
    return "unknown";
  }
}

/** Age after which a temporary file whose writer cannot be checked is taken as stale (writes take seconds). */
export const STALE_AGE_MS = 15 * 60_000;

/** True when the writer `pid` of `path` is gone, or cannot be checked and `path` is older than {@link STALE_AGE_MS}. */
export function processGone(pid: number, path?: string): boolean {
  const state = processState(pid);
  if (state !== "unknown") return state === "gone";
  if (!path) return false;
  try {
    const m = Deno.lstatSync(path).mtime?.getTime();
    return m !== undefined && Date.now() - m > STALE_AGE_MS;
  } catch {
    return false;
  }
}

async function _exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * Put folder (or file) `src` in place of `dest` by renames only: an existing `dest` is first renamed to
 * `<dest>.old-<pid>-<hex>`, then `src` to `dest`, then the old copy is removed. A process killed between
 * the two renames leaves the old copy under that name, which {@link sweepStale} renames back.
 */
export async function replaceDir(src: string, dest: string): Promise<void> {
  let old: string | null = null;
  if (await _exists(dest)) {
    old = `${dest}.old-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
    await Deno.rename(dest, old);
  }
  try {
    await Deno.rename(src, dest);
  } catch (e) {
    if (old) await Deno.rename(old, dest).catch(() => {});
    throw new Error(`${dest}: cannot put ${src} in its place: ${(e as Error).message}`, { cause: e });
  }
  if (old) await Deno.remove(old, { recursive: true });
}

/** A pending set of renames (see lib/results/io.ts `writeFilesTogether`): temp file → final name. */
export interface CommitJournal {
  /** Pairs [temp name, final name], both within the journal's folder. */
  renames: [string, string][];
}

/** Complete a commit journal in `dir`: rename every temp file still there to its final name, then drop it. */
export async function completeJournal(dir: string, journal: string): Promise<void> {
  const j = JSON.parse(await Deno.readTextFile(`${dir}/${journal}`)) as CommitJournal;
  for (const [tmp, final] of j.renames) {
    if (tmp.includes("/") || final.includes("/")) {
      throw new Error(`${dir}/${journal}: a name leaves its folder`);
    }
    if (await _exists(`${dir}/${tmp}`)) await Deno.rename(`${dir}/${tmp}`, `${dir}/${final}`);
  }
  await Deno.remove(`${dir}/${journal}`);
}

const _PATTERNS: { re: RegExp; kind: "remove" | "old" | "journal" }[] = [
  { re: /^\..+\.(\d+)\.[0-9a-f]+\.commit\.json$/, kind: "journal" },
  { re: /^\..+\.(\d+)\.[0-9a-f]+\.tmp$/, kind: "remove" },
  { re: /^\.write-probe-(\d+)(?:-[0-9a-f]+)?\.tmp$/, kind: "remove" },
  { re: /^.+\.partial-(\d+)$/, kind: "remove" },
  { re: /^\.v\d+\.staging\.(\d+)$/, kind: "remove" },
  { re: /^.+\.old-(\d+)-[0-9a-f]+$/, kind: "old" },
];

/**
 * Clean up after dead writers in `dir` (and, with `recursive`, its sub-folders): complete their commit
 * journals, put back a folder whose replacement was interrupted, remove their temporary files and
 * folders. Returns the paths acted on; logs one notice per path. A missing `dir` is fine.
 */
export async function sweepStale(dir: string, opts: { recursive?: boolean } = {}): Promise<string[]> {
  const done: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return done;
    throw e;
  }
  // Journals first: their temp files must be renamed into place, not removed.
  entries.sort((a, b) => Number(b.name.endsWith(".commit.json")) - Number(a.name.endsWith(".commit.json")));
  for (const e of entries) {
    const path = `${dir}/${e.name}`;
    const p = _PATTERNS.find((x) => x.re.test(e.name));
    const pid = p ? Number(p.re.exec(e.name)![1]) : 0;
    // An interrupted replacement is put back at once when its folder is missing (the window is a rename).
    const orphanOld = p?.kind === "old" && processState(pid) !== "alive" &&
      !(await _exists(path.replace(/\.old-\d+-[0-9a-f]+$/, "")));
    if (p && (orphanOld || processGone(pid, path))) {
      if (p.kind === "journal") {
        if (!(await _exists(path))) continue;
        await completeJournal(dir, e.name);
        log(`${path}: completed the interrupted write of a dead process`);
      } else if (p.kind === "old") {
        const base = path.replace(/\.old-\d+-[0-9a-f]+$/, "");
        if (await _exists(base)) {
          await Deno.remove(path, { recursive: true });
          log(`${path}: removed the previous copy left by a dead process`);
        } else {
          await Deno.rename(path, base);
          log(`${base}: put back from ${path} (its replacement was interrupted)`);
        }
      } else {
        if (!(await _exists(path))) continue; // completed by a journal above
        await Deno.remove(path, { recursive: true });
        log(`${path}: removed a temporary file of a dead process`);
      }
      done.push(path);
    } else if (opts.recursive && e.isDirectory) {
      done.push(...await sweepStale(path, opts));
    }
  }
  return done;
}
