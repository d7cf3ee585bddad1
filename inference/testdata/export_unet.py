#!/usr/bin/env python3
"""Exports a small, untrained (seeded) U-Net to ONNX the way a liverseg model is exported:
input `image` float32 [N, C, H, W], output `logits` float32 [N, 1, H, W], batch dimension dynamic.
Needs torch (Debian's python3-torch 1.13 is enough) and numpy only.

The Go tests and the benchmarks use it; the weights are random but seeded, so that a .pt state dict
saved beside the .onnx file (--pt) gives PyTorch the very same network.

  export_unet.py OUT.onnx [--channels 3] [--base 16] [--size 256] [--levels 4] [--seed 1]
                 [--pt OUT.pt] [--ref PREFIX] [--meta key=value ...] [--break {outputs,names}]
                 [--gain G] [--coarse] [--fixed-batch N]

--ref PREFIX writes PREFIX.in.f32 (a seeded input, 2 slices) and PREFIX.out.f32 (PyTorch's logits),
raw little-endian float32, for the ORT-vs-PyTorch test. --meta appends metadata_props entries to
the file (protobuf field 14), as liverseg's StampMetadata does. --break makes a model that breaks
the contract on purpose; --gain G scales the head so that the logits of an untrained net spread over
about G, which makes its masks real shapes (for the orientation and pipeline tests); --coarse keeps 4
bits of each weight's mantissa, so that the file compresses well (the GPU bench carries it);
--fixed-batch N exports a batch dimension of exactly N instead of a dynamic one.: `outputs` gives 2 output channels, `names` renames the input to `input`.
"""
import argparse
import struct
import sys

import numpy as np
import torch
import torch.nn as nn


def block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    """The classic U-Net: `levels` poolings, channels doubling from `base`, transposed-conv
    upsampling, skip connections by concatenation, a 1x1 head."""

    def __init__(self, channels=3, base=16, levels=4, out=1):
        super().__init__()
        ch = [base * 2 ** i for i in range(levels + 1)]
        self.down = nn.ModuleList([block(channels, ch[0])] + [block(ch[i], ch[i + 1]) for i in range(levels)])
        self.up = nn.ModuleList([nn.ConvTranspose2d(ch[i + 1], ch[i], 2, stride=2) for i in reversed(range(levels))])
        self.dec = nn.ModuleList([block(2 * ch[i], ch[i]) for i in reversed(range(levels))])
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Conv2d(ch[0], out, 1)

    def forward(self, x):
        skips = []
        for i, d in enumerate(self.down):
            x = d(x if i == 0 else self.pool(x))
            skips.append(x)
        skips.pop()
        for up, dec in zip(self.up, self.dec):
            x = dec(torch.cat([skips.pop(), up(x)], 1))
        return self.head(x)


class Renamed(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)


def make(channels, base, levels, seed, out=1):
    torch.manual_seed(seed)
    net = UNet(channels, base, levels, out)
    # Random but not degenerate batch-norm statistics, so that the exported graph's folded
    # batch norm is exercised.
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
    return net.eval()


def varint(n):
    b = bytearray()
    while n >= 0x80:
        b.append((n & 0x7F) | 0x80)
        n >>= 7
    b.append(n)
    return bytes(b)


def field(num, payload):
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--base", type=int, default=16)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--levels", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pt")
    ap.add_argument("--ref")
    ap.add_argument("--meta", action="append", default=[])
    ap.add_argument("--break", dest="brk", choices=["outputs", "names"])
    ap.add_argument("--gain", type=float, default=0)
    ap.add_argument("--coarse", action="store_true")
    ap.add_argument("--fixed-batch", type=int, default=0)
    a = ap.parse_args()

    net = make(a.channels, a.base, a.levels, a.seed, out=2 if a.brk == "outputs" else 1)
    if a.coarse:
        # Keep 4 bits of each weight's mantissa: the same network to time, a file that xz packs
        # several times smaller (to carry it to the GPU machine).
        with torch.no_grad():
            for t in net.state_dict().values():
                if t.is_floating_point():
                    m, e = np.frexp(t.numpy())
                    t.copy_(torch.from_numpy(np.ldexp(np.round(m * 16) / 16, e).astype(np.float32)))
    if a.gain:
        # An untrained U-Net's logits hardly vary: scale its head so that they spread over about
        # +-gain/2 around zero on windowed-CT-like input, and a threshold cuts real shapes.
        with torch.no_grad():
            g = torch.Generator().manual_seed(a.seed)
            x = (torch.rand(2, a.channels, a.size, a.size, generator=g) > 0.5).float()
            y = net(x)
            s = a.gain / float(y.max() - y.min() + 1e-12)
            net.head.weight.mul_(s)
            net.head.bias.mul_(s)
            net.head.bias.sub_(float(net(x).median()))
    if a.pt:
        torch.save({"state_dict": net.state_dict(), "channels": a.channels, "base": a.base,
                    "levels": a.levels, "size": a.size}, a.pt)
    dummy = torch.zeros(a.fixed_batch or 1, a.channels, a.size, a.size)
    in_name = "input" if a.brk == "names" else "image"
    dyn = None if a.fixed_batch else {in_name: {0: "N"}, "logits": {0: "N"}}
    with torch.no_grad():
        torch.onnx.export(net, dummy, a.out, input_names=[in_name], output_names=["logits"],
                          dynamic_axes=dyn, opset_version=13, do_constant_folding=True)
    if a.meta:
        with open(a.out, "ab") as f:
            for kv in a.meta:
                k, _, v = kv.partition("=")
                f.write(field(14, field(1, k.encode()) + field(2, v.encode())))
    if a.ref:
        g = torch.Generator().manual_seed(a.seed + 100)
        x = torch.rand(2, a.channels, a.size, a.size, generator=g)
        with torch.no_grad():
            y = net(x)
        x.numpy().astype("<f4").tofile(a.ref + ".in.f32")
        y.numpy().astype("<f4").tofile(a.ref + ".out.f32")
    print(a.out)


if __name__ == "__main__":
    sys.exit(main())
