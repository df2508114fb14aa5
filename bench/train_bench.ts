/**
 * Training-step benchmark: ms per Adam step (median of N after warm-up) and images/s for small conv
 * nets on the tfjs paths — wasm as shipped, wasm + portable kernel replacements, native BLAS
 * (lib/kernels/), native with oneDNN convolutions (blocked layouts, or `dnnl-nhwc` on the NHWC buffers) — and the same net and step in PyTorch (bench/torch_reference.py), with ratios,
 * plus a per-kernel profile of one step. Markdown on stdout, progress on stderr.
 *
 *   deno run -A bench/train_bench.ts [--nets convnet,unet8,unet16] [--res 16,28] [--batch 64]
 *     [--steps 10] [--warmup 3] [--repeat 1] [--no-profile] [--unet-module path.ts]
 *     [--paths shipped,portable,native,dnnl,dnnl-nhwc,native-1t,dnnl-1t,native-cpu,torch,torch-1t]
 *
 * Each (net, resolution, path) runs in its own process, so kernel registrations and memory do not
 * leak between cases. The machine is shared: numbers are rough, repeat and compare medians.
 *
 * Nets (identical in bench/torch_reference.py):
 * - `convnet` (PLATFORM-NOTES): conv3×3 1→32, conv3×3 32→64 stride 2, conv3×3 64→64, nearest ×2,
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
  | "native"
  | "dnnl"
  | "dnnl-nhwc"
  | "dnnl-1t"
  | "native-1t"
  | "native-cpu"
  | "torch"
  | "torch-1t";

const PATH_LABEL: Record<PathName, string> = {
  shipped: "wasm as shipped",
  portable: "wasm + portable kernels",
  native: "wasm + BLAS kernels",
  dnnl: "wasm + oneDNN convs + BLAS",
  "dnnl-nhwc": "wasm + oneDNN convs on NHWC + BLAS",
  "native-1t": "wasm + BLAS kernels, 1 BLAS thread",
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
  const opt = tf.train.adam(1e-3);
  const step = () => {
    const l = opt.minimize(net.loss, true, net.vars)!;
    l.dataSync();
    l.dispose();
  };
  const stepMs: number[] = [];
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
        cpuMs.push((cu.user + cu.system) / 1000);
      }
      _log(`${c.net}@${c.res} ${c.path}: step ${i + 1}/${c.warmup + c.steps} ${dt.toFixed(1)} ms`);
    }
  } catch (e) {
    return { ok: false, error: (e instanceof Error ? e.message : String(e)).split("\n")[0], params, kernels };
  }
  let profile: Record<string, number> | undefined;
  let profileStepMs: number | undefined;
  if (c.profile) {
    const t0 = performance.now();
    const info = await tf.profile(step);
    profileStepMs = performance.now() - t0;
    profile = {};
    for (const k of info.kernels) {
      // tf.customGrad wraps its forward pass in a pseudo-kernel ("forward", "fusedConv2d__op", …)
      // whose inner kernels are profiled too: skip wrappers so nothing is counted twice.
      if (tf.getKernel(k.name, backendName) === undefined) continue;
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
    cpuMs,
    medianCpuMs: _median(cpuMs),
    kernels,
    profile,
    profileStepMs,
  };
}

// ---- main --------------------------------------------------------------------------------------------

async function _runCase(c: Case): Promise<CaseResult> {
  const cmd = c.path.startsWith("torch")
    ? new Deno.Command("/usr/bin/python3", { args: [_TORCH, "--json", JSON.stringify(c)], stderr: "inherit" })
    : new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", _SELF, "--worker", JSON.stringify(c)],
      stderr: "inherit",
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

function _profileTable(paths: PathName[], get: (p: PathName) => CaseResult, top = 14): string[] {
  const totals = new Map<string, number>();
  for (const p of paths) {
    for (const [k, v] of Object.entries(get(p).profile!)) totals.set(k, Math.max(totals.get(k) ?? 0, v));
  }
  const names = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
  const sumOf = (p: PathName, ks: string[]) => ks.reduce((s, k) => s + (get(p).profile![k] ?? 0), 0);
  const lines = [`| kernel | ${paths.map((p) => PATH_LABEL[p]).join(" | ")} |`];
  lines.push(`| --- | ${paths.map(() => "---:").join(" | ")} |`);
  for (const k of names.slice(0, top)) {
    lines.push(`| ${k} | ${paths.map((p) => get(p).profile![k]?.toFixed(1) ?? "").join(" | ")} |`);
  }
  lines.push(`| (other kernels) | ${paths.map((p) => sumOf(p, names.slice(top)).toFixed(1)).join(" | ")} |`);
  lines.push(`| all kernels | ${paths.map((p) => sumOf(p, names).toFixed(1)).join(" | ")} |`);
  lines.push(
    `| step wall time (profiled) | ${paths.map((p) => get(p).profileStepMs!.toFixed(1)).join(" | ")} |`,
  );
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
      paths: { type: "string", default: "shipped,portable,native,dnnl,torch" },
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
  let paths = values.paths.split(",") as PathName[];
  for (const p of paths) if (!(p in PATH_LABEL)) throw new Error(`bench/train_bench.ts: unknown path '${p}'`);
  if (paths.includes("torch") && !_torchAvailable()) {
    _log("PyTorch not importable with /usr/bin/python3: skipping the torch column");
    paths = paths.filter((p) => p !== "torch");
  }
  const loadBefore = _load();
  const results = new Map<string, CaseResult>();
  const repeat = Number(values.repeat);
  // Paths alternate within each repeat, so every path sees similar load from other work.
  for (let rep = 0; rep < repeat; rep++) {
    for (const net of nets) {
      for (const res of resList) {
        for (const path of paths) {
          const key = `${net}|${res}|${path}`;
          const prev = results.get(key);
          if (prev !== undefined && !prev.ok) continue;
          const c: Case = {
            net,
            res,
            batch,
            path,
            steps: Number(values.steps),
            warmup: Number(values.warmup),
            profile: rep === repeat - 1 && !values["no-profile"] && path !== "shipped",
            seed: 1234,
            threads: path.endsWith("-1t") ? 1 : 2,
            unetModule: values["unet-module"],
          };
          _log(`case ${net}@${res} B=${batch} on ${PATH_LABEL[path]} (repeat ${rep + 1}/${repeat})`);
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
    `## Adam step, batch ${batch}: median of ${values.repeat} × ${values.steps} steps ` +
      `(each run after ${values.warmup} warm-up steps)`,
  );
  lines.push("");
  lines.push(`Load average before/after: ${loadBefore} / ${loadAfter} (2 shared cores: rough numbers).`);
  lines.push("");
  const head = ["net", "res", "params", ...paths.map((p) => PATH_LABEL[p])];
  const ref: PathName | undefined = paths.includes("torch-1t")
    ? "torch-1t"
    : paths.includes("torch")
    ? "torch"
    : undefined;
  const ratios = ref ? paths.filter((p) => !p.startsWith("torch") && p !== "shipped") : [];
  head.push(...ratios.map((p) => `${p} / ${ref}`));
  lines.push(`| ${head.join(" | ")} |`);
  lines.push(`| ${head.map(() => "---").join(" | ")} |`);
  for (const net of nets) {
    for (const res of resList) {
      const row = paths.map((p) => results.get(`${net}|${res}|${p}`));
      const params = row.find((r) => r?.params !== undefined)?.params ?? "?";
      const torch = ref ? results.get(`${net}|${res}|${ref}`) : undefined;
      lines.push(
        `| ${
          [
            net,
            `${res}×${res}`,
            String(params),
            ...row.map((r) => _cell(r, batch)),
            ...ratios.map((p) => _ratio(results.get(`${net}|${res}|${p}`), torch)),
          ].join(" | ")
        } |`,
      );
    }
  }
  if (ref) {
    lines.push("");
    lines.push(
      "Process CPU time per step (ms, all threads; less sensitive to other load than wall time), and its ratio:",
    );
    lines.push("");
    const cpuHead = ["net", "res", ...paths.map((p) => PATH_LABEL[p]), ...ratios.map((p) => `${p} / ${ref}`)];
    lines.push(`| ${cpuHead.join(" | ")} |`);
    lines.push(`| ${cpuHead.map(() => "---").join(" | ")} |`);
    const cpuOf = (r: CaseResult | undefined) =>
      r?.ok && r.medianCpuMs !== undefined ? r.medianCpuMs : undefined;
    for (const net of nets) {
      for (const res of resList) {
        const torchCpu = cpuOf(results.get(`${net}|${res}|${ref}`));
        const cells = paths.map((p) => cpuOf(results.get(`${net}|${res}|${p}`))?.toFixed(1) ?? "—");
        const rs = ratios.map((p) => {
          const v = cpuOf(results.get(`${net}|${res}|${p}`));
          return v !== undefined && torchCpu !== undefined ? `${(v / torchCpu).toFixed(2)}×` : "—";
        });
        lines.push(`| ${[net, `${res}×${res}`, ...cells, ...rs].join(" | ")} |`);
      }
    }
  }
  for (const net of nets) {
    for (const res of resList) {
      const tfjsPaths = paths.filter((p) =>
        !p.startsWith("torch") && results.get(`${net}|${res}|${p}`)?.profile
      );
      const torchPaths = paths.filter((p) =>
        p.startsWith("torch") && results.get(`${net}|${res}|${p}`)?.profile
      );
      for (
        const [label, group] of [["tf.profile", tfjsPaths], [
          "torch.autograd.profiler, self CPU time",
          torchPaths,
        ]]
      ) {
        if (group.length === 0) continue;
        lines.push("");
        lines.push(`### Per-kernel time in one step: ${net} at ${res}×${res} (ms; ${label})`);
        lines.push("");
        lines.push(..._profileTable(group as PathName[], (p) => results.get(`${net}|${res}|${p}`)!));
      }
    }
  }
  console.log(lines.join("\n"));
}

if (import.meta.main) await _main();
