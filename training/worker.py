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

        def forward(self, x):
            skips = []
            for d in self.down:
                x = d(x)
                skips.append(x)
                x = self.pool(x)
            x = self.drop(self.bottom(x))
            for up, dec, s in zip(self.up, self.dec, reversed(skips)):
                x = self.drop(dec(torch_cat([up(x), s])))
            return self.head(x)

    return UNet()


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
        if self.size[0] % (2 ** self.depth) or self.size[1] % (2 ** self.depth):
            fail(events, "config", "input size %s is not divisible by 2^depth = %d" % (self.size, 2 ** self.depth))
        self.train_x, self.train_y = self._load("train")
        self.val_x, self.val_y = self._load("val")
        if self.train_x is None:
            fail(events, "config", "the dataset has no training slices")

    def _load(self, split):
        np, torch = self.np, self.torch
        xs, ys = [], []
        if split == "train":
            self.repeat = []
        for case in self.manifest["cases"]:
            if case["split"] != split:
                continue
            x = np.load(os.path.join(self.dsdir, case["images"]), mmap_mode="r")
            y = np.load(os.path.join(self.dsdir, case["masks"]), mmap_mode="r")
            if x.shape[0] != y.shape[0] or tuple(x.shape[1:]) != (self.channels,) + self.size:
                fail(self.events, "dataset", "%s: images %s and masks %s do not match the manifest" % (case["name"], x.shape, y.shape))
            xs.append(np.ascontiguousarray(x))
            ys.append(np.ascontiguousarray(y))
            if split == "train":
                self.repeat += [max(1, int(case.get("repeat", 1)))] * x.shape[0]
        if not xs:
            return None, None
        x = torch.from_numpy(np.concatenate(xs)).to(self.device)
        y = torch.from_numpy(np.concatenate(ys)).to(self.device)
        return x, y

    def as_float(self, x):
        # images travel as float32, or as uint8 quantised (value / 255) to keep the dataset small
        if x.dtype == self.torch.uint8:
            return x.float() / 255.0
        return x.float()

    # --- the model, loss and optimiser --------------------------------------------------------

    def make_model(self):
        return build_unet(self.torch.nn, self.channels, self.base, self.depth, self.dropout).to(self.device)

    def loss_fn(self, logits, target):
        F = self.torch.nn.functional
        bce = F.binary_cross_entropy_with_logits(logits, target)
        p = self.torch.sigmoid(logits)
        inter = (p * target).sum()
        dice = (2 * inter + 1) / (p.sum() + target.sum() + 1)
        return bce + (1 - dice)

    def make_optimizer(self, model):
        torch = self.torch
        name = str(self.job.get("optimizer", "adam")).lower()
        lr, wd = float(self.job.get("lr", 1e-3)), float(self.job.get("weight_decay", 0))
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
        if job.get("init") and not (job.get("resume") and os.path.exists(ckpt_path)):
            init = job["init"] if os.path.isabs(job["init"]) else os.path.join(self.out, job["init"])
            if init.endswith(".npz"):
                info = self.init_from_onnx(model, init)
            else:
                sd = load(torch, init, self.device)
                model.load_state_dict(sd.get("model", sd))
                info = dict(source="weights", path=init)
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
                    gr["lr"] = lr
                idx = perm[st * batch:(st + 1) * batch].to(self.device)
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
            val = self.validate(model)
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
        self.events.emit("done", **done)

    def set_train(self, model):
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
        missing = sorted(k for k in sd if k not in new and k not in folded and not k.endswith("num_batches_tracked"))
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
                model(self.as_float(self.train_x[idx]))
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
                logits = model(self.as_float(self.train_x[i:i + 16]))
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
                got.append(model(x[i:i + 4].to(self.device)).float().cpu())
        got = torch.cat(got)
        if tuple(got.shape) != tuple(want.shape):
            fail(self.events, "init", "init check: the network gives %s, the reference logits are %s" % (tuple(got.shape), tuple(want.shape)))
        diff = float((got - want).abs().max().item())
        scale = float(want.abs().max().item())
        tol = float(c.get("tolerance") or 1e-3) * max(1.0, scale)
        if not diff <= tol:
            fail(self.events, "init", "the initial weights do not reproduce the parent model: largest logit difference %.3g on %d slices (tolerance %.3g)" % (diff, x.shape[0], tol))
        return dict(max_diff=diff, reference_slices=int(x.shape[0]))

    def save_weights(self, model, done):
        torch = self.torch
        cfg = dict(base=self.base, depth=self.depth, dropout=self.dropout, channels=self.channels, input_size=list(self.size))
        path = os.path.join(self.out, "weights.pt")
        torch.save(dict(model={k: v.detach().cpu() for k, v in model.state_dict().items()}, config=cfg, done=done), path + ".tmp")
        os.replace(path + ".tmp", path)

    def export_again(self):
        """model.onnx and the reference outputs from weights.pt, then "done" as training said it."""
        ck = load(self.torch, os.path.join(self.out, "weights.pt"), "cpu")
        model = self.make_model()
        model.load_state_dict(ck["model"])
        done = ck.get("done") or {}
        self.export(model, done.get("best_epoch", -1))
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
        dummy = torch.zeros(1, self.channels, self.size[0], self.size[1])
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


if __name__ == "__main__":
    main()
