/**
 * Training-step benchmark: ms per training step (median of N after warm-up) and images/s for small
 * conv nets on every tfjs tier — wasm as shipped, wasm + portable kernel replacements (with and
 * without the WebAssembly SIMD kernels of lib/kernels/wasm/), native BLAS (lib/kernels/), native with oneDNN convolutions (`dnnl`, blocked layouts, or `dnnl-nhwc` on the NHWC buffers) — and the
 * same net and step in PyTorch (bench/torch_reference.py), with ratios, plus a per-kernel profile of
 * one step. Markdown on stdout, progress on stderr.
 *
 *   deno run -A bench/train_bench.ts [--nets convnet,unet8,unet16] [--res 16,28] [--batch 64]
 *     [--steps 10] [--warmup 3] [--repeat 1] [--no-profile] [--unet-module path.ts]
 *     [--paths shipped,portable,portable-js,native,native-js,dnnl,dnnl-nhwc,dnnl-1t,native-1t,native-1t-js,native-cpu,torch,torch-1t]
 *     [--optimizer fused,unfused,tfjs]
 *
 * A path may name its own optimiser, `path:optimizer` (e.g. `portable-js:unfused`, the portable tier
 * as it was before the SIMD kernels and the fused step), overriding `--optimizer` for that path.
 * `-js` paths run with `HG_WASM_SIMD=0` (the JavaScript passes in place of the SIMD kernels).
 *
 * The step is lib/training/train.ts' step: loss, gradients, Adam, then the EMA of the weights. The
 * optimiser (`--optimizer`, a list: one column per tfjs path and optimiser) is `fused` (default;
 * lib/training/fused_adam.ts, what train.ts runs), `unfused` (adamStep + emaUpdate as tfjs kernels,
 * train.ts before the fused step) or `tfjs` (`tf.train.adam`, no EMA). PyTorch runs Adam and, unless
 * the only optimiser is `tfjs`, EDM's EMA update (`p_ema.copy_(p.lerp(p_ema, β))` per tensor).
 *
 * Each (net, resolution, path) runs in its own process, so kernel registrations and memory do not
 * leak between cases. The machine is shared: numbers are rough, repeat and compare medians.
 *
 * Nets (identical in bench/torch_reference.py):
 * - `convnet` (the probe net of docs/scale.md, "The platform"): conv3×3 1→32, conv3×3 32→64 stride 2, conv3×3 64→64, nearest ×2,
 *   conv3×3 64→32, conv3×3 32→1; SiLU between, biases; MSE denoising loss at σ = 0.5. `convnet64`
 *   doubles every width. The ×2 upsampling is lib/denoisers/unet.ts' `upsampleNearest2`.
 * - `unetC`: lib/denoisers/unet.ts with base channels C, no attention, EDM loss (log-normal σ,
 *   P_mean −1.2, P_std 1.2, weight (σ² + σ_d²)/(σ·σ_d)²).
 *
 * @module
 */
import { parseArgs } from "node:util";
import process from "node:process";
import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../lib/rng.ts";

/** Where a step runs. */
type PathName =
  | "shipped"
  | "portable"
  | "portable-js"
  | "native"
  | "native-js"
  | "dnnl"
  | "dnnl-nhwc"
  | "dnnl-1t"
  | "native-1t"
  | "native-1t-js"
  | "native-cpu"
  | "torch"
  | "torch-1t";

/** The optimiser step of a tfjs path (see the module doc). */
type OptimizerName = "fused" | "unfused" | "tfjs";

const OPTIMIZERS: readonly OptimizerName[] = ["fused", "unfused", "tfjs"];

