/**
 * Progress lines on stderr (steps, loss, rate, ETA), throttled so long loops stay readable and stdout
 * stays free for piping. Silenced with the environment variable `HG_QUIET=1`.
 *
 * @module
 */

/** A throttled progress reporter for one loop of `total` steps. */
export interface Progress {
  /** Report that `done` of `total` steps are finished; `extra` is appended (e.g. `loss 0.0123`). */
  update(done: number, extra?: string): void;
  /** Print a final line with the elapsed time. */
  finish(extra?: string): void;
}

const _enc = new TextEncoder();

function _quiet(): boolean {
  try {
    return Deno.env.get("HG_QUIET") === "1";
  } catch {
    return false;
  }
}

/** Write one line to stderr (unless `HG_QUIET=1`). */
export function log(line: string): void {
  if (!_quiet()) Deno.stderr.writeSync(_enc.encode(line + "\n"));
}

/** Format seconds as `1h02m`, `3m05s` or `12.3s`. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${s.toFixed(1)}s`;
}

/** Start a progress reporter labelled `label`; prints at most once every `everyMs` (default 2 s). */
export function progress(label: string, total: number, everyMs = 2000): Progress {
  const t0 = performance.now();
  let last = -Infinity;
  return {
    update(done: number, extra = "") {
      const now = performance.now();
      if (now - last < everyMs && done < total) return;
      last = now;
      const el = (now - t0) / 1000;
      const eta = done > 0 ? (el / done) * (total - done) : NaN;
      log(
        `${label} ${done}/${total}${extra ? " " + extra : ""} | ${formatSeconds(el)} elapsed, ETA ${
          formatSeconds(eta)
        }`,
      );
    },
    finish(extra = "") {
      log(`${label} done in ${formatSeconds((performance.now() - t0) / 1000)}${extra ? " " + extra : ""}`);
    },
  };
}
