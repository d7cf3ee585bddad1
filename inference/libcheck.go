package inference

// The ONNX Runtime library is checked as a file before dlopen: the dynamic loader maps its
// segments straight from the file, and a truncated copy maps pages past the end of the file,
// whose first touch is a SIGBUS that kills the process (Go cannot recover from it in C code),
// and a FIFO given as the library blocks dlopen forever. debug/elf reads the headers only; what
// is checked is what the loader relies on: the header, the program and section header tables and
// every PT_LOAD segment lying inside the file, and a class, byte order and machine this process
// can load.

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"unsafe"

	"liverseg/scan"
)

// ErrBadLibrary: the ONNX Runtime library file is damaged (truncated, say) or not a shared
// library this process can load. Its text is what doctor's ORT line shows.
var ErrBadLibrary = errors.New("damaged library")

// hostMachine is the ELF machine of this process's architecture; absent for an architecture
// this list does not know, whose machine is then left to dlopen.
var hostMachine = map[string]elf.Machine{
	"amd64":   elf.EM_X86_64,
	"386":     elf.EM_386,
	"arm64":   elf.EM_AARCH64,
	"arm":     elf.EM_ARM,
	"riscv64": elf.EM_RISCV,
	"ppc64le": elf.EM_PPC64,
	"ppc64":   elf.EM_PPC64,
	"s390x":   elf.EM_S390,
	"loong64": elf.EM_LOONGARCH,
}

// checkLibraryFile checks path before it is given to dlopen. A bare name (no slash) is left to
// the loader's search, which this cannot follow. Errors name the path; a damaged or foreign file
// is ErrBadLibrary, a FIFO or a device scan.ErrNotRegular.
func checkLibraryFile(path string) error {
	if !strings.ContainsRune(path, '/') {
		return nil
	}
	f, st, err := scan.OpenRegular(path)
	if err != nil {
		return pathErr(path, err)
	}
	defer f.Close()
	if err := checkELF(f, st.Size()); err != nil {
		return fmt.Errorf("%s: %w: %v", path, ErrBadLibrary, err)
	}
	return nil
}

// checkELF checks the ELF file r of size bytes; the error says what is wrong with it.
func checkELF(r io.ReaderAt, size int64) error {
	var ident [elf.EI_NIDENT]byte
	if n, _ := r.ReadAt(ident[:], 0); n < len(ident) || string(ident[:4]) != elf.ELFMAG {
		if size == 0 {
			return errors.New("the file is empty")
		}
		return errors.New("not an ELF shared library (no ELF header)")
	}
	class, data := elf.Class(ident[elf.EI_CLASS]), elf.Data(ident[elf.EI_DATA])
	if want := hostClass(); class != want {
		return fmt.Errorf("an ELF file of class %s, this liverseg loads %s", class, want)
	}
	if want := hostData(); data != want {
		return fmt.Errorf("an ELF file of byte order %s, this machine is %s", data, want)
	}
	h, err := readHeader(r, class)
	if err != nil {
		return fmt.Errorf("truncated: the file has %d bytes, less than its ELF header", size)
	}
	if h.typ != elf.ET_DYN {
		return fmt.Errorf("an ELF file of type %s, not a shared library (ET_DYN)", h.typ)
	}
	if m, ok := hostMachine[runtime.GOARCH]; ok && h.machine != m {
		return fmt.Errorf("built for %s, this machine is %s (%s)", h.machine, m, runtime.GOARCH)
	}
	for _, t := range []struct {
		what         string
		off          uint64
		entsize, num uint16
	}{{"program header table", h.phoff, h.phentsize, h.phnum}, {"section header table", h.shoff, h.shentsize, h.shnum}} {
		if t.num == 0 {
			continue
		}
		if err := within(size, t.off, uint64(t.entsize)*uint64(t.num), t.what); err != nil {
			return err
		}
	}
	if h.phnum == 0 {
		return errors.New("no program headers: nothing to load")
	}
	// The tables are inside the file: debug/elf can read them.
	ef, err := elf.NewFile(r)
	if err != nil {
		return fmt.Errorf("unreadable ELF headers: %v", err)
	}
	loads := 0
	for i, p := range ef.Progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		loads++
		if err := within(size, p.Off, p.Filesz, fmt.Sprintf("loadable segment %d (PT_LOAD)", i)); err != nil {
			return err
		}
	}
	if loads == 0 {
		return errors.New("no loadable segment (PT_LOAD)")
	}
	for _, s := range ef.Sections {
		if s.Type == elf.SHT_NOBITS || s.Type == elf.SHT_NULL {
			continue
		}
		if err := within(size, s.Offset, s.FileSize, "section "+s.Name); err != nil {
			return err
		}
	}
	return nil
}

// within says whether [off, off+n) lies inside a file of size bytes.
func within(size int64, off, n uint64, what string) error {
	if end := off + n; end < off || end > uint64(size) {
		return fmt.Errorf("truncated: its %s ends at byte %d, the file has %d", what, end, size)
	}
	return nil
}

// elfHeader is the part of the ELF header the check needs, of either class.
type elfHeader struct {
	typ              elf.Type
	machine          elf.Machine
	phoff, shoff     uint64
	phentsize, phnum uint16
	shentsize, shnum uint16
}

// readHeader reads the ELF header of class in this machine's byte order (checked before).
func readHeader(r io.ReaderAt, class elf.Class) (elfHeader, error) {
	sr := io.NewSectionReader(r, 0, 64)
	order := binary.NativeEndian
	if class == elf.ELFCLASS64 {
		var h elf.Header64
		if err := binary.Read(sr, order, &h); err != nil {
			return elfHeader{}, err
		}
		return elfHeader{elf.Type(h.Type), elf.Machine(h.Machine), h.Phoff, h.Shoff, h.Phentsize, h.Phnum, h.Shentsize, h.Shnum}, nil
	}
	var h elf.Header32
	if err := binary.Read(sr, order, &h); err != nil {
		return elfHeader{}, err
	}
	return elfHeader{elf.Type(h.Type), elf.Machine(h.Machine), uint64(h.Phoff), uint64(h.Shoff), h.Phentsize, h.Phnum, h.Shentsize, h.Shnum}, nil
}

func hostClass() elf.Class {
	if unsafe.Sizeof(uintptr(0)) == 8 {
		return elf.ELFCLASS64
	}
	return elf.ELFCLASS32
}

// hostData is this machine's byte order as ELF names it.
func hostData() elf.Data {
	if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 {
		return elf.ELFDATA2LSB
	}
	return elf.ELFDATA2MSB
}
