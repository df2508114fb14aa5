"""PyTorch reference for bench/train_bench.ts: the same nets and Adam step, timed the same way.

Usage (normally started by train_bench.ts): /usr/bin/python3 bench/torch_reference.py --json CASE
where CASE is {"net", "res", "batch", "steps", "warmup", "profile", "seed", "threads", "ema"}. Prints one
line "RESULT {json}" on stdout (median ms per step, per-step times, parameter count, per-op profile
in ms); progress goes to stderr. Runs on CASE["threads"] threads (torch.set_num_threads, default 2);
NCHW, float32.

Nets mirror bench/train_bench.ts and lib/denoisers/unet.ts exactly in shape and operations
(3x3 'same' convs, stride-2 conv padded like TF's 'same' (0 before, 1 after), nearest x2 upsampling,
GroupNorm groups = min(32, c // 4) lowered until it divides c, SiLU, EDM preconditioning and loss).
"""

import argparse
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def log(msg):
    print(f"[torch_reference] {msg}", file=sys.stderr, flush=True)


class ConvNet(nn.Module):
    """conv 1->w, conv w->2w stride 2, conv 2w->2w, nearest x2, conv 2w->w, conv w->1; SiLU between."""

    def __init__(self, w):
        super().__init__()
        self.convs = nn.ModuleList([
            nn.Conv2d(1, w, 3), nn.Conv2d(w, 2 * w, 3, stride=2), nn.Conv2d(2 * w, 2 * w, 3),
            nn.Conv2d(2 * w, w, 3), nn.Conv2d(w, 1, 3),
        ])

    def forward(self, x):
        h = x
        for i, conv in enumerate(self.convs):
            if i == 3:
                h = F.interpolate(h, scale_factor=2, mode="nearest")
            # TF 'same': total padding k - s (stride 2 on an even size: 0 before, 1 after).
            h = F.pad(h, (1, 1, 1, 1)) if conv.stride[0] == 1 else F.pad(h, (0, 1, 0, 1))
            h = conv(h)
            if i < len(self.convs) - 1:
                h = F.silu(h)
        return h


