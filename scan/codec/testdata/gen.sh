#!/bin/bash
# Regenerates the codec seeds: a synthetic 32x24 16-bit signed image (a gradient with a disc and
# noise, no patient data) and its 12-bit and 8-bit unsigned twins, encoded by GDCM (gdcmconv) and
# DCMTK (dcmcjpeg); each compressed frame is stored bare (.j2k, .jls, .ljpeg, .rle, .dct.jpg)
# beside the raw little-endian frame (.raw; for the lossy DCT seeds, .dct.raw is DCMTK's decoding). Needs /usr/bin/python3 with pydicom and numpy,
# gdcmconv, dcmcjpeg.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp" <<'PY'
import sys, numpy as np, pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
out = sys.argv[1]
rng = np.random.default_rng(10)
y, x = np.mgrid[0:24, 0:32]
base = (x * 40 - y * 25 - 300) + 900 * (((x - 16) ** 2 + (y - 12) ** 2) < 49) + rng.integers(-20, 20, (24, 32))
for name, arr, bits, signed in (("s16", base.astype(np.int16), 16, 1), ("u12", np.clip(base + 1024, 0, 4095).astype(np.uint16), 12, 0),
                                 ("u8", np.clip(base // 16 + 64, 0, 255).astype(np.uint8), 8, 0)):
    m = FileMetaDataset()
    m.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    m.MediaStorageSOPInstanceUID = generate_uid()
    m.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = m
    ds.SOPClassUID, ds.SOPInstanceUID = m.MediaStorageSOPClassUID, m.MediaStorageSOPInstanceUID
    ds.Modality, ds.PatientName = "OT", "Synthetic"
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = 24, 32, 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = (16 if bits > 8 else 8), bits, bits - 1, signed
    ds.PixelData = arr.astype(("<i2" if signed else "<u2") if bits > 8 else "u1").tobytes()
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(f"{out}/{name}.dcm", write_like_original=False)
PY
enc() { # enc NAME OUT TOOL ARGS...
  local name=$1 out=$2 tool=$3; shift 3
  "$tool" "$@" "$tmp/$name.dcm" "$tmp/$out.dcm" >/dev/null 2>&1
}
enc u8 u8.dct.jpg dcmcjpeg +eb
enc u12 u12.dct.jpg dcmcjpeg +ee
# DCMTK's decoding of the lossy DCT seeds (IJG's islow transform), which ours must equal.
for v in u8 u12; do dcmdjpeg "$tmp/$v.dct.jpg.dcm" "$tmp/$v.dct-decoded.dcm"; done
for v in s16 u12 u8; do
  enc $v $v.j2k gdcmconv -K
  enc $v $v.lossy.j2k gdcmconv -K -Y -r 4
  enc $v $v.jls gdcmconv -L
  enc $v $v.near.jls gdcmconv -L -Y -e 2
  enc $v $v.ljpeg gdcmconv -J
  enc $v $v.sv7.ljpeg dcmcjpeg +el +sv 7
  enc $v $v.rle gdcmconv -R
done
/usr/bin/python3 - "$tmp" "$here" <<'PY'
import sys, os, glob, pydicom
from pydicom.encaps import generate_pixel_data_frame
tmp, here = sys.argv[1], sys.argv[2]
for p in sorted(glob.glob(tmp + "/*.dcm")):
    ds = pydicom.dcmread(p)
    name = os.path.basename(p)[:-4]
    if name.endswith("-decoded"):
        name, data = name[: -len("-decoded")] + ".raw", ds.PixelData
    elif "." in name:
        data = next(generate_pixel_data_frame(ds.PixelData, 1))
    else:
        name, data = name + ".raw", ds.PixelData
    open(os.path.join(here, name), "wb").write(data)
PY
ls -l "$here"
