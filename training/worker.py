#!/usr/bin/env python3
"""liverseg training worker: trains the U-Net of a job on a dataset that liverseg (Go) exported.

    python3 worker.py --job JOB/job.json            train (resumes from JOB/checkpoint.pt if asked)
    python3 worker.py --job JOB/job.json --bench N  time N steps of this worker against a bare loop

It needs torch and numpy only, and runs on torch 1.13 and torch 2.x, on CUDA when
torch.cuda.is_available(), else on the CPU with all cores. Every event is one JSON object on one
line of stdout, also appended to JOB/events.jsonl: start, step, epoch, checkpoint, exported,
cancelled, error, done (and bench). SIGINT ends the current step, saves a checkpoint, says
"cancelled" and exits. This file is embedded in the liverseg binary (training/worker.py) and
written to its cache folder when a job runs; keep it standalone.
"""

import argparse
import json
import math
import os
import signal
import sys
import time
import traceback

PROTOCOL = 1
EXIT_ERROR = 2
EXIT_NO_TORCH = 3
EXIT_CANCELLED = 4


class Events:
    def __init__(self, path):
        self.f = open(path, "a") if path else None

    def emit(self, name, **kw):
        kw = dict(event=name, time=round(time.time(), 3), **kw)
        line = json.dumps(_finite(kw), allow_nan=False, default=_jsonable)
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        if self.f:
            self.f.write(line + "\n")
            self.f.flush()


def _finite(x):
    # JSON has no NaN: a figure that does not exist is null
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def _jsonable(x):
    try:
        return float(x)
    except Exception:
        return str(x)


def fail(events, kind, message, code=EXIT_ERROR):
    events.emit("error", kind=kind, message=message)
    sys.exit(code)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--job", required=True)
    ap.add_argument("--bench", type=int, default=0, help="time this many steps against a bare loop")
    ap.add_argument("--export", action="store_true", help="export model.onnx again from weights.pt (say where torch could not)")
    args = ap.parse_args()
    with open(args.job) as f:
        job = json.load(f)
    out = job.get("out") or os.path.dirname(os.path.abspath(args.job))
    out = os.path.join(os.path.dirname(os.path.abspath(args.job)), out)
    os.makedirs(out, exist_ok=True)
    events = Events(None if args.bench else os.path.join(out, "events.jsonl"))
    try:
        import numpy  # noqa: F401
        import torch  # noqa: F401
    except Exception as e:  # a clear error, not a traceback
        fail(events, "no_torch", "cannot import torch and numpy with %s: %s: %s" % (sys.executable, type(e).__name__, e), EXIT_NO_TORCH)
    try:
        w = Worker(job, out, events, os.path.dirname(os.path.abspath(args.job)))
        if args.bench:
            w.bench(args.bench)
        elif args.export:
            w.export_again()
        else:
            w.train()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        fail(events, "cancelled", "interrupted before the first step", EXIT_CANCELLED)
    except Exception as e:
        sys.stderr.write(traceback.format_exc())
        fail(events, "exception", "%s: %s" % (type(e).__name__, e))


def build_unet(nn, in_ch, base, depth, dropout):
    """The U-Net of the original study (two 3x3 conv + batch norm + ReLU per level, max pooling down,
    transposed convolution up, skip connections), with its width (base channels) and depth (levels)
    as parameters, and dropout at the bottleneck and after each decoder level."""

    def double(i, o):
        return nn.Sequential(
            nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True),
            nn.Conv2d(o, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True))

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            ch = [base * (2 ** i) for i in range(depth + 1)]
            self.down = nn.ModuleList([double(in_ch if i == 0 else ch[i - 1], ch[i]) for i in range(depth)])
            self.pool = nn.MaxPool2d(2)
            self.bottom = double(ch[depth - 1], ch[depth])
            self.up = nn.ModuleList([nn.ConvTranspose2d(ch[i + 1], ch[i], 2, stride=2) for i in reversed(range(depth))])
            self.dec = nn.ModuleList([double(ch[i] * 2, ch[i]) for i in reversed(range(depth))])
            self.drop = nn.Dropout2d(dropout) if dropout > 0 else nn.Identity()
            self.head = nn.Conv2d(ch[0], 1, 1)

        def features(self, x):
            """The last decoder level's features and the logits."""
            skips = []
            for d in self.down:
                x = d(x)
                skips.append(x)
                x = self.pool(x)
            x = self.drop(self.bottom(x))
            for up, dec, s in zip(self.up, self.dec, reversed(skips)):
                x = self.drop(dec(torch_cat([up(x), s])))
            return x, self.head(x)

        def forward(self, x):
            return self.features(x)[1]

    return UNet()


GAIN = 10.0


def build_click_unet(nn, channels, base, depth, dropout, width, copy=False):
    """The interactive network: the automatic U-Net, frozen, as its trunk (it sees the image
    channels only, and its weights are the parent's), and a click head beside it that reads the
    trunk's last features and logits with the guidance channels (label, positive and negative
    clicks) and adds a correction to the trunk's logits. The head's last convolution starts at zero:
    then the network computes the parent's function exactly, whatever the guidance. The head is
    small and works at the input size, with dilated convolutions that see about 60 pixels either
    way (about 110 mm at 192 pixels), so that a click reaches the whole region it is on; a short
    CPU run trains it, since the trunk needs no gradient and runs once for all of a sample's
    simulated clicks (ClickUNet.features, ClickUNet.decide).

    With copy, the correction comes instead from a trainable copy of the whole U-Net (the design
    of DeepEdit and RITM, started as the issue asks: the parent's weights, zeros on the guidance
    channels of the first layer), which reads the image, the guidance and where the clicks are
    near; the network's logits are the copy's on a slice with clicks and the frozen trunk's on a
    slice without, so that the parent's mask still comes back exactly without clicks. It costs
    a full U-Net's backward pass a step: a network for a GPU (a CPU trains the head)."""
    trunk = build_unet(nn, channels, base, depth, dropout)

    class ClickUNet(type(trunk)):
        def __init__(self):
            super().__init__()
            self.channels = channels
            # (a small U-Net as the head learnt no faster a second of CPU: 3 s a step of 8
            # against 1.9, and about the same loss after 100 steps)
            self.pool_near = nn.MaxPool2d(17, 1, 8)
            # one of the two learns the correction: the click head, or the copy
            self.click = self.copy = None
            if copy:
                self.copy = build_unet(nn, channels + 5, base, depth, dropout)
                return
            layers, i = [], base + 8
            for d in (1, 2, 4, 8, 16, 1):
                layers += [nn.Conv2d(i, width, 3, padding=d, dilation=d), nn.ReLU(inplace=True)]
                i = width
            out = nn.Conv2d(width, 1, 1)
            nn.init.zeros_(out.weight)
            nn.init.zeros_(out.bias)
            self.click = nn.Sequential(*layers, out)

        def start_copy(self):
            """Gives the copy the trunk's weights (the parent's), with zeros for the weights of
            its first layer on the guidance channels: the copy then computes the parent's
            logits whatever the clicks."""
            own = self.copy.state_dict()
            import torch
            with torch.no_grad():
                for k, v in self.state_dict().items():
                    if k.startswith(("click.", "copy.")):
                        continue
                    if tuple(own[k].shape) == tuple(v.shape):
                        own[k].copy_(v)
                        continue
                    # the first convolution: the image channels' weights, zeros after them
                    own[k].zero_()
                    own[k][:, :v.shape[1]].copy_(v)

        def features(self, x):
            """The trunk's last features, with the image channels of x after them (decide's
            copy reads the image), and the trunk's logits."""
            img = x[:, :self.channels]
            f, z = super().features(img)
            return torch_cat([f, img]), z

        def decide(self, f, z, guidance):
            """The logits from the trunk's features f and logits z and the guidance channels
            (label, positive and negative clicks). Besides them the head reads, for each sign of
            click, how alike each pixel's features are to the features under the clicks (the
            cosine similarity to their mean: the region a click is on looks like the click) and
            where the clicks are near (their maps grown by 16 pixels, about 30 mm): a head that
            has these learns in a few hundred CPU steps what it would otherwise have to find.
            Without clicks both are zero. The parent's logits are large (about 12 on average):
            the head reads them scaled down by GAIN and its correction is scaled up by GAIN, so
            that a step of the head's weights moves the logits as far as a decision needs."""
            pos, neg = guidance[:, 1:2], guidance[:, 2:3]
            f, img = f[:, :-self.channels], f[:, -self.channels:]
            # A slice without clicks keeps the parent's logits exactly: the runtime redraws only
            # slices with clicks (a change propagates as clicks too), and the automatic mask must
            # come back as it is without them.
            clicked = ((pos.amax((2, 3), keepdim=True) + neg.amax((2, 3), keepdim=True)) > 0).float()

            def near(m):
                return self.pool_near(self.pool_near(m))
            if self.copy is not None:
                z2 = self.copy(torch_cat([img, guidance, near(pos), near(neg)]))
                return z + clicked * (z2 - z)
            fn = f / (f.pow(2).sum(1, keepdim=True).sqrt() + 1e-6)

            def alike(m):
                proto = (fn * m).sum((2, 3), keepdim=True) / (m.sum((2, 3), keepdim=True) + 1e-6)
                proto = proto / (proto.pow(2).sum(1, keepdim=True).sqrt() + 1e-6)
                return (fn * proto).sum(1, keepdim=True)
            extra = [alike(pos), alike(neg), near(pos), near(neg)]
            return z + GAIN * clicked * self.click(torch_cat([f, z / GAIN, guidance] + extra))

        def forward(self, x):
            f, z = self.features(x)
            return self.decide(f, z, x[:, self.channels:])

    return ClickUNet()


