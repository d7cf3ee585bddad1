package scan

import (
	"bytes"
	"fmt"
	"io"
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

// DetectLabelFormat says which label format path is: a folder of PNG files or of DICOM files
// (whichever holds most of its files), a NIfTI file by its extension or magic, or a DICOM SEG.
// Anything that is neither a regular file nor a folder (a FIFO) is refused with ErrNotRegular
// before it is opened.
func DetectLabelFormat(path string) (LabelFormat, error) {
	st, err := CheckPath(path)
	if err != nil {
		return "", err
	}
	if st.IsDir() {
		return detectFolderFormat(path)
	}
	lower := strings.ToLower(path)
	if strings.HasSuffix(lower, ".nii") || strings.HasSuffix(lower, ".nii.gz") {
		return FormatNIfTI, nil
	}
	f, _, err := OpenRegular(path)
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
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		return FormatNIfTI, nil // gzip: a .nii.gz under another name
	case len(head) >= 348 && (bytes.Equal(head[344:348], []byte("n+1\x00")) || bytes.Equal(head[344:348], []byte("ni1\x00"))):
		return FormatNIfTI, nil
	}
	return "", fmt.Errorf("%s: not a label: not a folder, NIfTI or DICOM SEG", path)
}

// detectFolderFormat tells a PNG stack from a folder of DICOM masks by the majority of its visible
// files: a README.png among DICOM masks, or notes beside a PNG stack, must not decide. The reader
// of the format chosen names the files it leaves out; a tie is ambiguous and an error.
func detectFolderFormat(dir string) (LabelFormat, error) {
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
		dir, len(pngs), firstNames(pngs), len(others), firstNames(others))
}

// firstNames lists the first few of names, for a message.
func firstNames(names []string) string {
	const shown = 5
	s := strings.Join(names[:min(len(names), shown)], ", ")
	if len(names) > shown {
		s += fmt.Sprintf(" and %d more", len(names)-shown)
	}
	return s
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
