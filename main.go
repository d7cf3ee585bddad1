// Command liverseg reviews liver segmentations of CT: `liverseg` opens the GUI's welcome window,
// `liverseg PATH` opens the GUI with PATH (a folder, a DICOMDIR or a file), and
// `liverseg COMMAND` runs a command (see `liverseg help`). main only dispatches; the commands live
// in package cli and the GUI in package ui.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"liverseg/cli"
	"liverseg/ui"
)

func main() {
	// Ctrl+C cancels the context; commands stop cleanly and exit 1, the GUI closes.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	args := os.Args[1:]
	if isGUI(args) {
		opts, err := ui.ParseArgs(args, os.Stderr)
		if err != nil {
			stop()
			if errors.Is(err, flag.ErrHelp) {
				os.Exit(0)
			}
			fmt.Fprintf(os.Stderr, "liverseg: %s\n", cli.Printable(err.Error()))
			if errors.Is(err, ui.ErrUsage) {
				os.Exit(cli.ExitUsage)
			}
			os.Exit(cli.ExitFailure)
		}
		err = ui.Run(ctx, opts)
		stop()
		if err != nil {
			msg := err.Error()
			if errors.Is(err, context.Canceled) {
				msg = "cancelled"
			}
			fmt.Fprintf(os.Stderr, "liverseg: %s\n", cli.Printable(msg))
			os.Exit(cli.ExitFailure)
		}
		return
	}
	code := cli.Run(ctx, args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// isGUI says whether args ask for the GUI: none at all, flags (say --truth), or a first argument
// that is an existing path and not a verb.
func isGUI(args []string) bool {
	switch {
	case len(args) == 0:
		return true
	case cli.IsVerb(args[0]):
		return false
	case strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" && args[0] != "-help":
		return true
	}
	_, err := os.Stat(args[0])
	return err == nil
}
