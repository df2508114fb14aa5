/**
 * Checkpoints of a training run: a directory holding two files.
 *
 * - `weights.bin`: the float32 little-endian concatenation of all tensors, in the order listed in the
 *   manifest (for a training state: parameters, EMA parameters, Adam first moments, Adam second
 *   moments, each in the network's fixed parameter order; see lib/training/train.ts).
 * - `manifest.json`: {@link CheckpointManifest}: `format` = {@link CHECKPOINT_FORMAT}, the configs,
 *   `step`, `imagesSeen`, the RNG position (`rng: {seed, step}`: every random draw of step s is
 *   derived from (seed, s), so the step number is the whole RNG state), `tensors`
 *   [{name, shape, offset (bytes into weights.bin), length (float32 values)}], `weightsBytes` and the
 *   hex `sha256` of weights.bin.
 *
 * Writes are atomic per file (a temporary file in the same directory, then a rename) and ordered:
 * weights.bin first, manifest.json last, so a manifest never describes weights that are not there
 * yet. A crash between the two renames leaves a new weights.bin beside the old manifest: the size or
 * sha256 check then fails on load, loudly, rather than returning mixed weights. Loading checks the
 * format, the size and the sha256 of weights.bin and that the tensor table tiles the file; every
 * error names the file.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { writeFileAtomic } from "../results/io.ts";
import type { NamedArray } from "../denoisers/unet.ts";

/** Format tag written into every manifest. */
export const CHECKPOINT_FORMAT = "hidden-gaussian-checkpoint/1";

/** Name of the weights file inside a checkpoint directory. */
export const WEIGHTS_FILE = "weights.bin";

/** Name of the manifest file inside a checkpoint directory. */
export const MANIFEST_FILE = "manifest.json";

/** One tensor's place in weights.bin. */
export interface TensorEntry {
  /** Tensor name, e.g. `params/enc0.conv0.w`. */
  name: string;
  /** Shape. */
  shape: number[];
  /** Byte offset into weights.bin. */
  offset: number;
  /** Number of float32 values (product of `shape`). */
  length: number;
}

/** The contents of manifest.json. */
export interface CheckpointManifest {
  /** Always {@link CHECKPOINT_FORMAT}. */
  format: typeof CHECKPOINT_FORMAT;
  /** Everything that configured the run (network and training configs). */
  config: Record<string, unknown>;
  /** Optimizer steps completed. */
  step: number;
  /** Training images seen (step × batch size). */
  imagesSeen: number;
  /** RNG position for resuming: per-step draws derive from (seed, step). */
  rng: { seed: number; step: number };
  /** Extra state (e.g. the early losses behind the divergence check). */
  extra: Record<string, unknown>;
  /** The tensor table, in file order. */
  tensors: TensorEntry[];
  /** Size of weights.bin in bytes. */
  weightsBytes: number;
  /** Hex sha256 of weights.bin. */
  sha256: string;
}

/** What {@link writeCheckpoint} stores. */
export interface CheckpointPayload {
  /** Configs (JSON-serialisable). */
  config: Record<string, unknown>;
  /** Steps completed. */
  step: number;
  /** Images seen. */
  imagesSeen: number;
  /** Seed of the run. */
  seed: number;
  /** Extra JSON state. */
  extra?: Record<string, unknown>;
  /** Tensors, in the order they are written. */
  tensors: NamedArray[];
}

/** A damaged, truncated or mismatched checkpoint; the message names the file. */
export class CheckpointError extends Error {
  /** Make the error for `file` with `problem`. */
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = "CheckpointError";
  }
}

const _LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function _sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function _encode(tensors: NamedArray[]): { bytes: Uint8Array; entries: TensorEntry[] } {
  const entries: TensorEntry[] = [];
  let total = 0;
  const names = new Set<string>();
  for (const t of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) {
      throw new RangeError(`checkpoint: tensor ${t.name} has ${t.data.length} values, shape [${t.shape}]`);
    }
    if (names.has(t.name)) throw new RangeError(`checkpoint: duplicate tensor name ${t.name}`);
    names.add(t.name);
    entries.push({ name: t.name, shape: [...t.shape], offset: total * 4, length: size });
    total += size;
  }
  const bytes = new Uint8Array(total * 4);
  const view = new DataView(bytes.buffer);
  for (let k = 0; k < tensors.length; k++) {
    const { data } = tensors[k];
    const off = entries[k].offset;
    if (_LITTLE_ENDIAN) bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), off);
    else for (let i = 0; i < data.length; i++) view.setFloat32(off + 4 * i, data[i], true);
  }
  return { bytes, entries };
}

