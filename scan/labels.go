package scan

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// LabelFormat names one of the ways a label arrives or leaves (see DESIGN.md, LABEL).
type LabelFormat string

const (
	FormatMaskFolder LabelFormat = "dicom-folder" // per-slice mask DICOM files (IRCAD MASKS_DICOM/liver)
	FormatPNG        LabelFormat = "png"          // a folder of PNG files, one per slice
	FormatNIfTI      LabelFormat = "nifti"        // .nii or .nii.gz
	FormatSEG        LabelFormat = "seg"          // DICOM Segmentation object
)

// LabelOptions are the choices a user can make about reading a label.
type LabelOptions struct {
	Reverse bool // PNG stack: file i is slice n-1-i
	Segment int  // DICOM SEG: the segment number to read; 0 means the one labelled liver
}

// DetectLabelFormat says which label format path is: a folder of PNG files, a folder of DICOM
// files, a NIfTI file by its extension or magic, or a DICOM SEG.
func DetectLabelFormat(path string) (LabelFormat, error) {
	st, err := CheckPath(path)
	if err != nil {
		return "", err
	}
	if st.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return "", err
		}
		pngs, others := 0, 0
		for _, e := range entries {
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			if strings.EqualFold(filepath.Ext(e.Name()), ".png") {
				pngs++
			} else {
				others++
			}
		}
		if pngs > 0 {
			return FormatPNG, nil
		}
		if others > 0 {
			return FormatMaskFolder, nil
		}
		return "", fmt.Errorf("%s: empty folder, not a label", path)
	}
	lower := strings.ToLower(path)
	if strings.HasSuffix(lower, ".nii") || strings.HasSuffix(lower, ".nii.gz") {
		return FormatNIfTI, nil
	}
	head := make([]byte, 352)
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	n, _ := f.Read(head)
	f.Close()
	head = head[:n]
	switch {
	case len(head) >= 132 && string(head[128:132]) == "DICM":
		return FormatSEG, nil
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		return FormatNIfTI, nil // gzip: a .nii.gz under another name
	case len(head) >= 348 && (bytes.Equal(head[344:348], []byte("n+1\x00")) || bytes.Equal(head[344:348], []byte("ni1\x00"))):
		return FormatNIfTI, nil
	}
	return "", fmt.Errorf("%s: not a label: not a folder, NIfTI or DICOM SEG", path)
}

// LoadLabel reads a label in any format and aligns it to ref.
func LoadLabel(path string, ref *Volume, opt LabelOptions) (*Mask, error) {
	format, err := DetectLabelFormat(path)
	if err != nil {
		return nil, err
	}
	return LoadLabelAs(path, format, ref, opt)
}

// LoadLabelAs reads a label of a known format and aligns it to ref.
func LoadLabelAs(path string, format LabelFormat, ref *Volume, opt LabelOptions) (*Mask, error) {
	// A FIFO or a device would block the reader that opens it: refused here, for every format.
	if _, err := CheckPath(path); err != nil {
		return nil, err
	}
	switch format {
	case FormatMaskFolder:
		return ReadMaskFolder(path, ref)
	case FormatPNG:
		return ReadPNGStack(path, ref, opt.Reverse)
	case FormatNIfTI:
		return ReadNIfTILabel(path, ref)
	case FormatSEG:
		return ReadSEG(path, ref, opt.Segment)
	}
	return nil, fmt.Errorf("%s: unknown label format %q", path, format)
}

// FormatForOutput picks the format to write from an explicit name or the output's extension:
// .nii/.nii.gz NIfTI, .dcm DICOM SEG, a name without extension (or ending in /) a PNG stack.
func FormatForOutput(path, explicit string) (LabelFormat, error) {
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

// WriteLabel writes m, aligned to ref, in the given format.
func WriteLabel(path string, format LabelFormat, ref *Volume, m *Mask, meta LabelMeta) error {
	if err := ref.CheckMask(m); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	switch format {
	case FormatNIfTI:
		return WriteNIfTILabel(path, ref, m)
	case FormatSEG:
		return WriteSEG(path, ref, m, meta)
	case FormatPNG:
		return WritePNGStack(path, m)
	}
	return fmt.Errorf("%s: cannot write labels as %q", path, format)
}
