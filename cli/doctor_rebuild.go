package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"liverseg/workspace"
)

// doctorRebuild is `liverseg doctor --rebuild [--workspace DIR] [--json]`: a new workspace.db
// from the workspace's folders, saying what it recovered and what it could not (workspace.Rebuild).
func doctorRebuild(ctx context.Context, dir string, asJSON bool, stdout, stderr io.Writer) int {
	r, err := workspace.Rebuild(ctx, dir)
	if err != nil {
		return fail(stderr, err)
	}
	if asJSON {
		return done(stdout, stderr, writeJSON(stdout, r))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rebuilt %s/%s\n", r.Dir, workspace.IndexName)
	if r.MovedAside != "" {
		fmt.Fprintf(&b, "  the unusable database is kept as %s\n", r.MovedAside)
	}
	fmt.Fprintf(&b, "  %d model(s)", len(r.Models))
	if len(r.Models) > 0 {
		fmt.Fprintf(&b, ": %s", strings.Join(r.Models, ", "))
	}
	b.WriteString("\n")
	if r.Active != "" {
		fmt.Fprintf(&b, "  active model: %s\n", r.Active)
	} else if len(r.Models) > 0 {
		b.WriteString("  active model: not known (liverseg models activate VERSION)\n")
	}
	fmt.Fprintf(&b, "  %d label version(s) of %d case(s) (origin and author not known: recorded as imported)\n", r.Labels, r.Cases)
	fmt.Fprintf(&b, "  %d job(s)\n", r.Jobs)
	b.WriteString("  review status and the audit log lived only in the database: not recovered\n")
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "  skipped: %s\n", s)
	}
	_, err = io.WriteString(stdout, b.String())
	return done(stdout, stderr, err)
}