const PATH_LABEL: Record<PathName, string> = {
  shipped: "wasm as shipped",
  portable: "wasm + portable kernels",
  "portable-js": "wasm + portable kernels, no SIMD kernels",
  native: "wasm + BLAS kernels",
  "native-js": "wasm + BLAS kernels, no SIMD kernels",
  "native-1t": "wasm + BLAS kernels, 1 BLAS thread",
  "native-1t-js": "wasm + BLAS kernels, 1 BLAS thread, no SIMD kernels",
  dnnl: "wasm + oneDNN convs + BLAS",
  "dnnl-nhwc": "wasm + oneDNN convs on NHWC + BLAS",
  "dnnl-1t": "wasm + oneDNN convs + BLAS, 1 thread",
  "native-cpu": "cpu + BLAS kernels",
  torch: "PyTorch (2 threads)",
  "torch-1t": "PyTorch (1 thread)",
};

/** One benchmark case, as passed to a worker process. */
interface Case {
  net: string;
  res: number;
  batch: number;
  path: PathName;
  /** Optimiser of a tfjs path. */
  optimizer: OptimizerName;
  /** PyTorch: update an EMA of the weights after Adam. */
  ema: boolean;
  steps: number;
  warmup: number;
  profile: boolean;
  seed: number;
  /** Threads for BLAS (native paths) or torch. */
  threads: number;
  /** Module with `initUNet` and `unetNetwork` (default lib/denoisers/unet.ts), to bench a candidate. */
  unetModule?: string;
}

/** A worker's answer. */
interface CaseResult {
  ok: boolean;
  error?: string;
  params?: number;
  stepMs?: number[];
  medianMs?: number;
  /** Process CPU time per measured step (all threads), ms: robust to other load on the machine. */
  cpuMs?: number[];
  medianCpuMs?: number;
  kernels?: string[];
  /** Kernel name → ms in the profiled step. */
  profile?: Record<string, number>;
  /** Wall time of the profiled step. */
  profileStepMs?: number;
  /** Backend kernels run in the profiled step. */
  profileKernels?: number;
  /** Median ms of the optimiser part of a step (tfjs paths). */
  optMs?: number;
  threads?: number;
}

const _SELF = new URL(import.meta.url).pathname;
const _TORCH = new URL("./torch_reference.py", import.meta.url).pathname;

function _log(msg: string): void {
  console.error(`[train_bench] ${msg}`);
}

function _median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// ---- nets (tfjs) ---------------------------------------------------------------------------------

interface TfNet {
  vars: tf.Variable[];
  loss: () => tf.Scalar;
}

function _uniform(rng: Rng, size: number, a: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = a * (2 * rng.uniform() - 1);
  return out;
}

function _silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

function _images(rng: Rng, batch: number, res: number): tf.Tensor4D {
  return tf.tensor4d(_uniform(rng, batch * res * res, 1), [batch, res, res, 1]);
}

function _normals(rng: Rng, size: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.normal();
  return out;
}

async function _convnet(c: Case, width: number): Promise<TfNet> {
  const { upsampleNearest2 } = await import("../lib/denoisers/unet.ts");
  const rng = new Rng(c.seed);
  const chans: [number, number, number][] = [
    [1, width, 1],
    [width, 2 * width, 2],
    [2 * width, 2 * width, 1],
    [
      2 * width,
      width,
      1,
    ],
    [width, 1, 1],
  ];
  const vars: tf.Variable[] = [];
  for (const [cin, cout] of chans) {
    const a = Math.sqrt(6 / (9 * cin + 9 * cout));
    vars.push(tf.variable(tf.tensor4d(_uniform(rng, 9 * cin * cout, a), [3, 3, cin, cout])));
    vars.push(tf.variable(tf.zeros([cout])));
  }
  const x = _images(rng, c.batch, c.res);
  const noisy = tf.add(x, tf.mul(tf.tensor4d(_normals(rng, x.size), x.shape), 0.5));
  const forward = (inp: tf.Tensor4D): tf.Tensor4D => {
    let h: tf.Tensor4D = inp;
    for (let l = 0; l < chans.length; l++) {
      if (l === 3) h = upsampleNearest2(h);
      h = tf.add(
        tf.conv2d(h, vars[2 * l] as tf.Tensor4D, chans[l][2], "same"),
        vars[2 * l + 1],
      ) as tf.Tensor4D;
      if (l < chans.length - 1) h = _silu(h) as tf.Tensor4D;
    }
    return h;
  };
  return { vars, loss: () => tf.mean(tf.square(tf.sub(forward(noisy as tf.Tensor4D), x))) as tf.Scalar };
}

