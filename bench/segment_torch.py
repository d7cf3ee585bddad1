#!/usr/bin/env python3
"""The segmentation of `liverseg segment`, done with PyTorch eager mode on the CPU: the peer of
bench/segment_vs_torch.sh. Same weights, same threads, same batches and the same pre-processing as
liverseg's contract: HU from pydicom, window clip and scale, 2.5D channels (k-1, k, k+1 clamped),
bilinear resize (align_corners=False) to the model's input and back, sigmoid, threshold, the largest
6-connected component (scipy.ndimage.label) and hole filling per axial slice; then NIfTI (nibabel).
Axial series in the usual orientation only (rows anterior to posterior, columns right to left).

  segment_torch.py --series DIR --weights W.pt --out OUT.nii.gz [--threads 2] [--batch 8]
                   [--window -200,300]

W.pt: export_unet.py --pt (state_dict, channels, base, levels, size) or the training worker's
weights.pt (model, config). Prints JSON: load_s, infer_s (pre-processing, model, restoring),
model_s (the model alone), post_s, write_s, total_s, liver_voxels.
"""
import argparse, glob, json, os, sys, time

t_start = time.perf_counter()
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import pydicom  # noqa: E402
import nibabel  # noqa: E402
from scipy import ndimage  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))


def load_net(path):
    ck = torch.load(path, map_location="cpu")
    if "config" in ck:  # the training worker's weights.pt
        sys.path.insert(0, os.path.join(here, "..", "training"))
        import worker
        c = ck["config"]
        net = worker.build_unet(torch.nn, c["channels"], c["base"], c["depth"], 0)
        net.load_state_dict(ck["model"])
        size = c["input_size"]
        return net.eval(), c["channels"], (int(size[0]), int(size[1]))
    sys.path.insert(0, os.path.join(here, "..", "inference", "testdata"))
    from export_unet import UNet
    net = UNet(ck["channels"], ck["base"], ck["levels"])
    net.load_state_dict(ck["state_dict"])
    return net.eval(), ck["channels"], (ck["size"], ck["size"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--series", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--window", default="-200,300")
    ap.add_argument("--threshold", type=float, default=0.5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    lo, hi = (float(v) for v in a.window.split(","))

    t0 = time.perf_counter()
    ds = [pydicom.dcmread(p) for p in glob.glob(os.path.join(a.series, "*"))]
    iop = np.array(ds[0].ImageOrientationPatient, float)
    normal = np.cross(iop[:3], iop[3:])
    ds.sort(key=lambda d: float(np.dot(normal, np.array(d.ImagePositionPatient, float))))
    hu = np.stack([d.pixel_array.astype(np.float32) * float(d.RescaleSlope) + float(d.RescaleIntercept) for d in ds])
    net, channels, (h, w) = load_net(a.weights)
    t1 = time.perf_counter()

    n, rows, cols = hu.shape
    prob = np.empty((n, rows, cols), np.uint8)
    model_s = 0.0
    with torch.no_grad():
        vol = torch.from_numpy(hu)
        small = F.interpolate(((vol.clamp(lo, hi) - lo) / (hi - lo))[:, None], size=(h, w), mode="bilinear", align_corners=False)[:, 0]
        half = channels // 2
        for k0 in range(0, n, a.batch):
            ks = torch.arange(k0, min(k0 + a.batch, n))
            idx = (ks[:, None] + torch.arange(-half, half + 1)[None]).clamp(0, n - 1)
            x = small[idx]
            tm = time.perf_counter()
            logits = net(x)
            model_s += time.perf_counter() - tm
            p = F.interpolate(torch.sigmoid(logits), size=(rows, cols), mode="bilinear", align_corners=False)[:, 0]
            prob[k0:k0 + len(ks)] = (p * 255 + 0.5).clamp(0, 255).to(torch.uint8).numpy()
    t2 = time.perf_counter()

    mask = prob >= int(np.ceil(a.threshold * 255 + 0.5))
    lab, count = ndimage.label(mask)
    if count > 0:
        sizes = np.bincount(lab.ravel())
        sizes[0] = 0
        mask = lab == sizes.argmax()
    for k in range(n):
        if mask[k].any():
            mask[k] = ndimage.binary_fill_holes(mask[k])
    t3 = time.perf_counter()

    sx, sy = (float(v) for v in ds[0].PixelSpacing)  # row spacing, column spacing
    p0 = np.array(ds[0].ImagePositionPatient, float)
    dz = float(np.dot(normal, np.array(ds[-1].ImagePositionPatient, float) - p0)) / max(n - 1, 1)
    aff = np.eye(4)
    aff[:3, 0] = iop[:3] * sy
    aff[:3, 1] = iop[3:] * sx
    aff[:3, 2] = normal * dz
    aff[:3, 3] = p0
    aff[:2] *= -1  # LPS to RAS
    nibabel.save(nibabel.Nifti1Image(np.ascontiguousarray(mask.astype(np.uint8).transpose(2, 1, 0)), aff), a.out)
    t4 = time.perf_counter()
    print(json.dumps(dict(import_s=t0 - t_start, load_s=t1 - t0, infer_s=t2 - t1, model_s=model_s, post_s=t3 - t2,
                          write_s=t4 - t3, total_s=t4 - t_start, liver_voxels=int(mask.sum()), torch=torch.__version__,
                          threads=a.threads, batch=a.batch)))


if __name__ == "__main__":
    main()
