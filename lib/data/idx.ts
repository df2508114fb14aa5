/**
 * Reader for the IDX file format of MNIST (LeCun et al.): a 4-byte magic number
 * `0x00 0x00 <type> <ndims>`, then `ndims` big-endian uint32 sizes, then the values, big-endian,
 * in row-major order. MNIST images have magic 2051 (= 0x0803: unsigned bytes, 3 dims), labels 2049
 * (= 0x0801: unsigned bytes, 1 dim).
 *
 * Every malformed file is an Error whose message starts with the file name and names the problem.
 *
 * @module
 */

/** Magic number of an IDX file of unsigned-byte images (n × rows × cols): 0x00000803. */
export const IDX_MAGIC_IMAGES = 2051;
/** Magic number of an IDX file of unsigned-byte labels (n): 0x00000801. */
export const IDX_MAGIC_LABELS = 2049;

/** IDX value types by their type byte, with their size in bytes. */
export const IDX_TYPES = {
  0x08: { type: "ubyte", bytes: 1 },
  0x09: { type: "byte", bytes: 1 },
  0x0b: { type: "short", bytes: 2 },
  0x0c: { type: "int", bytes: 4 },
  0x0d: { type: "float", bytes: 4 },
  0x0e: { type: "double", bytes: 8 },
} as const;

/** Name of an IDX value type. */
export type IdxType = (typeof IDX_TYPES)[keyof typeof IDX_TYPES]["type"];

/** A parsed IDX file. */
export interface Idx {
  /** The magic number, `type << 8 | ndims` (2051 for MNIST images, 2049 for labels). */
  magic: number;
  /** Value type named by the type byte. */
  type: IdxType;
  /** Sizes of each dimension, outermost first. */
  dims: number[];
  /** The raw value bytes after the header (a view into the input, big-endian for multi-byte types). */
  data: Uint8Array;
}

function _describeMagic(magic: number): string {
  if (magic === IDX_MAGIC_IMAGES) return `${magic} (ubyte images, 3 dims)`;
  if (magic === IDX_MAGIC_LABELS) return `${magic} (ubyte labels, 1 dim)`;
  return `${magic} (0x${magic.toString(16).padStart(8, "0")})`;
}

/**
 * Parse IDX bytes. `fileName` only labels errors. When `expectMagic` is given (e.g.
 * {@link IDX_MAGIC_IMAGES}), any other magic number is an error.
 */
export function parseIdx(bytes: Uint8Array, fileName: string, expectMagic?: number): Idx {
  const fail = (problem: string): never => {
    throw new Error(`${fileName}: ${problem}`);
  };
  if (bytes.length < 4) fail(`truncated: ${bytes.length} bytes, an IDX header needs at least 4`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const gz = bytes[0] === 0x1f && bytes[1] === 0x8b
      ? "; it looks gzip-compressed, decompress it first"
      : "";
    fail(`wrong magic number ${_describeMagic(magic)}: not an IDX file (the first two bytes must be 0${gz})`);
  }
  if (expectMagic !== undefined && magic !== expectMagic) {
    fail(`wrong magic number ${_describeMagic(magic)}, expected ${_describeMagic(expectMagic)}`);
  }
  const typeInfo = IDX_TYPES[bytes[2] as keyof typeof IDX_TYPES];
  if (!typeInfo) {
    fail(`wrong magic number ${_describeMagic(magic)}: unknown IDX type byte 0x${bytes[2].toString(16)}`);
  }
  const ndims = bytes[3];
  if (ndims === 0) fail(`wrong magic number ${_describeMagic(magic)}: zero dimensions`);
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    fail(`truncated: header of ${ndims} dims needs ${headerBytes} bytes, file has ${bytes.length}`);
  }
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = count * typeInfo.bytes;
  const have = bytes.length - headerBytes;
  const shape = `${dims.join("×")}${typeInfo.bytes > 1 ? ` ${typeInfo.type}s × ${typeInfo.bytes}` : ""}`;
  if (have < expected) {
    fail(`truncated: header says ${shape} = ${expected} bytes of data, file has ${have}`);
  }
  if (have > expected) {
    fail(
      `size mismatch: header says ${shape} = ${expected} bytes of data, file has ${have} (${
        have - expected
      } extra)`,
    );
  }
  return { magic, type: typeInfo.type, dims, data: bytes.subarray(headerBytes) };
}

/** Read and parse an IDX file from disk (see {@link parseIdx}). */
export async function readIdxFile(path: string, expectMagic?: number): Promise<Idx> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read: ${(e as Error).message}`);
  }
  return parseIdx(bytes, path, expectMagic);
}

/** The values of an IDX file as numbers, decoded from big-endian into a typed array of its type. */
export function idxValues(
  idx: Idx,
): Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array {
  const v = new DataView(idx.data.buffer, idx.data.byteOffset, idx.data.byteLength);
  const decode = <T extends { [i: number]: number }>(out: T, size: number, get: (o: number) => number): T => {
    for (let i = 0, o = 0; o < idx.data.length; i++, o += size) out[i] = get(o);
    return out;
  };
  switch (idx.type) {
    case "ubyte":
      return idx.data;
    case "byte":
      return new Int8Array(idx.data.buffer, idx.data.byteOffset, idx.data.length);
    case "short":
      return decode(new Int16Array(idx.data.length / 2), 2, (o) => v.getInt16(o, false));
    case "int":
      return decode(new Int32Array(idx.data.length / 4), 4, (o) => v.getInt32(o, false));
    case "float":
      return decode(new Float32Array(idx.data.length / 4), 4, (o) => v.getFloat32(o, false));
    case "double":
      return decode(new Float64Array(idx.data.length / 8), 8, (o) => v.getFloat64(o, false));
  }
}