def group_count(c):
    g = max(1, min(32, c // 4))
    while c % g:
        g -= 1
    return g


class Block(nn.Module):
    def __init__(self, a, b, emb):
        super().__init__()
        self.norm0 = nn.GroupNorm(group_count(a), a, eps=1e-5)
        self.conv0 = nn.Conv2d(a, b, 3, padding=1)
        self.affine = nn.Linear(emb, b)
        self.norm1 = nn.GroupNorm(group_count(b), b, eps=1e-5)
        self.conv1 = nn.Conv2d(b, b, 3, padding=1)
        self.skip = nn.Conv2d(a, b, 1) if a != b else None

    def forward(self, x, emb):
        h = self.conv0(F.silu(self.norm0(x)))
        h = h + self.affine(emb)[:, :, None, None]
        h = self.conv1(F.silu(self.norm1(h)))
        skip = self.skip(x) if self.skip is not None else x
        return (h + skip) * math.sqrt(0.5)


class UNet(nn.Module):
    """lib/denoisers/unet.ts without attention."""

    def __init__(self, ch, c):
        super().__init__()
        e = 4 * c
        self.c = c
        self.map0 = nn.Linear(c, e)
        self.map1 = nn.Linear(e, e)
        self.conv_in = nn.Conv2d(ch, c, 3, padding=1)
        self.enc0 = Block(c, c, e)
        self.enc1 = Block(c, 2 * c, e)
        self.mid = Block(2 * c, 2 * c, e)
        self.dec1 = Block(4 * c, 2 * c, e)
        self.dec0 = Block(3 * c, c, e)
        self.out_norm = nn.GroupNorm(group_count(c), c, eps=1e-5)
        self.conv_out = nn.Conv2d(c, ch, 3, padding=1)

    def forward(self, x, c_noise):
        half = self.c // 2
        k = torch.arange(half, dtype=torch.float32)
        freqs = torch.pow(torch.tensor(1e-4), k / (half - 1) if half > 1 else k * 0)
        arg = c_noise[:, None] * freqs[None, :]
        emb = torch.cat([torch.cos(arg), torch.sin(arg)], dim=1)
        emb = F.silu(self.map1(F.silu(self.map0(emb))))
        h0 = self.conv_in(x)
        e0 = self.enc0(h0, emb)
        e1 = self.enc1(F.avg_pool2d(e0, 2), emb)
        m = self.mid(e1, emb)
        d1 = self.dec1(torch.cat([m, e1], 1), emb)
        up = F.interpolate(d1, scale_factor=2, mode="nearest")
        d0 = self.dec0(torch.cat([up, e0], 1), emb)
        return self.conv_out(F.silu(self.out_norm(d0)))


def make_step(case):
    gen = torch.Generator().manual_seed(case["seed"])
    b, r = case["batch"], case["res"]
    x = torch.rand(b, 1, r, r, generator=gen) * 2 - 1
    net_name = case["net"]
    if net_name in ("convnet", "convnet64"):
        net = ConvNet(32 if net_name == "convnet" else 64)
        noisy = x + 0.5 * torch.randn(x.shape, generator=gen)

        def loss_fn():
            return torch.mean((net(noisy) - x) ** 2)
    elif net_name.startswith("unet"):
        net = UNet(1, int(net_name[4:]))
        sd = 0.5
        sigma = torch.exp(-1.2 + 1.2 * torch.randn(b, generator=gen))
        y = x + torch.randn(x.shape, generator=gen) * sigma[:, None, None, None]
        weight = ((sigma ** 2 + sd ** 2) / (sigma * sd) ** 2)[:, None, None, None]
        s2 = sigma ** 2 + sd ** 2
        c_skip = (sd ** 2 / s2)[:, None, None, None]
        c_out = (sigma * sd / torch.sqrt(s2))[:, None, None, None]
        c_in = torch.rsqrt(s2)[:, None, None, None]
        c_noise = torch.log(sigma) / 4

        def loss_fn():
            d = c_skip * y + c_out * net(c_in * y, c_noise)
            return torch.mean(weight * (d - x) ** 2)
    else:
        raise SystemExit(f"bench/torch_reference.py: unknown net {net_name!r}")
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    # With case["ema"], each step also updates an EMA of the weights as EDM's training loop does
    # (p_ema <- p.lerp(p_ema, beta) per tensor), like lib/training/train.ts.
    ema = [p.detach().clone() for p in net.parameters()] if case.get("ema") else None

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        opt.step()
        if ema is not None:
            with torch.no_grad():
                for p, e in zip(net.parameters(), ema):
                    e.copy_(p.detach().lerp(e, 0.999))
        return loss.item()

    params = sum(p.numel() for p in net.parameters())
    return step, params


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", required=True)
    case = json.loads(ap.parse_args().json)
    torch.set_num_threads(int(case.get("threads", 2)))
    torch.manual_seed(case["seed"])
    step, params = make_step(case)
    times = []
    cpu = []
    n = case["warmup"] + case["steps"]
    for i in range(n):
        t0 = time.perf_counter()
        c0 = time.process_time()
        step()
        dt = (time.perf_counter() - t0) * 1000
        if i >= case["warmup"]:
            times.append(dt)
            cpu.append((time.process_time() - c0) * 1000)
        log(f"{case['net']}@{case['res']} torch: step {i + 1}/{n} {dt:.1f} ms")
    result = {"ok": True, "params": params, "stepMs": times, "medianMs": statistics.median(times),
              "cpuMs": cpu, "medianCpuMs": statistics.median(cpu),
              "threads": torch.get_num_threads()}
    if case.get("profile"):
        t0 = time.perf_counter()
        with torch.autograd.profiler.profile() as prof:
            step()
        result["profileStepMs"] = (time.perf_counter() - t0) * 1000
        result["profile"] = {e.key: e.self_cpu_time_total / 1000 for e in prof.key_averages()}
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