async function _unet(c: Case, base: number): Promise<TfNet> {
  const mod = c.unetModule ? new URL(c.unetModule, `file://${Deno.cwd()}/`).href : "../lib/denoisers/unet.ts";
  const { initUNet, unetNetwork } = await import(mod) as typeof import("../lib/denoisers/unet.ts");
  const { edmDenoiser, SIGMA_DATA } = await import("../lib/denoisers/edm.ts");
  const config = { resolution: c.res, channels: 1, baseChannels: base, attention: false, dropout: 0 };
  const params = initUNet(config, c.seed);
  const vars = params.map((p) => tf.variable(tf.tensor(p.data, p.shape), true, p.name));
  const named: Record<string, tf.Tensor> = {};
  params.forEach((p, i) => named[p.name] = vars[i]);
  const rng = new Rng(c.seed + 1);
  const x = _images(rng, c.batch, c.res);
  const sigma = new Float32Array(c.batch);
  for (let i = 0; i < c.batch; i++) sigma[i] = Math.exp(-1.2 + 1.2 * rng.normal());
  const sig = tf.tensor1d(sigma);
  const noise = tf.mul(tf.tensor4d(_normals(rng, x.size), x.shape), tf.reshape(sig, [c.batch, 1, 1, 1]));
  const sd2 = SIGMA_DATA * SIGMA_DATA;
  const weight = tf.reshape(tf.div(tf.add(tf.square(sig), sd2), tf.mul(tf.square(sig), sd2)), [
    c.batch,
    1,
    1,
    1,
  ]);
  const denoise = edmDenoiser(unetNetwork(config, named as Record<string, tf.Tensor>));
  const y = tf.add(x, noise) as tf.Tensor4D;
  return {
    vars,
    loss: () => tf.mean(tf.mul(weight, tf.square(tf.sub(denoise(y, sig as tf.Tensor1D), x)))) as tf.Scalar,
  };
}

async function _makeNet(c: Case): Promise<TfNet> {
  if (c.net === "convnet") return await _convnet(c, 32);
  if (c.net === "convnet64") return await _convnet(c, 64);
  const m = /^unet(\d+)$/.exec(c.net);
  if (m) return await _unet(c, Number(m[1]));
  throw new Error(`bench/train_bench.ts: unknown net '${c.net}' (convnet, convnet64, unet<C>)`);
}

// ---- worker ----------------------------------------------------------------------------------------

