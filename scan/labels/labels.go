// Package labels is LABEL (see DESIGN.md): every way a label arrives or leaves — a folder of mask
// DICOM files, a PNG stack, a NIfTI file, a DICOM SEG — told apart, read aligned to a volume and
// written, through the readers and writers of scan, scan/nifti and scan/pngstack.
package labels

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"liverseg/scan"
	"liverseg/scan/nifti"
	"liverseg/scan/pngstack"
)

// Format names one of the ways a label arrives or leaves (see DESIGN.md, LABEL).
type Format string

const (
	FormatMaskFolder Format = "dicom-folder" // per-slice mask DICOM files (IRCAD MASKS_DICOM/liver)
	FormatPNG        Format = "png"          // a folder of PNG files, one per slice
	FormatNIfTI      Format = "nifti"        // .nii or .nii.gz
	FormatSEG        Format = "seg"          // DICOM Segmentation object
)

// Options are the choices a user can make about reading a label.
type Options struct {
	Reverse bool // PNG stack: file i is slice n-1-i
	Segment int  // DICOM SEG: the segment number to read; 0 means the one labelled liver
}

// Detect says which label format path is: a folder of PNG files or of DICOM files
// (whichever holds most of its files), a NIfTI file by its extension or magic, or a DICOM SEG.
// Anything that is neither a regular file nor a folder (a FIFO) is refused with
// scan.ErrNotRegular before it is opened.
func Detect(path string) (Format, error) {
	st, err := scan.CheckPath(path)
	if err != nil {
		return "", err
	}
	if st.IsDir() {
		return detectFolder(path)
	}
	lower := strings.ToLower(path)
	if strings.HasSuffix(lower, ".nii") || strings.HasSuffix(lower, ".nii.gz") {
		return FormatNIfTI, nil
	}
	f, _, err := scan.OpenRegular(path)
	if err != nil {
		return "", err
	}
	head := make([]byte, 352)
	n, _ := io.ReadFull(f, head)
	f.Close()
	head = head[:n]
	switch {
	case len(head) >= 132 && string(head[128:132]) == "DICM":
		return FormatSEG, nil
	case nifti.Sniff(head):
		return FormatNIfTI, nil
	}
	return "", fmt.Errorf("%s: not a label: not a folder, NIfTI or DICOM SEG", path)
}

// detectFolder tells a PNG stack from a folder of DICOM masks by the majority of its visible
// files: a README.png among DICOM masks, or notes beside a PNG stack, must not decide. The reader
// of the format chosen names the files it leaves out; a tie is ambiguous and an error.
func detectFolder(dir string) (Format, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var pngs, others []string
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if strings.EqualFold(filepath.Ext(e.Name()), ".png") {
			pngs = append(pngs, e.Name())
		} else {
			others = append(others, e.Name())
		}
	}
	switch {
	case len(pngs) == 0 && len(others) == 0:
		return "", fmt.Errorf("%s: empty folder, not a label", dir)
	case len(pngs) > len(others):
		return FormatPNG, nil
	case len(others) > len(pngs):
		return FormatMaskFolder, nil
	}
	return "", fmt.Errorf("%s: not a label: %d PNG files (%s) and %d other files (%s): neither a PNG stack nor a folder of DICOM masks; remove the files that are not the label",
		dir, len(pngs), scan.FirstNames(pngs), len(others), scan.FirstNames(others))
}

// Load reads a label in any format and aligns it to ref.
func Load(path string, ref *scan.Volume, opt Options) (*scan.Mask, error) {
	format, err := Detect(path)
	if err != nil {
		return nil, err
	}
	return LoadAs(path, format, ref, opt)
}

// LoadAs reads a label of a known format and aligns it to ref.
func LoadAs(path string, format Format, ref *scan.Volume, opt Options) (*scan.Mask, error) {
	// A FIFO or a device would block the reader that opens it: refused here, for every format.
	if _, err := scan.CheckPath(path); err != nil {
		return nil, err
	}
	switch format {
	case FormatMaskFolder:
		return scan.ReadMaskFolder(path, ref)
	case FormatPNG:
		return pngstack.Read(path, ref, opt.Reverse)
	case FormatNIfTI:
		return nifti.ReadLabel(path, ref)
	case FormatSEG:
		return scan.ReadSEG(path, ref, opt.Segment)
	}
	return nil, fmt.Errorf("%s: unknown label format %q", path, format)
}

// FormatForOutput picks the format to write from an explicit name or the output's extension:
// .nii/.nii.gz NIfTI, .dcm DICOM SEG, a name without extension (or ending in /) a PNG stack.
func FormatForOutput(path, explicit string) (Format, error) {
	switch strings.ToLower(explicit) {
	case "nifti", "nii":
		return FormatNIfTI, nil
	case "seg", "dicom-seg", "dcm":
		return FormatSEG, nil
	case "png":
		return FormatPNG, nil
	case "":
	default:
		return "", fmt.Errorf("unknown output format %q (nifti, seg or png)", explicit)
	}
	lower := strings.ToLower(path)
	switch {
	case strings.HasSuffix(lower, ".nii"), strings.HasSuffix(lower, ".nii.gz"):
		return FormatNIfTI, nil
	case strings.HasSuffix(lower, ".dcm"):
		return FormatSEG, nil
	case filepath.Ext(lower) == "" || strings.HasSuffix(lower, "/"):
		return FormatPNG, nil
	}
	return "", fmt.Errorf("%s: cannot tell the format from the extension (use .nii.gz, .dcm, a folder name, or --format)", path)
}

// Write writes m, aligned to ref, in the given format.
func Write(path string, format Format, ref *scan.Volume, m *scan.Mask, meta scan.LabelMeta) error {
	if err := ref.CheckMask(m); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	switch format {
	case FormatNIfTI:
		return nifti.WriteLabel(path, ref, m)
	case FormatSEG:
		return scan.WriteSEG(path, ref, m, meta)
	case FormatPNG:
		return pngstack.Write(path, m)
	}
	return fmt.Errorf("%s: cannot write labels as %q", path, format)
}
