// Command liverseg reviews liver segmentations of CT: `liverseg` opens the GUI's welcome window,
// `liverseg PATH` opens the GUI with PATH (a folder, a DICOMDIR or a file), and
// `liverseg COMMAND` runs a command (see `liverseg help`). main only dispatches; the commands live
// in package cli and the GUI in package ui.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"liverseg/cli"
	"liverseg/ui"
)

func main() {
	// Ctrl+C cancels the context; commands stop cleanly and exit 1, the GUI closes.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	args := os.Args[1:]
	if path, ok := guiPath(args); ok {
		err := ui.Run(ctx, path)
		stop()
		if err != nil {
			msg := err.Error()
			if errors.Is(err, context.Canceled) {
				msg = "cancelled"
			}
			fmt.Fprintf(os.Stderr, "liverseg: %s\n", msg)
			os.Exit(cli.ExitFailure)
		}
		return
	}
	code := cli.Run(ctx, args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// guiPath says whether args ask for the GUI: none at all (path "") or one that is an existing
// path and not a verb.
func guiPath(args []string) (string, bool) {
	switch {
	case len(args) == 0:
		return "", true
	case len(args) == 1 && !cli.IsVerb(args[0]):
		if _, err := os.Stat(args[0]); err == nil {
			return args[0], true
		}
	}
	return "", false
}