async function _worker(c: Case): Promise<CaseResult> {
  const { registerTrainingGradients } = await import("../lib/training/gradients.ts");
  const { registerKernelReplacements } = await import("../lib/kernels/mod.ts");
  const backendName = c.path === "native-cpu" ? "cpu" : "wasm";
  if (backendName === "wasm") await import("@tensorflow/tfjs-backend-wasm");
  else await import("@tensorflow/tfjs-backend-cpu");
  registerTrainingGradients();
  const dnnl = c.path.startsWith("dnnl");
  const native = c.path.startsWith("native") || dnnl;
  if (dnnl) {
    const { setDnnlLayout } = await import("../lib/kernels/dnnl_conv.ts");
    setDnnlLayout(c.path === "dnnl-nhwc" ? "nhwc" : "blocked");
  }
  const kernels = c.path === "shipped" ? [] : registerKernelReplacements(backendName, { blas: native, dnnl });
  if (native) {
    if (!kernels.some((k) => k.endsWith(":blas"))) return { ok: false, error: "native BLAS did not load" };
    if (dnnl && !kernels.some((k) => k.endsWith(":dnnl"))) return { ok: false, error: "oneDNN did not load" };
    const { setBlasThreads, blasInfo } = await import("../lib/linalg/blas.ts");
    setBlasThreads(c.threads);
    _log(`BLAS: ${blasInfo().version}, ${blasInfo().threads} threads`);
    if (dnnl) {
      const { describeDnnl, dnnlInfo, setDnnlThreads } = await import("../lib/kernels/dnnl.ts");
      setDnnlThreads(c.threads);
      _log(`convolutions: ${describeDnnl(dnnlInfo())}`);
    }
  }
  if (!(await tf.setBackend(backendName))) return { ok: false, error: `backend ${backendName} failed` };
  await tf.ready();
  const net = await _makeNet(c);
  const params = net.vars.reduce((s, v) => s + v.size, 0);
  const { fusedAdamEmaStep, unfusedAdamEmaStep } = await import("../lib/training/fused_adam.ts");
  const state = (zero: boolean) =>
    c.optimizer === "tfjs"
      ? []
      : net.vars.map((x) => tf.variable(zero ? tf.zerosLike(x) : tf.clone(x), false));
  const [m, v, ema] = [state(true), state(true), state(false)];
  const opt = c.optimizer === "tfjs" ? tf.train.adam(1e-3) : null;
  let t = 0;
  let optMs = 0;
  const step = () => {
    const { value, grads } = tf.variableGrads(net.loss, net.vars);
    value.dataSync();
    value.dispose();
    const t0 = performance.now();
    if (opt !== null) opt.applyGradients(net.vars.map((x) => ({ name: x.name, tensor: grads[x.name] })));
    else {
      const g = net.vars.map((x) => grads[x.name]);
      t++;
      if (c.optimizer === "fused") fusedAdamEmaStep(net.vars, g, m, v, ema, t, 1e-3, 0.999);
      else unfusedAdamEmaStep(net.vars, g, m, v, ema, t, 1e-3, 0.999);
    }
    optMs = performance.now() - t0;
    tf.dispose(grads);
  };
  const stepMs: number[] = [];
  const optTimes: number[] = [];
  const cpuMs: number[] = [];
  try {
    for (let i = 0; i < c.warmup + c.steps; i++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      step();
      const dt = performance.now() - t0;
      const cu = process.cpuUsage(c0);
      if (i >= c.warmup) {
        stepMs.push(dt);
        optTimes.push(optMs);
        cpuMs.push((cu.user + cu.system) / 1000);
      }
      _log(`${c.net}@${c.res} ${c.path}: step ${i + 1}/${c.warmup + c.steps} ${dt.toFixed(1)} ms`);
    }
  } catch (e) {
    return { ok: false, error: (e instanceof Error ? e.message : String(e)).split("\n")[0], params, kernels };
  }
  let profile: Record<string, number> | undefined;
  let profileStepMs: number | undefined;
  let profileKernels: number | undefined;
  if (c.profile) {
    const t0 = performance.now();
    const info = await tf.profile(step);
    profileStepMs = performance.now() - t0;
    profile = {};
    profileKernels = 0;
    for (const k of info.kernels) {
      // tf.customGrad wraps its forward pass in a pseudo-kernel ("forward", "fusedConv2d__op", …)
      // whose inner kernels are profiled too: skip wrappers so nothing is counted twice.
      if (tf.getKernel(k.name, backendName) === undefined) continue;
      profileKernels++;
      const ms = await k.kernelTimeMs;
      const t = typeof ms === "number" ? ms : 0;
      profile[k.name] = (profile[k.name] ?? 0) + t;
    }
  }
  return {
    ok: true,
    params,
    stepMs,
    medianMs: _median(stepMs),
    kernels,
    profile,
    profileStepMs,
    profileKernels,
    optMs: _median(optTimes),
    cpuMs,
    medianCpuMs: _median(cpuMs),
  };
}

// ---- main --------------------------------------------------------------------------------------------

