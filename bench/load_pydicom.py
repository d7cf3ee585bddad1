#!/usr/bin/env python3
"""The peer of `liverseg info` for bench/load_ircad7.sh: loads a DICOM series folder with pydicom
and numpy the usual way, into one int16 HU volume.

Reads every file, sorts by ImagePositionPatient projected on the slice normal (row cosine x column
cosine), HU = pixel_array * RescaleSlope + RescaleIntercept, clipped to int16, stacked into an
int16 array of shape (slices, rows, columns). Prints one JSON line: shape, HU range, seconds.

Usage: load_pydicom.py FOLDER
"""
import json
import os
import sys
import time

import numpy as np
import pydicom


def load(folder):
    datasets = [pydicom.dcmread(os.path.join(folder, name)) for name in sorted(os.listdir(folder))]
    iop = np.asarray(datasets[0].ImageOrientationPatient, dtype=np.float64)
    normal = np.cross(iop[:3], iop[3:])
    datasets.sort(key=lambda ds: float(np.dot(normal, np.asarray(ds.ImagePositionPatient, dtype=np.float64))))
    first = datasets[0]
    volume = np.empty((len(datasets), first.Rows, first.Columns), dtype=np.int16)
    for i, ds in enumerate(datasets):
        slope = float(getattr(ds, "RescaleSlope", 1))
        intercept = float(getattr(ds, "RescaleIntercept", 0))
        hu = ds.pixel_array.astype(np.float32) * slope + intercept
        np.clip(np.rint(hu), -32768, 32767, out=hu)
        volume[i] = hu
    return volume


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: load_pydicom.py FOLDER")
    start = time.perf_counter()
    volume = load(sys.argv[1])
    seconds = time.perf_counter() - start
    print(json.dumps({"shape": list(volume.shape), "dtype": str(volume.dtype), "hu_min": int(volume.min()),
                      "hu_max": int(volume.max()), "bytes": int(volume.nbytes), "load_seconds": round(seconds, 4)}))


if __name__ == "__main__":
    main()