def load(torch, path, device):
    # our own files: allow what torch >= 2.6 refuses by default (plain dicts of floats and lists)
    try:
        return torch.load(path, map_location=device, weights_only=False)
    except TypeError:
        return torch.load(path, map_location=device)


def torch_cat(xs):
    import torch
    return torch.cat(xs, 1)


class Worker:
    def __init__(self, job, out, events, jobdir):
        import numpy as np
        import torch
        self.np, self.torch = np, torch
        self.job, self.out, self.events = job, out, events
        self.cancel = False
        self.debug = job.get("debug") or {}
        m = job.get("model") or job
        self.base, self.depth = int(m.get("base", 16)), int(m.get("depth", 4))
        self.dropout = float(m.get("dropout", 0.1))
        # fine-tuning on a few cases with small batches: batch norm keeps the parent's statistics
        # (its scale and shift still learn), so that a batch of 4 slices of one patient does not
        # re-normalise a network trained on many
        self.freeze_bn = bool(job.get("freeze_bn"))
        self.seed = int(job.get("seed", 1))
        dev = job.get("device", "auto")
        if dev == "auto":
            dev = "cuda" if torch.cuda.is_available() else "cpu"
        if dev == "cuda" and not torch.cuda.is_available():
            fail(events, "no_cuda", "the job asks for CUDA, but torch %s sees no CUDA device" % torch.__version__)
        self.device = torch.device(dev)
        if dev == "cpu":
            torch.set_num_threads(int(job.get("threads") or os.cpu_count() or 1))
        else:
            torch.backends.cudnn.benchmark = True
        torch.manual_seed(self.seed)
        np.random.seed(self.seed)
        ds = job["dataset"]
        self.dsdir = ds if os.path.isabs(ds) else os.path.join(jobdir, ds)
        with open(os.path.join(self.dsdir, "manifest.json")) as f:
            self.manifest = json.load(f)
        c = self.manifest["contract"]
        self.channels = int(c["channels"])
        self.size = tuple(int(v) for v in c["input_size"])
        # an interactive model (job "interactive"): the image channels, then the guidance (label,
        # positive clicks, negative clicks); see Clicker
        self.interactive = job.get("interactive") or None
        self.in_channels = self.channels + (3 if self.interactive else 0)
        if self.size[0] % (2 ** self.depth) or self.size[1] % (2 ** self.depth):
            fail(events, "config", "input size %s is not divisible by 2^depth = %d" % (self.size, 2 ** self.depth))
        self.train_x, self.train_y = self._load("train")
        self.val_x, self.val_y = self._load("val")
        if self.train_x is None:
            fail(events, "config", "the dataset has no training slices")

    def _load(self, split):
        np, torch = self.np, self.torch
        xs, ys, sp = [], [], []
        if split == "train":
            self.repeat = []
        ranges = []
        for case in self.manifest["cases"]:
            if case["split"] != split:
                continue
            x = np.load(os.path.join(self.dsdir, case["images"]), mmap_mode="r")
            y = np.load(os.path.join(self.dsdir, case["masks"]), mmap_mode="r")
            if x.shape[0] != y.shape[0] or tuple(x.shape[1:]) != (self.channels,) + self.size:
                fail(self.events, "dataset", "%s: images %s and masks %s do not match the manifest" % (case["name"], x.shape, y.shape))
            xs.append(np.ascontiguousarray(x))
            ys.append(np.ascontiguousarray(y))
            # mm of one input pixel (columns, rows): where the click radius is measured; slice sets
            # carry no spacing and take the job's slice_spacing_mm
            s = case.get("input_spacing_mm") or [float(self.job.get("slice_spacing_mm") or 2.0)] * 2
            sp += [[float(s[0]), float(s[1])]] * x.shape[0]
            start = sum(len(v) for v in xs[:-1])
            ranges.append((case["name"], case.get("kind", ""), start, start + x.shape[0]))
            if split == "train":
                self.repeat += [max(1, int(case.get("repeat", 1)))] * x.shape[0]
        if not xs:
            return None, None
        x = torch.from_numpy(np.concatenate(xs)).to(self.device)
        y = torch.from_numpy(np.concatenate(ys)).to(self.device)
        setattr(self, split + "_spacing", torch.tensor(sp, dtype=torch.float32, device=self.device))
        setattr(self, split + "_cases", ranges)
        return x, y

    def as_float(self, x):
        # images travel as float32, or as uint8 quantised (value / 255) to keep the dataset small
        if x.dtype == self.torch.uint8:
            return x.float() / 255.0
        return x.float()

    # --- the model, loss and optimiser --------------------------------------------------------

    def make_model(self):
        if self.interactive:
            width = int(self.interactive.get("head_width") or 32)
            copy = str(self.interactive.get("network") or "head") == "copy"
            return build_click_unet(self.torch.nn, self.channels, self.base, self.depth, self.dropout, width, copy).to(self.device)
        return build_unet(self.torch.nn, self.in_channels, self.base, self.depth, self.dropout).to(self.device)

    def loss_fn(self, logits, target, weight=None):
        F = self.torch.nn.functional
        bce = F.binary_cross_entropy_with_logits(logits, target, weight=weight)
        p = self.torch.sigmoid(logits)
        inter = (p * target).sum()
        dice = (2 * inter + 1) / (p.sum() + target.sum() + 1)
        return bce + (1 - dice)

    def make_optimizer(self, model):
        torch = self.torch
        name = str(self.job.get("optimizer", "adam")).lower()
        lr, wd = float(self.job.get("lr", 1e-3)), float(self.job.get("weight_decay", 0))
        if self.interactive:
            return self.interactive_optimizer(model, name, lr, wd)
        if name == "adam":
            return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=wd)
        if name == "adamw":
            return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd or 1e-4)
        if name == "sgd":
            return torch.optim.SGD(model.parameters(), lr=lr, momentum=float(self.job.get("momentum", 0.9)), weight_decay=wd, nesterov=True)
        fail(self.events, "config", "unknown optimizer %r (adam, adamw or sgd)" % name)

    def lr_at(self, epoch, step, steps):
        """The learning rate of a step: a linear warm-up over warmup_epochs, then the schedule."""
        base = float(self.job.get("lr", 1e-3))
        epochs = int(self.job.get("epochs", 15))
        t = epoch + step / max(1, steps)
        warm = float(self.job.get("warmup_epochs", 0))
        if warm > 0 and t < warm:
            return base * (0.1 + 0.9 * t / warm)
        sched = str(self.job.get("schedule", "cosine")).lower()
        if sched == "cosine":
            span = max(1e-9, epochs - warm)
            return base * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, (t - warm) / span))))
        if sched == "step":
            return base * (0.1 ** int(t // max(1, int(self.job.get("step_epochs", 10)))))
        if sched in ("none", "constant", ""):
            return base
        fail(self.events, "config", "unknown schedule %r (cosine, step or none)" % sched)

    # --- augmentation, on the device, a batch at a time ----------------------------------------

    def augment(self, x, y):
        torch = self.torch
        F = torch.nn.functional
        a = self.job.get("augment") or {}
        if not a.get("enabled", True):
            return x, y
        n = x.shape[0]
        dev = x.device
        flip = float(a.get("flip", 0.5))
        rot = math.radians(float(a.get("rotate_deg", 10)))
        scale = float(a.get("scale", 0.1))
        ang = (torch.rand(n, device=dev) * 2 - 1) * rot
        s = 1 + (torch.rand(n, device=dev) * 2 - 1) * scale
        fx = torch.where(torch.rand(n, device=dev) < flip, -torch.ones(n, device=dev), torch.ones(n, device=dev))
        cos, sin = torch.cos(ang) / s, torch.sin(ang) / s
        theta = torch.stack([torch.stack([cos * fx, -sin, torch.zeros_like(s)], 1),
                             torch.stack([sin * fx, cos, torch.zeros_like(s)], 1)], 1)
        if rot > 0 or scale > 0 or flip > 0:
            grid = F.affine_grid(theta, list(x.shape), align_corners=False)
            x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
            y = (F.grid_sample(y, grid, mode="bilinear", padding_mode="zeros", align_corners=False) >= 0.5).float()
        jit = float(a.get("intensity", 0.1))
        if jit > 0:
            gain = 1 + (torch.rand(n, 1, 1, 1, device=dev) * 2 - 1) * jit
            bias = (torch.rand(n, 1, 1, 1, device=dev) * 2 - 1) * jit / 2
            x = (x * gain + bias).clamp(0, 1)
        return x, y

    def batch(self, idx):
        x = self.as_float(self.train_x[idx])
        y = self.train_y[idx].unsqueeze(1).float()
        return self.augment(x, y)

    # --- training ----------------------------------------------------------------------------

    def _sigint(self, signum, frame):
        self.cancel = True

    def train(self):
        torch, np = self.torch, self.np
        job = self.job
        signal.signal(signal.SIGINT, self._sigint)
        signal.signal(signal.SIGTERM, self._sigint)
        model = self.make_model()
        opt = self.make_optimizer(model)
        epochs = int(job.get("epochs", 15))
        batch = int(job.get("batch", 8))
        patience = int(job.get("patience", 3))
        # an epoch visits every training slice once, a case with repeat R R times
        order = torch.repeat_interleave(torch.arange(self.train_x.shape[0]), torch.tensor(self.repeat))
        n = int(order.shape[0])
        steps = max(1, n // batch) if n >= batch else 1
        max_seconds = float(job.get("max_seconds") or 0)
        t_start = time.time()
        if job.get("max_steps_per_epoch"):
            steps = min(steps, int(job["max_steps_per_epoch"]))
        ckpt_path = os.path.join(self.out, "checkpoint.pt")
        state = dict(epoch=0, step=0, best_loss=None, best_epoch=-1, bad_epochs=0, history=[], best_state=None, focus_errors=None)
        resumed = None
        if self.interactive and not job.get("init"):
            fail(self.events, "config", "an interactive model starts from an automatic one: the job has no init (liverseg train --from)")
        if job.get("init") and not (job.get("resume") and os.path.exists(ckpt_path)):
            init = job["init"] if os.path.isabs(job["init"]) else os.path.join(self.out, job["init"])
            if init.endswith(".npz"):
                info = self.init_from_onnx(model, init)
            else:
                sd = load(torch, init, self.device)
                sd = dict(sd.get("model", sd))
                if self.interactive:
                    # an automatic parent's weights are the trunk's: the click head starts at zero
                    missing, unexpected = model.load_state_dict(sd, strict=False)
                    missing = [k for k in missing if not k.startswith(("click.", "copy."))]
                    if missing or unexpected:
                        fail(self.events, "init", "%s does not fit the interactive network's trunk: missing %s, unexpected %s" % (init, missing[:8], unexpected[:8]))
                else:
                    model.load_state_dict(sd)
                info = dict(source="weights", path=init)
            if getattr(model, "copy", None) is not None:
                model.start_copy()
            info.update(self.check_init(model))
            self.events.emit("init", **info)
        if job.get("resume") and os.path.exists(ckpt_path):
            ck = load(torch, ckpt_path, self.device)
            model.load_state_dict(ck["model"])
            opt.load_state_dict(ck["optimizer"])
            for k in state:
                state[k] = ck["state"].get(k, state[k])
            torch.set_rng_state(ck["rng"])
            resumed = dict(epoch=state["epoch"], step=state["step"])
        if self.interactive:
            # the automatic model's masks (the label channel a session starts from), from the
            # initial network, before any training step
            self.clicker = Clicker(torch, self.interactive, self.size)
            self.prepare_interactive(model, ckpt_path if resumed else None)
            order = self.interactive_order(order)
            n = int(order.shape[0])
            steps = max(1, n // batch) if n >= batch else 1
            if job.get("max_steps_per_epoch"):
                steps = min(steps, int(job["max_steps_per_epoch"]))
        focus = min(1.0, max(0.0, float(job.get("focus") or 0)))
        if focus > 0 and state["focus_errors"] is None:
            state["focus_errors"] = self.slice_errors(model)
            errs = state["focus_errors"]
            self.events.emit("focus", share=focus, slices=len(errs), wrong_slices=sum(1 for e in errs if e > 0),
                             wrong_pixels=int(sum(errs)), max_wrong=int(max(errs) if errs else 0))
        self.events.emit("start", protocol=PROTOCOL, torch=torch.__version__, numpy=np.__version__,
                         python=sys.version.split()[0], device=str(self.device),
                         device_name=torch.cuda.get_device_name(0) if self.device.type == "cuda" else "cpu",
                         threads=torch.get_num_threads(), train_slices=int(n),
                         val_slices=int(self.val_x.shape[0]) if self.val_x is not None else 0,
                         epochs=epochs, steps_per_epoch=steps, batch=batch, resumed=resumed,
                         parameters=int(sum(p.numel() for p in model.parameters())))
        stopped = None
        global_step = state["epoch"] * steps + state["step"]
        while state["epoch"] < epochs:
            ep = state["epoch"]
            if self.cancel:
                break
            g = torch.Generator()
            g.manual_seed(self.seed * 100003 + ep)
            perm = order[torch.randperm(n, generator=g)]
            if focus > 0 and sum(state["focus_errors"]) > 0:
                # a share of the epoch's draws in proportion to where the starting network and the
                # labels disagree (the corrections), the rest as usual
                w = torch.tensor(state["focus_errors"], dtype=torch.float64)[order]
                k = int(round(focus * n))
                hard = order[torch.multinomial(w, k, replacement=True, generator=g)]
                perm = torch.cat([hard, perm[:n - k]])[torch.randperm(n, generator=g)]
            if n < batch:
                perm = perm.repeat((batch + n - 1) // n)
            self.set_train(model)
            t_epoch = time.time()
            losses = list(state.get("epoch_losses") or []) if state["step"] > 0 else []
            while state["step"] < steps:
                if self.cancel:
                    self._checkpoint(ckpt_path, model, opt, state, losses)
                    self.events.emit("cancelled", epoch=ep, step=state["step"], checkpoint=ckpt_path)
                    sys.exit(EXIT_CANCELLED)
                st = state["step"]
                t0 = time.time()
                lr = self.lr_at(ep, st, steps)
                for gr in opt.param_groups:
                    gr["lr"] = lr * gr.get("lr_mult", 1.0)
                idx = perm[st * batch:(st + 1) * batch].to(self.device)
                if self.interactive:
                    loss = self.interactive_loss(model, idx)
                else:
                    x, y = self.batch(idx)
                    logits = model(x)
                    loss = self.loss_fn(logits, y)
                if self.debug.get("nan_at_step") is not None and global_step >= int(self.debug["nan_at_step"]):
                    loss = loss * float("nan")
                if self.debug.get("crash_at_step") is not None and global_step >= int(self.debug["crash_at_step"]):
                    os._exit(int(self.debug.get("crash_code", 9)))
                if not torch.isfinite(loss):
                    fail(self.events, "nan", "the loss is %s at epoch %d step %d (lr %.3g): lower the learning rate" % (float(loss.item()), ep + 1, st + 1, lr))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                lv = float(loss.item())
                losses.append(lv)
                state["step"] = st + 1
                global_step += 1
                if self.debug.get("sleep_per_step"):
                    time.sleep(float(self.debug["sleep_per_step"]))
                self.events.emit("step", epoch=ep + 1, epochs=epochs, step=st + 1, steps=steps, loss=round(lv, 6), lr=lr,
                                 seconds=round(time.time() - t0, 4), elapsed=round(time.time() - t_start, 3))
            train_loss = float(np.mean(losses)) if losses else float("nan")
            val = self.validate_interactive(model) if self.interactive else self.validate(model)
            state["epoch"], state["step"] = ep + 1, 0
            state["epoch_losses"] = []
            rec = dict(epoch=ep + 1, train_loss=train_loss, seconds=round(time.time() - t_epoch, 3), lr=lr, **val)
            state["history"].append(rec)
            key = val.get("val_loss", train_loss)
            if state["best_loss"] is None or key < state["best_loss"] - 1e-6:
                state["best_loss"], state["best_epoch"], state["bad_epochs"] = key, ep + 1, 0
                state["best_state"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                state["bad_epochs"] += 1
            self.events.emit("epoch", epochs=epochs, best_epoch=state["best_epoch"], elapsed=round(time.time() - t_start, 3), **rec)
            self._checkpoint(ckpt_path, model, opt, state, [])
            self.events.emit("checkpoint", epoch=ep + 1, path=ckpt_path)
            if patience > 0 and state["bad_epochs"] >= patience and state["epoch"] < epochs:
                stopped = "no better validation loss in %d epochs" % patience
                break
            if max_seconds > 0 and time.time() - t_start > max_seconds and state["epoch"] < epochs:
                stopped = "time budget of %g s spent" % max_seconds
                break
        if self.cancel:
            self._checkpoint(ckpt_path, model, opt, state, [])
            self.events.emit("cancelled", epoch=state["epoch"], step=state["step"], checkpoint=ckpt_path)
            sys.exit(EXIT_CANCELLED)
        if state["best_state"] is not None:
            model.load_state_dict(state["best_state"])
        done = dict(epochs=state["epoch"], best_epoch=state["best_epoch"], best_loss=state["best_loss"],
                    early_stop=stopped, history=state["history"])
        self.save_weights(model, done)
        self.export(model, state["best_epoch"])
        if self.interactive:
            self.events.emit("clicks", **self.click_curve(model))
        self.events.emit("done", **done)

    def set_train(self, model):
        if self.interactive:
            # the trunk is frozen: it computes as in inference; the head has no batch norm
            model.eval()
            return
        model.train()
        if self.freeze_bn:
            for mod in model.modules():
                if isinstance(mod, self.torch.nn.BatchNorm2d):
                    mod.eval()

    # --- initial weights ---------------------------------------------------------------------

    def init_from_onnx(self, model, path):
        """Starts the U-Net from the weights of an ONNX model that this worker exported (liverseg
        wrote its initializers, named as this network's state dict, into path: a .npz). The export
        folded each batch norm into the convolution before it (weight and bias of the convolution);
        this undoes the folding without changing what the network computes: the batch norm gets the
        mean and variance that its input has on the training slices, and the scale and shift that
        cancel them, so the network in eval mode computes the ONNX model's function exactly and in
        train mode normalises by statistics close to those it will see."""
        np, torch = self.np, self.torch
        nn = torch.nn
        z = np.load(path)
        tensors = {k: torch.from_numpy(np.array(z[k], dtype=np.float32)) for k in z.files}
        sd = model.state_dict()
        mods = list(model.named_modules())
        new, used, folds = {}, set(), []
        for i, (name, mod) in enumerate(mods):
            if name.startswith(("click.", "copy.")):
                continue  # the interactive network's click head (or copy): its own (start_copy)
            if isinstance(mod, nn.Conv2d) and mod.bias is None and i + 1 < len(mods) and isinstance(mods[i + 1][1], nn.BatchNorm2d):
                w, b = tensors.get(name + ".weight"), tensors.get(name + ".bias")
                if w is None or b is None:
                    fail(self.events, "init", "%s: no folded weight and bias for %s" % (path, name))
                new[name + ".weight"] = w
                used |= {name + ".weight", name + ".bias"}
                folds.append((mods[i + 1][0], mods[i + 1][1], b))
        folded = {bn_name + "." + p for bn_name, _, _ in folds for p in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")}
        for k in sd:
            if k in tensors and k not in used and k not in folded:
                new[k] = tensors[k]
                used.add(k)
        bad = ["%s %s (the network has %s)" % (k, tuple(v.shape), tuple(sd[k].shape)) for k, v in new.items() if tuple(v.shape) != tuple(sd[k].shape)]
        unused = sorted(set(tensors) - used)
        # the interactive network's click head is its own: it starts at zero (build_click_unet)
        missing = sorted(k for k in sd if k not in new and k not in folded and not k.endswith("num_batches_tracked") and not k.startswith(("click.", "copy.")))
        if bad or unused or missing:
            fail(self.events, "init", "%s does not fit a U-Net of base %d, depth %d: %s" % (
                path, self.base, self.depth, "; ".join(filter(None, [
                    "wrong shapes: " + ", ".join(bad) if bad else "",
                    "not in the network: " + ", ".join(unused[:8]) if unused else "",
                    "not in the file: " + ", ".join(missing[:8]) if missing else ""]))))
        model.load_state_dict({k: v.to(self.device) for k, v in new.items()}, strict=False)
        with torch.no_grad():
            # identity batch norms first: eval mode then computes the folded (ONNX) function,
            # whose intermediate values are what each batch norm's statistics must describe
            for _, bn, b in folds:
                bn.running_mean.zero_()
                bn.running_var.fill_(1.0)
                bn.weight.fill_(math.sqrt(1.0 + bn.eps))
                bn.bias.copy_(b.to(self.device))
            stats = {}

            def hook(name):
                def f(mod, inp, out):
                    x = inp[0].double()
                    s = stats.setdefault(name, [0.0, 0.0, 0])
                    s[0] = s[0] + x.sum((0, 2, 3))
                    s[1] = s[1] + (x * x).sum((0, 2, 3))
                    s[2] += x.shape[0] * x.shape[2] * x.shape[3]
                return f
            hooks = [bn.register_forward_hook(hook(name)) for name, bn, _ in folds]
            model.eval()
            n = self.train_x.shape[0]
            pick = np.unique(np.linspace(0, n - 1, min(n, int(self.job.get("calibration_slices", 32)))).round().astype(np.int64))
            for i in range(0, len(pick), 8):
                idx = torch.from_numpy(pick[i:i + 8]).to(self.train_x.device)
                model(self.with_no_guidance(self.as_float(self.train_x[idx])))
            for h in hooks:
                h.remove()
            for name, bn, b in folds:
                s, s2, cnt = stats[name]
                mean = s / cnt
                var = (s2 / cnt - mean * mean).clamp(min=0)
                bn.running_mean.copy_(mean.float())
                bn.running_var.copy_(var.float())
                bn.weight.copy_(torch.sqrt(var + bn.eps).float())
                bn.bias.copy_(b.to(self.device) + mean.float())
        return dict(source="onnx", path=path, tensors=len(tensors), batch_norms=len(folds), calibration_slices=int(len(pick)))

    def slice_errors(self, model):
        """The pixels of each training slice where the network, as it starts, disagrees with the
        label: where fine-tuning has something to learn."""
        torch = self.torch
        model.eval()
        out = []
        with torch.no_grad():
            for i in range(0, self.train_x.shape[0], 16):
                logits = model(self.with_no_guidance(self.as_float(self.train_x[i:i + 16])))
                y = self.train_y[i:i + 16].unsqueeze(1) > 0
                out += [int(v) for v in ((logits > 0) != y).flatten(1).sum(1).cpu()]
        self.set_train(model)
        return out

    def check_init(self, model):
        """Runs the network as initialised on reference slices whose logits liverseg computed
        with the parent model in ONNX Runtime: a parent whose weights were read wrongly stops the
        job here, before any training."""
        c = self.job.get("init_check")
        if not c:
            return {}
        np, torch = self.np, self.torch
        jobdir = self.out

        def p(f):
            return f if os.path.isabs(f) else os.path.join(jobdir, f)
        x = torch.from_numpy(np.load(p(c["inputs"])).astype(np.float32))
        want = torch.from_numpy(np.load(p(c["logits"])).astype(np.float32))
        model.eval()
        got = []
        with torch.no_grad():
            for i in range(0, x.shape[0], 4):
                got.append(model(self.with_no_guidance(x[i:i + 4].to(self.device))).float().cpu())
        got = torch.cat(got)
        if tuple(got.shape) != tuple(want.shape):
            fail(self.events, "init", "init check: the network gives %s, the reference logits are %s" % (tuple(got.shape), tuple(want.shape)))
        diff = float((got - want).abs().max().item())
        scale = float(want.abs().max().item())
        tol = float(c.get("tolerance") or 1e-3) * max(1.0, scale)
        if not diff <= tol:
            fail(self.events, "init", "the initial weights do not reproduce the parent model: largest logit difference %.3g on %d slices (tolerance %.3g)" % (diff, x.shape[0], tol))
        return dict(max_diff=diff, reference_slices=int(x.shape[0]))

    # --- the interactive model: guidance channels, simulated clicks -----------------------------

    def with_no_guidance(self, x):
        """x with empty guidance channels appended (label 0, no clicks) where the network takes
        them and x has only the image's: the inputs of the automatic parent, whose function the
        interactive network computes as long as its click head is zero (build_click_unet)."""
        if not self.interactive or x.shape[1] == self.in_channels:
            return x
        z = self.torch.zeros(x.shape[0], self.in_channels - x.shape[1], x.shape[2], x.shape[3], dtype=x.dtype, device=x.device)
        return self.torch.cat([x, z], 1)

    def prepare_interactive(self, model, resuming):
        """The automatic model's mask of every slice (the label a session starts from), made once by
        the initial network (the parent's function) and kept in auto_masks.npz for a resumed job."""
        np, torch = self.np, self.torch
        path = os.path.join(self.out, "auto_masks.npz")
        t0 = time.time()
        want = {"train": self.train_y.shape, "val": self.val_y.shape if self.val_y is not None else (0,) + self.size}
        if os.path.exists(path):
            z = np.load(path)
            if all(k in z.files and tuple(z[k].shape) == tuple(want[k]) for k in want):
                self.train_auto = torch.from_numpy(np.array(z["train"])).to(self.device)
                self.val_auto = torch.from_numpy(np.array(z["val"])).to(self.device)
                self.events.emit("auto_masks", path=path, reused=True)
                return
        if resuming:
            fail(self.events, "config", "%s is missing or does not fit the dataset: an interactive job resumes only with the automatic masks it started from" % path)
        model.eval()
        out = {}
        with torch.no_grad():
            for split, xs in (("train", self.train_x), ("val", self.val_x)):
                if xs is None:
                    out[split] = torch.zeros(want[split], dtype=torch.uint8, device=self.device)
                    continue
                ms = []
                for i in range(0, xs.shape[0], 16):
                    ms.append((model(self.with_no_guidance(self.as_float(xs[i:i + 16])))[:, 0] > 0).to(torch.uint8))
                out[split] = torch.cat(ms)
        self.set_train(model)
        self.train_auto, self.val_auto = out["train"], out["val"]
        np.savez(path + ".tmp.npz", train=out["train"].cpu().numpy(), val=out["val"].cpu().numpy())
        os.replace(path + ".tmp.npz", path)
        self.events.emit("auto_masks", path=path, reused=False, seconds=round(time.time() - t0, 1),
                         train_slices=int(out["train"].shape[0]), val_slices=int(out["val"].shape[0]))

    def interactive_optimizer(self, model, name, lr, wd):
        """Adam over the click head alone: the trunk is the automatic parent, frozen (no gradient,
        batch norm and dropout as in inference), so that without a correction from the head the
        network is the parent."""
        if name != "adam":
            fail(self.events, "config", "an interactive job trains with adam (not %r)" % name)
        part = model.copy if model.copy is not None else model.click
        prefix = "copy." if model.copy is not None else "click."
        for n, p in model.named_parameters():
            p.requires_grad_(n.startswith(prefix))
        return self.torch.optim.Adam(part.parameters(), lr=lr, weight_decay=wd)

    def interactive_order(self, order):
        """The epoch's draws: slices with liver in the label or in the automatic mask (where clicks
        have something to correct), and one in ten of the others (where the model must leave an
        empty slice empty)."""
        torch = self.torch
        busy = ((self.train_y.flatten(1) > 0).any(1) | (self.train_auto.flatten(1) > 0).any(1)).cpu()
        keep = busy[order] | (torch.arange(order.shape[0]) % 10 == 0)
        return order[keep]

    def guided(self, model, x):
        """The interactive network on images x as a function of the guidance alone: the trunk runs
        once (without gradient), net(which, guidance) runs the head on the samples which selects.
        Returns net and the trunk's features and logits."""
        with self.torch.no_grad():
            f, z = model.features(x)

        def net(which, guidance):
            return model.decide(f[which], z[which], guidance)
        return net, f, z

    def interactive_loss(self, model, idx):
        """One step's loss with simulated clicks (RITM, DeepEdit): a share of the samples have no
        click, the automatic mask (the trunk's, on the augmented image) as label and as target
        (the network keeps the parent's logits without clicks by construction, so these only
        check it, at no cost of gradient); the others start from the
        automatic mask, an empty one or a corrupted truth, get 1..max_clicks clicks placed one at a
        time on the error left by the model's own previous output (fed back as the label), and
        learn the truth where they clicked."""
        torch = self.torch
        cfg = self.interactive
        x = self.as_float(self.train_x[idx])
        y = self.train_y[idx].unsqueeze(1).float()
        x, y = self.augment(x, y)
        b = x.shape[0]
        dev = x.device
        net, f, z = self.guided(model, x)
        a = (z > 0).float()
        g = torch.rand(b, device=dev)
        no_click = g < float(cfg.get("no_click_share", 0.25))
        rounds = torch.randint(1, int(cfg.get("max_clicks", 5)) + 1, (b,), device=dev)
        rounds[no_click] = 0
        label = a.clone()
        h = torch.rand(b, device=dev)
        empty = (h < float(cfg.get("empty_share", 0.1))) & ~no_click
        corrupt = (h >= 1 - float(cfg.get("corrupt_share", 0.2))) & ~no_click
        label[empty] = 0
        if corrupt.any():
            label[corrupt] = self.clicker.corrupt(y[corrupt])
        sp = self.train_spacing[idx]
        inp = self.clicker.simulate(net, x, y[:, 0] > 0.5, label, sp, rounds, jitter=True)
        logits = model.decide(f, z, inp[:, self.channels:])
        # The target is the truth on the error regions clicked on (grown by local_px pixels) and
        # the label given elsewhere: a click corrects its region and leaves the rest as it was,
        # so that without clicks the model keeps the label (the automatic mask), which a target
        # of the truth everywhere would teach it to "improve" far from any click, where it cannot
        # tell a sample with clicks from one without.
        k = int(cfg.get("local_px", 2))
        near = self.clicker.clicked.unsqueeze(1).float()
        if k > 0:
            near = self.torch.nn.functional.max_pool2d(near, 2 * k + 1, 1, k)
        target = self.torch.where(near > 0, y, inp[:, self.channels:self.channels + 1])
        # The clicked regions are a few per cent of the pixels: their cross-entropy is averaged
        # over them alone and weighs region_weight (1) against the rest's, or the clicks would teach
        # little beside keeping the label (a weighted mean over all pixels with the Dice of the
        # whole batch learnt the regions several times slower). The samples without clicks weigh
        # no_click_weight: keeping the label.
        F = self.torch.nn.functional
        rw = float(cfg.get("region_weight", 1))
        loss = 0.0
        if bool(no_click.any()):
            loss = loss + float(cfg.get("no_click_weight", 1.0)) * F.binary_cross_entropy_with_logits(logits[no_click], target[no_click])
        inside = (near > 0) & ~no_click.view(-1, 1, 1, 1)
        outside = (near == 0) & ~no_click.view(-1, 1, 1, 1)
        if bool(inside.any()):
            loss = loss + rw * F.binary_cross_entropy_with_logits(logits[inside], target[inside])
        if bool(outside.any()):
            loss = loss + F.binary_cross_entropy_with_logits(logits[outside], target[outside])
        return loss

    def val_pick(self):
        """The validation slices scored each epoch: at most val_slices of those with liver in the
        label or the automatic mask, spread over them."""
        np, torch = self.np, self.torch
        if getattr(self, "_val_pick", None) is None:
            busy = ((self.val_y.flatten(1) > 0).any(1) | (self.val_auto.flatten(1) > 0).any(1)).cpu().numpy()
            rows = np.nonzero(busy)[0]
            k = min(len(rows), int(self.interactive.get("val_slices", 48)))
            pick = rows[np.unique(np.linspace(0, len(rows) - 1, k).round().astype(np.int64))] if k else rows
            self._val_pick = torch.from_numpy(pick).to(self.device)
        return self._val_pick

    def validate_interactive(self, model):
        """The epoch's validation: without clicks against the automatic mask (the model must keep
        it), and after val_clicks simulated clicks against the truth. val_loss is the sum of the two
        losses, val_dice the Dice after the clicks, val_agreement the Dice without clicks against
        the automatic mask."""
        torch = self.torch
        if self.val_x is None:
            return {}
        pick = self.val_pick()
        if len(pick) == 0:
            return {}
        k = int(self.interactive.get("val_clicks", 3))
        model.eval()
        loss, n = 0.0, 0
        st = [0, 0, 0, 0, 0, 0]  # tp fp fn with clicks, then without against the automatic mask
        with torch.no_grad():
            for i in range(0, len(pick), 16):
                idx = pick[i:i + 16]
                x = self.as_float(self.val_x[idx])
                y = self.val_y[idx].unsqueeze(1).float()
                a = self.val_auto[idx].unsqueeze(1).float()
                b = x.shape[0]
                z = torch.zeros_like(a)
                net, f, zl = self.guided(model, x)
                out0 = model.decide(f, zl, torch.cat([a, z, z], 1))
                rounds = torch.full((b,), k, dtype=torch.long, device=x.device)
                outk = model.decide(f, zl, self.clicker.simulate(net, x, y[:, 0] > 0.5, a.clone(), self.val_spacing[idx], rounds)[:, self.channels:])
                loss += (float(self.loss_fn(outk, y)) + float(self.loss_fn(out0, a))) * b
                n += b
                for j, (o, t) in enumerate(((outk, y), (out0, a))):
                    p, t = o > 0, t > 0.5
                    st[3 * j] += int((p & t).sum())
                    st[3 * j + 1] += int((p & ~t).sum())
                    st[3 * j + 2] += int((~p & t).sum())
        self.set_train(model)
        return dict(val_loss=loss / max(1, n), val_dice=dice_of(*st[:3]), val_agreement=dice_of(*st[3:]), val_clicks=k)

    def reference_guidance(self, model, pick, from_val):
        """Reference inputs with guidance for the check in ONNX Runtime: the chosen slices with the
        automatic mask as label and two clicks simulated by the model."""
        torch = self.torch
        dev = next(model.parameters()).device
        xs, ys, auto, sp = (self.val_x, self.val_y, self.val_auto, self.val_spacing) if from_val else (self.train_x, self.train_y, self.train_auto, self.train_spacing)
        idx = torch.from_numpy(pick).to(xs.device)
        x = self.as_float(xs[idx]).to(dev)
        y = ys[idx].to(dev) > 0
        a = auto[idx].unsqueeze(1).float().to(dev)
        rounds = torch.full((x.shape[0],), 2, dtype=torch.long, device=dev)
        model.eval()
        with torch.no_grad():
            return self.clicker.simulate(self.guided(model, x)[0], x, y, a, sp[idx].to(dev), rounds)

    def click_curve(self, model):
        """The Dice after 0, 1, 2, 3, 5, 10 and 20 simulated clicks (click_counts) on every slice of
        each validation case, one slice at a time as an annotator corrects it: the label starts as
        the automatic mask, each click goes to the interior-most point of the largest error region
        left by the model's previous output, and a slice without error gets no more clicks. At 0
        clicks the model runs with the automatic mask as label and no click, and its agreement with
        that mask is the check that it keeps it.

        Beside the curve, first_click: what one click on the automatic mask does to the region it
        is on, as the AI click tool applies it (the click's own disk stamped, then only the
        8-connected change under the click kept): per sign, the clicks, the pixels of their error
        regions, those corrected and those changed outside the region. A curve that rises little
        shows here whether the click corrects too little of its region or too much around it."""
        torch = self.torch
        t0 = time.time()
        model = model.to(self.device).eval()
        counts = sorted(set(int(c) for c in (self.interactive.get("click_counts") or [0, 1, 2, 3, 5, 10, 20])))
        top = max(counts)
        cases = []
        pooled = {}
        splits = [("val", self.val_x, self.val_y, getattr(self, "val_auto", None), getattr(self, "val_spacing", None), getattr(self, "val_cases", []))]
        if self.interactive.get("curve_train"):
            splits.append(("train", self.train_x, self.train_y, self.train_auto, self.train_spacing, self.train_cases))
        for split, xs, ys, autos, sps, ranges in splits:
            if xs is None:
                continue
            for name, kind, lo, hi in ranges:
                st = [[0, 0, 0] for _ in counts]
                agree, auto_st = [0, 0, 0], [0, 0, 0]
                first = {"positive": [0, 0, 0, 0], "negative": [0, 0, 0, 0]}
                with torch.no_grad():
                    for i in range(lo, hi, 16):
                        j = min(hi, i + 16)
                        x = self.as_float(xs[i:j])
                        y = ys[i:j] > 0
                        a = autos[i:j].unsqueeze(1).float()
                        z = torch.zeros_like(a)
                        net, f, zl = self.guided(model, x)
                        p0 = model.decide(f, zl, torch.cat([a, z, z], 1))[:, 0] > 0
                        add(agree, p0, a[:, 0] > 0.5)
                        add(auto_st, a[:, 0] > 0.5, y)
                        self.first_click(net, a, y, sps[i:j], first)
                        preds = {}

                        def keep(r, lab):
                            if r in counts:
                                preds[r] = lab[:, 0] > 0.5
                        rounds = torch.full((x.shape[0],), top, dtype=torch.long, device=x.device)
                        if top > 0:
                            self.clicker.simulate(net, x, y, a.clone(), sps[i:j], rounds, on_round=keep)
                        preds[0] = p0
                        for c_i, c in enumerate(counts):
                            add(st[c_i], preds[c], y)
                first = {k: dict(clicks=v[0], region=v[1], fixed=v[2], outside=v[3]) for k, v in first.items()}
                cases.append(dict(name=name, kind=kind, split=split, slices=hi - lo, dice=[dice_of(*v) for v in st],
                                  auto_dice=dice_of(*auto_st), no_click_agreement=dice_of(*agree), first_click=first))
                # all the split's voxels at once, as the report's Dice is
                sum_st = pooled.setdefault(split, dict(st=[[0, 0, 0] for _ in counts], agree=[0, 0, 0], auto=[0, 0, 0], slices=0))
                for acc, v in zip(sum_st["st"] + [sum_st["agree"], sum_st["auto"]], st + [agree, auto_st]):
                    for q in range(3):
                        acc[q] += v[q]
                sum_st["slices"] += hi - lo
                fc = sum_st.setdefault("first", {k: dict(clicks=0, region=0, fixed=0, outside=0) for k in first})
                for k, v in first.items():
                    for q in v:
                        fc[k][q] += v[q]
        model.cpu()
        splits = {k: dict(slices=v["slices"], dice=[dice_of(*q) for q in v["st"]], no_click_agreement=dice_of(*v["agree"]),
                          auto_dice=dice_of(*v["auto"]), first_click=v["first"]) for k, v in pooled.items()}
        return dict(counts=counts, cases=cases, splits=splits, seconds=round(time.time() - t0, 1),
                    click_encoding=self.clicker.encoding, click_radius_mm=self.clicker.radius)

    def first_click(self, net, a, y, spacing, acc):
        """One click on each slice of a batch with label a (the automatic masks, [B,1,H,W]) and
        truth y ([B,H,W]), applied as the AI click tool applies it (inference: stampClicks, then
        keepClickedRegions); adds to acc[sign] the clicks, their regions' pixels, the pixels
        corrected and those changed outside the region."""
        torch = self.torch
        lab = a[:, 0] > 0.5
        rows, cols, positive, valid = self.clicker.next_clicks(lab, y)
        if not bool(valid.any()):
            return
        region = self.clicker.region
        pos = torch.zeros_like(a[:, 0])
        neg = torch.zeros_like(pos)
        self.clicker.draw(pos, rows, cols, spacing, valid & positive)
        self.clicker.draw(neg, rows, cols, spacing, valid & ~positive)
        out = net(torch.arange(a.shape[0], device=a.device), torch.stack([a[:, 0], pos, neg], 1))[:, 0] > 0
        sgn = positive.view(-1, 1, 1)
        # the change on the click's side: liver added for a positive click, removed for a negative
        change = torch.where(sgn, (out | (pos > 0)) & ~lab, (~out | (neg > 0)) & lab)
        comp = self.clicker.components(change)
        for b in torch.nonzero(valid).flatten().tolist():
            r, c = int(rows[b]), int(cols[b])
            kept = (comp[b] == comp[b, r, c]) & change[b] if bool(change[b, r, c]) else torch.zeros_like(change[b])
            v = acc["positive" if bool(positive[b]) else "negative"]
            v[0] += 1
            v[1] += int(region[b].sum())
            v[2] += int((kept & region[b]).sum())
            v[3] += int((kept & ~region[b]).sum())

    def save_weights(self, model, done):
        torch = self.torch
        cfg = dict(base=self.base, depth=self.depth, dropout=self.dropout, channels=self.channels, input_size=list(self.size),
                   interactive=self.interactive)
        path = os.path.join(self.out, "weights.pt")
        torch.save(dict(model={k: v.detach().cpu() for k, v in model.state_dict().items()}, config=cfg, done=done), path + ".tmp")
        os.replace(path + ".tmp", path)

    def export_again(self):
        """model.onnx and the reference outputs from weights.pt (an interactive model's click
        curve too, from the automatic masks the job kept), then "done" as training said it."""
        ck = load(self.torch, os.path.join(self.out, "weights.pt"), "cpu")
        model = self.make_model()
        model.load_state_dict(ck["model"])
        done = ck.get("done") or {}
        if self.interactive:
            self.clicker = Clicker(self.torch, self.interactive, self.size)
            self.prepare_interactive(model, None)
        self.export(model, done.get("best_epoch", -1))
        if self.interactive:
            self.events.emit("clicks", **self.click_curve(model))
        self.events.emit("done", **done)

    def _checkpoint(self, path, model, opt, state, losses):
        torch = self.torch
        state = dict(state)
        state["epoch_losses"] = losses
        tmp = path + ".tmp"
        torch.save(dict(model=model.state_dict(), optimizer=opt.state_dict(), state=state, rng=torch.get_rng_state(), job=self.job), tmp)
        os.replace(tmp, path)

    def validate(self, model):
        torch = self.torch
        if self.val_x is None:
            return {}
        model.eval()
        tp = fp = fn = tn = 0
        total, count = 0.0, 0
        bs = max(1, int(self.job.get("batch", 8)) * 2)
        with torch.no_grad():
            for i in range(0, self.val_x.shape[0], bs):
                x = self.as_float(self.val_x[i:i + bs])
                y = self.val_y[i:i + bs].unsqueeze(1).float()
                logits = model(x)
                total += float(self.loss_fn(logits, y).item()) * x.shape[0]
                count += x.shape[0]
                p = logits > 0
                t = y > 0.5
                tp += int((p & t).sum().item())
                fp += int((p & ~t).sum().item())
                fn += int((~p & t).sum().item())
                tn += int((~p & ~t).sum().item())
        self.set_train(model)

        def r(a, b):
            return a / b if b else float("nan")

        def mean(*v):
            v = [x for x in v if not math.isnan(x)]
            return sum(v) / len(v) if v else 1.0

        dice = r(2 * tp, 2 * tp + fp + fn) if (tp + fp + fn) else 1.0
        return dict(val_loss=total / max(1, count), val_dice=dice,
                    val_iou=r(tp, tp + fp + fn) if (tp + fp + fn) else 1.0,
                    val_miou=mean(r(tn, tn + fp + fn), r(tp, tp + fp + fn)),
                    val_mpa=mean(r(tn, tn + fp), r(tp, tp + fn)))

    # --- export ------------------------------------------------------------------------------

    def export(self, model, best_epoch):
        """Writes weights.pt, model.onnx (atomically: a cancelled or failed export leaves none) and
        the reference outputs of PyTorch (float32, on the CPU) on validation slices, which Go
        compares with ONNX Runtime before registering the model."""
        torch, np = self.torch, self.np
        import inspect
        model = model.cpu().eval()
        onnx_path = os.path.join(self.out, "model.onnx")
        tmp = onnx_path + ".tmp"
        dummy = torch.zeros(1, self.in_channels, self.size[0], self.size[1])
        kw = dict(input_names=["image"], output_names=["logits"], dynamic_axes={"image": {0: "n"}, "logits": {0: "n"}},
                  opset_version=int(self.job.get("opset", 13)), do_constant_folding=True)
        if "dynamo" in inspect.signature(torch.onnx.export).parameters:
            kw["dynamo"] = False
        import warnings
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(model, dummy, tmp, **kw)
        except Exception as e:
            sys.stderr.write(traceback.format_exc())
            fail(self.events, "export", "torch %s could not export ONNX (%s: %s); weights.pt is saved: run worker.py --job job.json --export with another torch"
                 % (torch.__version__, type(e).__name__, str(e).split("\n")[0]))
        os.replace(tmp, onnx_path)
        src_x = self.val_x if self.val_x is not None else self.train_x
        k = min(int(self.job.get("reference_slices", 8)), src_x.shape[0])
        pick = np.unique(np.linspace(0, src_x.shape[0] - 1, k).round().astype(np.int64))
        x = self.as_float(src_x[torch.from_numpy(pick).to(src_x.device)]).cpu().contiguous()
        if self.interactive:
            # the reference inputs carry guidance: clicks simulated on these slices
            x = self.reference_guidance(model, pick, src_x is self.val_x).cpu().contiguous()
        with torch.no_grad():
            logits = model(x)
        np.save(os.path.join(self.out, "ref_inputs.npy"), x.numpy().astype(np.float32))
        np.save(os.path.join(self.out, "ref_logits.npy"), logits.numpy().astype(np.float32))
        self.events.emit("exported", path=onnx_path, reference_slices=int(len(pick)), best_epoch=best_epoch, torch=torch.__version__)

    # --- benchmark ---------------------------------------------------------------------------

    def bench(self, steps):
        """One run, one model, same batch size: the worker's own step (indexing, uint8 to float,
        augmentation on the device, forward, loss, backward, Adam) against a bare PyTorch step on
        tensors made once on the device. The two alternate in blocks, and each side's figure is
        the median of its blocks, so that a machine busy with other work weighs on both alike."""
        torch = self.torch
        batch = int(self.job.get("batch", 8))
        n = self.train_x.shape[0]
        model = self.make_model()
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-5)
        xb = torch.rand(batch, self.channels, self.size[0], self.size[1], device=self.device)
        yb = (torch.rand(batch, 1, self.size[0], self.size[1], device=self.device) > 0.5).float()
        g = torch.Generator()
        g.manual_seed(0)

        def sync():
            if self.device.type == "cuda":
                torch.cuda.synchronize()

        def bare():
            return xb, yb

        def worker():
            idx = torch.randint(0, n, (batch,), generator=g).to(self.device)
            return self.batch(idx)

        def block(make, k):
            sync()
            t0 = time.perf_counter()
            for _ in range(k):
                x, y = make()
                loss = self.loss_fn(model(x), y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                loss.item()  # as the worker's step does (it reports the loss)
            sync()
            return (time.perf_counter() - t0) / k

        block(bare, 2)
        block(worker, 2)
        blocks = max(3, min(10, steps // 5 or 1))
        k = max(1, steps // blocks)
        tb, tw = [], []
        for _ in range(blocks):
            tb.append(block(bare, k))
            tw.append(block(worker, k))
        tb.sort()
        tw.sort()
        bare_s, work_s = tb[len(tb) // 2], tw[len(tw) // 2]
        self.events.emit("bench", device=str(self.device), torch=torch.__version__, batch=batch,
                         input_size=list(self.size), base=self.base, depth=self.depth, steps=blocks * k, blocks=blocks,
                         threads=torch.get_num_threads(), worker_step_s=work_s, bare_step_s=bare_s, overhead=work_s / bare_s - 1)


def dice_of(tp, fp, fn):
    return 2 * tp / (2 * tp + fp + fn) if (tp + fp + fn) else 1.0


def add(st, p, t):
    """Adds the true positives, false positives and false negatives of masks p against t to st."""
    st[0] += int((p & t).sum())
    st[1] += int((p & ~t).sum())
    st[2] += int((~p & t).sum())


class Clicker:
    """Simulated clicks, as the robot annotator of bench/clicks.sh places them: on the largest error
    region (8-connected) of the current label against the truth, false negatives and false positives
    taken apart, at its interior-most pixel (the largest distance to the region's border, the image's
    edge counting as border; ties go to the tied pixel nearest their mean). A false negative region
    gets a positive click ("liver here"), a false positive one a negative click.

    The distance is chamfer (3x3 and plus-shaped erosions in turn: an octagon, within 8% of the
    Euclidean distance), the same with or without scipy, which only speeds up the labelling of the
    regions (the same regions either way), so that the clicks, and the figures, do not depend on
    what is installed.

    A click at pixel (col cx, row cy) of the input is drawn into its map (positive or negative) as
    the contract says: the distance from each pixel's centre to the click's, in mm (the input
    pixel spacing per axis), d; disk: 1 where d <= radius, else 0; gaussian: exp(-d^2 / (2 r^2));
    the maximum over the map's clicks."""

    def __init__(self, torch, settings, size):
        self.torch = torch
        self.encoding = str(settings.get("click_encoding", "disk"))
        self.radius = float(settings.get("click_radius_mm", 5))
        if self.encoding not in ("disk", "gaussian") or not self.radius > 0:
            raise ValueError("click encoding %r radius %r: want disk or gaussian and a radius above 0" % (self.encoding, self.radius))
        try:
            from scipy import ndimage
            self.ndimage = ndimage
        except Exception:
            self.ndimage = None
        self.h, self.w = size

    def components(self, m):
        """8-connected regions of a [B,H,W] boolean mask as int64 labels (0 outside), ids arbitrary."""
        torch = self.torch
        if self.ndimage is not None:
            import numpy as np
            mm = m.cpu().numpy()
            out = np.zeros(mm.shape, dtype=np.int64)
            for b in range(mm.shape[0]):
                if mm[b].any():
                    out[b] = self.ndimage.label(mm[b], structure=np.ones((3, 3), dtype=np.int64))[0]
            return torch.from_numpy(out).to(m.device)
        F = torch.nn.functional
        b, h, w = m.shape
        mf = m.unsqueeze(1).double()
        ids = (torch.arange(b * h * w, device=m.device, dtype=torch.float64).view(b, 1, h, w) + 1) * mf
        while True:
            nxt = F.max_pool2d(ids, 3, 1, 1) * mf
            for _ in range(7):
                nxt = F.max_pool2d(nxt, 3, 1, 1) * mf
            if torch.equal(nxt, ids):
                return ids[:, 0].long()
            ids = nxt

    def distance(self, region):
        """Chamfer distance (in erosions) of every pixel of a [B,H,W] region to its border."""
        torch = self.torch
        F = torch.nn.functional
        cur = region.unsqueeze(1).float()
        dist = torch.zeros_like(cur)
        k = 0
        while bool(cur.any()):
            dist += cur
            p = F.pad(cur, (1, 1, 1, 1), value=0.0)
            if k % 2 == 0:
                cur = -F.max_pool2d(-p, 3, 1, 0)
            else:
                cur = torch.minimum(torch.minimum(p[:, :, 1:-1, 1:-1], p[:, :, :-2, 1:-1]), torch.minimum(p[:, :, 2:, 1:-1], torch.minimum(p[:, :, 1:-1, :-2], p[:, :, 1:-1, 2:])))
            k += 1
        return dist[:, 0]

    def next_clicks(self, pred, truth, jitter=False):
        """The next click on each slice of a batch: (rows, cols, positive, valid), [B] each; valid is
        False where the slice has no error. self.region is then the error region clicked on."""
        torch = self.torch
        import numpy as np
        b = pred.shape[0]
        fn, fp = truth & ~pred, pred & ~truth
        labs = (self.components(fn), self.components(fp))
        region = torch.zeros_like(pred)
        positive = torch.zeros(b, dtype=torch.bool, device=pred.device)
        valid = torch.zeros(b, dtype=torch.bool, device=pred.device)
        for i in range(b):
            best = None  # (size, -first pixel, positive)
            for sign, lab in ((True, labs[0][i]), (False, labs[1][i])):
                flat = lab.flatten().cpu().numpy()
                if not flat.any():
                    continue
                ids, first, count = np.unique(flat, return_index=True, return_counts=True)
                keep = ids > 0
                ids, first, count = ids[keep], first[keep], count[keep]
                j = int(np.lexsort((first, -count))[0])
                cand = (int(count[j]), -int(first[j]), sign, int(ids[j]))
                if best is None or cand[:2] > best[:2]:
                    best = cand
            if best is None:
                continue
            lab = labs[0][i] if best[2] else labs[1][i]
            region[i] = lab == best[3]
            positive[i] = best[2]
            valid[i] = True
        rows = torch.zeros(b, dtype=torch.long, device=pred.device)
        cols = torch.zeros(b, dtype=torch.long, device=pred.device)
        if valid.any():
            d = self.distance(region)
            for i in torch.nonzero(valid).flatten().tolist():
                top = d[i] == d[i].max()
                if jitter and bool(torch.rand(1) < 0.5):
                    # in training, half the clicks land anywhere in the region's inner half (an
                    # annotator, or a click carried to the next slice, is off the centre)
                    inner = d[i] >= (d[i].max() + 1) / 2
                    ys, xs = torch.nonzero(inner, as_tuple=True)
                    j = int(torch.randint(0, ys.shape[0], (1,)))
                    rows[i], cols[i] = ys[j], xs[j]
                    continue
                ys, xs = torch.nonzero(top, as_tuple=True)
                cy, cx = ys.float().mean(), xs.float().mean()
                j = int(torch.argmin((ys.float() - cy) ** 2 + (xs.float() - cx) ** 2))
                rows[i], cols[i] = ys[j], xs[j]
        self.region = region
        return rows, cols, positive, valid

    def draw(self, maps, rows, cols, spacing, which):
        """Draws the clicks of the samples in which (a [B] boolean) into maps ([B,H,W], in place)."""
        torch = self.torch
        if not bool(which.any()):
            return
        i = torch.nonzero(which).flatten()
        yy = torch.arange(self.h, device=maps.device, dtype=torch.float32).view(1, -1, 1)
        xx = torch.arange(self.w, device=maps.device, dtype=torch.float32).view(1, 1, -1)
        sx, sy = spacing[i, 0].view(-1, 1, 1), spacing[i, 1].view(-1, 1, 1)
        d2 = ((xx - cols[i].float().view(-1, 1, 1)) * sx) ** 2 + ((yy - rows[i].float().view(-1, 1, 1)) * sy) ** 2
        if self.encoding == "disk":
            v = (d2 <= self.radius ** 2).float()
        else:
            v = torch.exp(-d2 / (2 * self.radius ** 2))
        maps[i] = torch.maximum(maps[i], v)

    def simulate(self, net, x, truth, label, spacing, rounds, on_round=None, jitter=False):
        """Places rounds[i] clicks on slice i, one at a time, each on the error of the current label,
        which after each click becomes the model's thresholded output (its own previous output fed
        back); returns the model's input for the last click: [B, C+3, H, W] (image, the label before
        the last click, positive and negative maps). A slice without error gets no click and keeps
        its label. on_round(r, label) sees the label after each round r (the model's output after
        the r-th click), for the click curve; then the model runs after the last click too.
        self.clicked is then the union of the error regions clicked on ([B,H,W]), where the
        training target is the truth."""
        torch = self.torch
        b = x.shape[0]
        truth = truth.reshape(b, self.h, self.w).bool()
        lab = label.reshape(b, 1, self.h, self.w).float().clone()
        pos = torch.zeros(b, self.h, self.w, device=x.device)
        neg = torch.zeros_like(pos)
        self.clicked = torch.zeros(b, self.h, self.w, dtype=torch.bool, device=x.device)
        top = int(rounds.max()) if b else 0
        for r in range(1, top + 1):
            act = rounds >= r
            rows, cols, positive, valid = self.next_clicks(lab[:, 0] > 0.5, truth, jitter)
            clicked = act & valid
            self.clicked |= self.region & clicked.view(-1, 1, 1)
            self.draw(pos, rows, cols, spacing, clicked & positive)
            self.draw(neg, rows, cols, spacing, clicked & ~positive)
            run = clicked & ((rounds > r) | (on_round is not None))
            if bool(run.any()):
                with torch.no_grad():
                    out = net(run, torch.cat([lab[run], pos[run].unsqueeze(1), neg[run].unsqueeze(1)], 1))
                lab[run] = (out > 0).float()
            if on_round is not None:
                on_round(r, lab)
        return torch.cat([x, lab, pos.unsqueeze(1), neg.unsqueeze(1)], 1)

    def corrupt(self, y):
        """A wrong label to start from: the truth grown or shrunk by 1 to 6 pixels ([B,1,H,W])."""
        torch = self.torch
        F = torch.nn.functional
        out = []
        for m in y:
            k = int(torch.randint(1, 7, (1,)))
            m = m.unsqueeze(0)
            if bool(torch.rand(1) < 0.5):
                m = F.max_pool2d(m, 2 * k + 1, 1, k)
            else:
                m = -F.max_pool2d(-m, 2 * k + 1, 1, k)
            out.append(m[0])
        return torch.stack(out)


if __name__ == "__main__":
    main()