async function _runCase(c: Case): Promise<CaseResult> {
  const cmd = c.path.startsWith("torch")
    ? new Deno.Command("/usr/bin/python3", { args: [_TORCH, "--json", JSON.stringify(c)], stderr: "inherit" })
    : new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", _SELF, "--worker", JSON.stringify(c)],
      stderr: "inherit",
      env: c.path.endsWith("-js") ? { HG_WASM_SIMD: "0" } : {},
    });
  let out: Deno.CommandOutput;
  try {
    out = await cmd.output();
  } catch (e) {
    return { ok: false, error: `could not start: ${e instanceof Error ? e.message : e}` };
  }
  const text = new TextDecoder().decode(out.stdout);
  const line = text.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) return { ok: false, error: `exit ${out.code}, no result` };
  return JSON.parse(line.slice(7)) as CaseResult;
}

function _torchAvailable(): boolean {
  try {
    const r = new Deno.Command("/usr/bin/python3", {
      args: ["-c", "import torch"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync();
    return r.success;
  } catch {
    return false;
  }
}

function _load(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "?";
  }
}

function _cell(r: CaseResult | undefined, batch: number): string {
  if (r === undefined) return "—";
  if (!r.ok) return `fails: ${(r.error ?? "").slice(0, 60)}`;
  const ms = r.medianMs!;
  return `${ms.toFixed(1)} ms (${(batch / (ms / 1000)).toFixed(0)} img/s)`;
}

function _ratio(a: CaseResult | undefined, b: CaseResult | undefined): string {
  if (!a?.ok || !b?.ok) return "—";
  return `${(a.medianMs! / b.medianMs!).toFixed(2)}×`;
}

/** A column of the tables: a path and, for tfjs paths, an optimiser. */
interface Column {
  path: PathName;
  optimizer: OptimizerName;
  label: string;
}

function _isTorch(p: PathName): boolean {
  return p.startsWith("torch");
}

function _columns(specs: string[], optimizers: OptimizerName[]): Column[] {
  const cols: Column[] = [];
  const tagged = specs.some((s) => s.includes(":")) || optimizers.length > 1;
  for (const spec of specs) {
    const [path, own] = spec.split(":") as [PathName, OptimizerName | undefined];
    if (!(path in PATH_LABEL)) throw new Error(`bench/train_bench.ts: unknown path '${path}'`);
    if (own !== undefined && !OPTIMIZERS.includes(own)) {
      throw new Error(
        `bench/train_bench.ts: unknown optimizer '${own}' in '${spec}' (${OPTIMIZERS.join(", ")})`,
      );
    }
    if (_isTorch(path)) {
      cols.push({ path, optimizer: optimizers[0], label: PATH_LABEL[path] });
      continue;
    }
    for (const optimizer of own !== undefined ? [own] : optimizers) {
      const label = tagged ? `${PATH_LABEL[path]} [${optimizer}]` : PATH_LABEL[path];
      cols.push({ path, optimizer, label });
    }
  }
  return cols;
}

function _colKey(net: string, res: number, c: Column): string {
  return `${net}|${res}|${c.path}|${_isTorch(c.path) ? "" : c.optimizer}`;
}

function _profileTable(cols: Column[], get: (c: Column) => CaseResult, top = 14): string[] {
  const totals = new Map<string, number>();
  for (const c of cols) {
    for (const [k, v] of Object.entries(get(c).profile!)) totals.set(k, Math.max(totals.get(k) ?? 0, v));
  }
  const names = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
  const sumOf = (c: Column, ks: string[]) => ks.reduce((s, k) => s + (get(c).profile![k] ?? 0), 0);
  const row = (label: string, f: (c: Column) => string) => `| ${label} | ${cols.map(f).join(" | ")} |`;
  const lines = [`| kernel | ${cols.map((c) => c.label).join(" | ")} |`];
  lines.push(`| --- | ${cols.map(() => "---:").join(" | ")} |`);
  for (const k of names.slice(0, top)) lines.push(row(k, (c) => get(c).profile![k]?.toFixed(1) ?? ""));
  lines.push(row("(other kernels)", (c) => sumOf(c, names.slice(top)).toFixed(1)));
  lines.push(row("all kernels", (c) => sumOf(c, names).toFixed(1)));
  lines.push(row("step wall time (profiled)", (c) => get(c).profileStepMs!.toFixed(1)));
  if (cols.every((c) => get(c).profileKernels === undefined)) return lines; // PyTorch: no more rows
  lines.push(
    row("outside kernels (fused optimiser, JS, dispatch)", (c) => {
      const r = get(c);
      return r.profileKernels === undefined ? "" : (r.profileStepMs! - sumOf(c, names)).toFixed(1);
    }),
  );
  lines.push(row("kernels run", (c) => String(get(c).profileKernels ?? "")));
  lines.push(row("optimiser part of a step (median, unprofiled)", (c) => get(c).optMs?.toFixed(1) ?? ""));
  return lines;
}

async function _main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      nets: { type: "string", default: "convnet,unet8,unet16" },
      res: { type: "string", default: "16,28" },
      batch: { type: "string", default: "64" },
      steps: { type: "string", default: "10" },
      warmup: { type: "string", default: "3" },
      paths: { type: "string", default: "shipped,portable,portable-js,native,dnnl,torch" },
      optimizer: { type: "string", default: "fused" },
      "no-profile": { type: "boolean", default: false },
      repeat: { type: "string", default: "1" },
      "unet-module": { type: "string" },
      worker: { type: "string" },
    },
  });
  if (values.worker !== undefined) {
    const r = await _worker(JSON.parse(values.worker) as Case);
    console.log(`RESULT ${JSON.stringify(r)}`);
    return;
  }
  const nets = values.nets.split(",");
  const resList = values.res.split(",").map(Number);
  const batch = Number(values.batch);
  let specs = values.paths.split(",");
  const optimizers = values.optimizer.split(",") as OptimizerName[];
  for (const o of optimizers) {
    if (!OPTIMIZERS.includes(o)) {
      throw new Error(`bench/train_bench.ts: unknown optimizer '${o}' (${OPTIMIZERS.join(", ")})`);
    }
  }
  const torchEma = optimizers.some((o) => o !== "tfjs") ||
    specs.some((s) => s.includes(":") && !s.endsWith(":tfjs"));
  if (specs.some((s) => _isTorch(s as PathName)) && !_torchAvailable()) {
    _log("PyTorch not importable with /usr/bin/python3: skipping the torch columns");
    specs = specs.filter((s) => !_isTorch(s as PathName));
  }
  const cols = _columns(specs, optimizers);
  const loadBefore = _load();
  const results = new Map<string, CaseResult>();
  const repeat = Number(values.repeat);
  // Columns alternate within each repeat, so every column sees similar load from other work.
  for (let rep = 0; rep < repeat; rep++) {
    for (const net of nets) {
      for (const res of resList) {
        for (const col of cols) {
          const key = _colKey(net, res, col);
          const prev = results.get(key);
          if (prev !== undefined && !prev.ok) continue;
          const c: Case = {
            net,
            res,
            batch,
            path: col.path,
            optimizer: col.optimizer,
            ema: torchEma,
            steps: Number(values.steps),
            warmup: Number(values.warmup),
            profile: rep === repeat - 1 && !values["no-profile"] && col.path !== "shipped",
            seed: 1234,
            threads: col.path.includes("-1t") ? 1 : 2,
            unetModule: values["unet-module"],
          };
          _log(`case ${net}@${res} B=${batch} on ${col.label} (repeat ${rep + 1}/${repeat})`);
          const r = await _runCase(c);
          if (!r.ok) _log(`  -> ${r.error}`);
          if (prev?.ok && r.ok) {
            r.stepMs = [...prev.stepMs!, ...r.stepMs!];
            r.medianMs = _median(r.stepMs);
            r.cpuMs = [...prev.cpuMs ?? [], ...r.cpuMs ?? []];
            r.medianCpuMs = r.cpuMs.length > 0 ? _median(r.cpuMs) : undefined;
          }
          results.set(key, r);
        }
      }
    }
  }
  const loadAfter = _load();
  const lines: string[] = [];
  lines.push(
    `## Training step (loss, gradients, Adam${torchEma ? ", EMA" : ""}), batch ${batch}: median of ` +
      `${values.repeat} × ${values.steps} steps (each run after ${values.warmup} warm-up steps)`,
  );
  lines.push("");
  lines.push(`Load average before/after: ${loadBefore} / ${loadAfter} (2 shared cores: rough numbers).`);
  lines.push("");
  const refs = cols.filter((c) => _isTorch(c.path));
  const tfjsCols = cols.filter((c) => !_isTorch(c.path) && c.path !== "shipped");
  const ratios = refs.flatMap((ref) => tfjsCols.map((c) => [c, ref]));
  const head = ["net", "res", "params", ...cols.map((c) => c.label)];
  head.push(...ratios.map(([c, ref]) => `${c.label} / ${ref.label}`));
  lines.push(`| ${head.join(" | ")} |`);
  lines.push(`| ${head.map(() => "---").join(" | ")} |`);
  for (const net of nets) {
    for (const res of resList) {
      const row = cols.map((c) => results.get(_colKey(net, res, c)));
      const params = row.find((r) => r?.params !== undefined)?.params ?? "?";
      const cells = [
        net,
        `${res}×${res}`,
        String(params),
        ...row.map((r) => _cell(r, batch)),
        ...ratios.map(([c, ref]) =>
          _ratio(results.get(_colKey(net, res, c)), results.get(_colKey(net, res, ref)))
        ),
      ];
      lines.push(`| ${cells.join(" | ")} |`);
    }
  }
  if (refs.length) {
    lines.push("");
    lines.push(
      "Process CPU time per step (ms, all threads; less sensitive to other load than wall time), and its ratio:",
    );
    lines.push("");
    const cpuHead = [
      "net",
      "res",
      ...cols.map((c) => c.label),
      ...ratios.map(([c, ref]) => `${c.label} / ${ref.label}`),
    ];
    lines.push(`| ${cpuHead.join(" | ")} |`);
    lines.push(`| ${cpuHead.map(() => "---").join(" | ")} |`);
    const cpuOf = (r: CaseResult | undefined) =>
      r?.ok && r.medianCpuMs !== undefined ? r.medianCpuMs : undefined;
    for (const net of nets) {
      for (const res of resList) {
        const cells = cols.map((c) => cpuOf(results.get(_colKey(net, res, c)))?.toFixed(1) ?? "—");
        const rs = ratios.map(([c, ref]) => {
          const v = cpuOf(results.get(_colKey(net, res, c)));
          const t = cpuOf(results.get(_colKey(net, res, ref)));
          return v !== undefined && t !== undefined ? `${(v / t).toFixed(2)}×` : "—";
        });
        lines.push(`| ${[net, `${res}×${res}`, ...cells, ...rs].join(" | ")} |`);
      }
    }
  }
  for (const net of nets) {
    for (const res of resList) {
      const got = (c: Column) => results.get(_colKey(net, res, c));
      const tfjsCols = cols.filter((c) => !_isTorch(c.path) && got(c)?.profile);
      const torchCols = cols.filter((c) => _isTorch(c.path) && got(c)?.profile);
      const groups: [string, Column[]][] = [
        ["tf.profile", tfjsCols],
        ["torch.autograd.profiler, self CPU time", torchCols],
      ];
      for (const [label, group] of groups) {
        if (group.length === 0) continue;
        lines.push("");
        lines.push(`### Per-kernel time in one step: ${net} at ${res}×${res} (ms; ${label})`);
        lines.push("");
        lines.push(..._profileTable(group, (c) => got(c)!));
      }
    }
  }
  console.log(lines.join("\n"));
}

if (import.meta.main) await _main();
