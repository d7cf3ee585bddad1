// Command liverseg reviews liver segmentations of CT: `liverseg COMMAND` runs a command (see
// `liverseg help`). main only dispatches; the commands live in package cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"liverseg/cli"
)

func main() {
	// Ctrl+C cancels the context; commands stop cleanly and exit 1.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
