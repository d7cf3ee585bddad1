// Command thinseries writes a thin-slice test series made from a real one (internal/thinseries):
// the CT series resampled along its slice axis to N slices, and its mask folder with it, for the
// tests and benchmarks of 400-1000-slice series. Its output is made where it is used, never
// committed.
//
//	go run ./bench/thinseries --series $LIVERSEG_DATA/ct/ircad/3Dircadb1.7/PATIENT_DICOM \
//	    --mask $LIVERSEG_DATA/ct/ircad/3Dircadb1.7/MASKS_DICOM/liver --slices 1000 --out /tmp/thin1000
//
// writes /tmp/thin1000/PATIENT_DICOM and /tmp/thin1000/MASKS_DICOM/liver. Exit 0 on success, 1 on
// failure, 2 on bad usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"liverseg/internal/thinseries"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the command on args; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("thinseries", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o thinseries.Options
	fs.StringVar(&o.Series, "series", "", "the source CT series folder (single-frame files)")
	fs.StringVar(&o.Mask, "mask", "", "its mask folder, one DICOM file a slice (optional)")
	fs.IntVar(&o.Slices, "slices", 0, "slices of the new series (2 or more)")
	fs.StringVar(&o.Out, "out", "", "the folder to write, absent or empty: OUT/PATIENT_DICOM, OUT/MASKS_DICOM/NAME")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if o.Series == "" || o.Out == "" || o.Slices < 2 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "thinseries: usage: thinseries --series DIR [--mask DIR] --slices N (2 or more) --out DIR")
		return 2
	}
	start := time.Now()
	res, err := thinseries.Generate(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "thinseries: %v\n", err)
		return 1
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "thinseries: %s: %s\n", o.Series, w)
	}
	fmt.Fprintf(stdout, "%s: %d slices, %.4g mm apart (source %.4g mm), series %s\n", res.SeriesDir, res.Slices, res.Spacing, res.SourceSpacing, res.SeriesUID)
	if res.MaskDir != "" {
		fmt.Fprintf(stdout, "%s: %d mask files, series %s\n", res.MaskDir, res.MaskFiles, res.MaskSeriesUID)
	}
	fmt.Fprintf(stdout, "%.2f s\n", time.Since(start).Seconds())
	return 0
}