/**
 * Write a checkpoint into directory `dir` (created if needed): weights.bin, then manifest.json,
 * each atomically. Returns the manifest written.
 */
export async function writeCheckpoint(dir: string, payload: CheckpointPayload): Promise<CheckpointManifest> {
  await Deno.mkdir(dir, { recursive: true });
  const { bytes, entries } = _encode(payload.tensors);
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    config: payload.config,
    step: payload.step,
    imagesSeen: payload.imagesSeen,
    rng: { seed: payload.seed, step: payload.step },
    extra: payload.extra ?? {},
    tensors: entries,
    weightsBytes: bytes.length,
    sha256: _sha256(bytes),
  };
  await writeFileAtomic(`${dir}/${WEIGHTS_FILE}`, bytes);
  await writeFileAtomic(
    `${dir}/${MANIFEST_FILE}`,
    new TextEncoder().encode(JSON.stringify(manifest, null, 1)),
  );
  return manifest;
}

/** Read and check manifest.json of checkpoint `dir`. */
export async function readManifest(dir: string): Promise<CheckpointManifest> {
  const path = `${dir}/${MANIFEST_FILE}`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new CheckpointError(path, `cannot read: ${(e as Error).message}`);
  }
  let m: CheckpointManifest;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(path, `not valid JSON (${(e as Error).message})`);
  }
  if (m?.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(
      path,
      `format is ${JSON.stringify(m?.format)}, expected "${CHECKPOINT_FORMAT}"`,
    );
  }
  if (!Array.isArray(m.tensors) || typeof m.sha256 !== "string" || !Number.isInteger(m.weightsBytes)) {
    throw new CheckpointError(path, "missing tensors, weightsBytes or sha256");
  }
  if (typeof m.config !== "object" || m.config === null || !Number.isInteger(m.step) || m.step < 0) {
    throw new CheckpointError(path, "missing config or step");
  }
  let expect = 0;
  for (const [i, t] of m.tensors.entries()) {
    const okShape = Array.isArray(t?.shape) &&
      t.shape.every((x: unknown) => Number.isInteger(x) && (x as number) >= 0);
    if (typeof t?.name !== "string" || !okShape) {
      throw new CheckpointError(
        path,
        `tensor table entry ${i} (${JSON.stringify(t?.name)}) has shape ${
          JSON.stringify(t?.shape)
        }, not a list of sizes`,
      );
    }
    const size = t.shape.reduce((a: number, b: number) => a * b, 1);
    if (t.offset !== expect || t.length !== size) {
      throw new CheckpointError(path, `tensor table entry ${t.name} does not tile ${WEIGHTS_FILE}`);
    }
    expect += 4 * size;
  }
  if (expect !== m.weightsBytes) {
    throw new CheckpointError(
      path,
      `tensor table covers ${expect} bytes, weightsBytes says ${m.weightsBytes}`,
    );
  }
  return m;
}

/**
 * Read checkpoint `dir`: the manifest and every tensor, after checking the size and sha256 of
 * weights.bin against the manifest (a {@link CheckpointError} naming the file otherwise).
 */
export async function readCheckpoint(
  dir: string,
): Promise<{ manifest: CheckpointManifest; tensors: NamedArray[] }> {
  const manifest = await readManifest(dir);
  const path = `${dir}/${WEIGHTS_FILE}`;
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new CheckpointError(path, `cannot read: ${(e as Error).message}`);
  }
  if (bytes.length !== manifest.weightsBytes) {
    throw new CheckpointError(
      path,
      `size ${bytes.length} bytes, the manifest says ${manifest.weightsBytes} (truncated or replaced)`,
    );
  }
  const sha = _sha256(bytes);
  if (sha !== manifest.sha256) {
    throw new CheckpointError(
      path,
      `sha256 ${sha} does not match the manifest's ${manifest.sha256} (altered)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tensors = manifest.tensors.map((t) => {
    const data = new Float32Array(t.length);
    if (_LITTLE_ENDIAN) {
      data.set(
        new Float32Array(
          bytes.buffer.slice(bytes.byteOffset + t.offset, bytes.byteOffset + t.offset + 4 * t.length),
        ),
      );
    } else for (let i = 0; i < t.length; i++) data[i] = view.getFloat32(t.offset + 4 * i, true);
    return { name: t.name, shape: [...t.shape], data };
  });
  return { manifest, tensors };
}
