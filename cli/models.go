package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"liverseg/workspace"
)

func mkdirAll(dir string) error { return os.MkdirAll(dir, 0o755) }

// Models is `liverseg models [list | show VERSION | activate VERSION | active]`: the registry of
// the workspace. Each kind (automatic, interactive) has its own active model: activate makes a
// model the active one of its kind, --kind picks the kind list shows and active names.
func Models(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("models", "[list | show VERSION | activate VERSION | active] [--kind automatic|interactive] [--workspace DIR] [--json]", stderr)
	wsDir := addWorkspaceFlag(fs)
	kind := fs.String("kind", "", "list: only the models of this kind; active: the active model of this kind (default automatic): automatic or interactive")
	asJSON := addJSONFlag(fs)
	rest, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	verb := "list"
	if len(rest) > 0 {
		verb = rest[0]
	}
	need := map[string]int{"list": 1, "active": 1, "show": 2, "activate": 2}
	n, known := need[verb]
	if !known {
		return usageError(stderr, fs, "unknown subcommand %q (list, show, activate, active)", verb)
	}
	if len(rest) != n && !(n == 1 && len(rest) == 0) {
		return usageError(stderr, fs, "%s takes %d argument(s)", verb, n-1)
	}
	switch *kind {
	case "", workspace.KindAutomatic, workspace.KindInteractive:
	default:
		return usageError(stderr, fs, "--kind %q: want %s or %s", *kind, workspace.KindAutomatic, workspace.KindInteractive)
	}
	// A command that only reads opens the workspace read-only: it works where the workspace
	// cannot be written (another user's, a read-only mount).
	open := workspace.OpenReadOnly
	if verb == "activate" {
		open = workspace.Open
	}
	ws, err := open(ctx, *wsDir)
	if err != nil {
		return fail(stderr, err)
	}
	defer ws.Close()
	switch verb {
	case "list":
		ms, err := ws.Models(ctx)
		if *kind != "" {
			ms, err = ws.ModelsOfKind(ctx, *kind)
		}
		if err != nil {
			return fail(stderr, err)
		}
		if *asJSON {
			if ms == nil {
				ms = []*workspace.Model{}
			}
			return done(stdout, stderr, writeJSON(stdout, ms))
		}
		if len(ms) == 0 {
			fmt.Fprintf(stdout, "no models in %s (liverseg train makes one)\n", ws.Dir)
			return ExitOK
		}
		fmt.Fprintf(stdout, "  %-28s %-11s %-28s %-8s %s\n", "version", "kind", "parent", "val dice", "created")
		for _, m := range ms {
			mark := " "
			if m.Active {
				mark = "*"
			}
			d := "-"
			if m.ValDice != nil {
				d = fmt.Sprintf("%.4f", *m.ValDice)
			}
			fmt.Fprintf(stdout, "%s %-28s %-11s %-28s %-8s %s\n", mark, m.Version, m.Kind, m.Parent, d, m.Created)
		}
		return ExitOK
	case "show", "active":
		var m *workspace.Model
		if verb == "show" {
			m, err = ws.Model(ctx, rest[1])
		} else {
			m, err = ws.ActiveOfKind(ctx, *kind)
		}
		if err != nil {
			return fail(stderr, err)
		}
		if *asJSON {
			return done(stdout, stderr, writeJSON(stdout, m))
		}
		fmt.Fprintf(stdout, "version   %s%s\n", m.Version, map[bool]string{true: " (active)", false: ""}[m.Active])
		fmt.Fprintf(stdout, "kind      %s\n", m.Kind)
		if m.Parent != "" {
			fmt.Fprintf(stdout, "parent    %s\n", m.Parent)
		}
		fmt.Fprintf(stdout, "created   %s\n", m.Created)
		fmt.Fprintf(stdout, "model     %s\n", m.Path)
		if m.Job != "" {
			fmt.Fprintf(stdout, "job       %s\n", m.Job)
		}
		for _, kv := range []struct {
			k string
			v json.RawMessage
		}{{"params", m.Params}, {"metrics", m.Metrics}, {"data", m.Data}} {
			fmt.Fprintf(stdout, "%-9s %s\n", kv.k, compact(kv.v))
		}
		return ExitOK
	case "activate":
		if err := ws.Activate(ctx, rest[1]); err != nil {
			return fail(stderr, err)
		}
		if *asJSON {
			return done(stdout, stderr, writeJSON(stdout, map[string]string{"active": rest[1]}))
		}
		fmt.Fprintf(stdout, "active    %s\n", rest[1])
	}
	return ExitOK
}

func compact(b json.RawMessage) string {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func done(stdout, stderr io.Writer, err error) int {
	if err != nil {
		return fail(stderr, err)
	}
	return ExitOK
}
