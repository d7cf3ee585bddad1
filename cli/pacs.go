package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"liverseg/inference"
	"liverseg/pacs"
	"liverseg/workspace"
)

const pacsSynopsis = `search|get|put|servers ...
  liverseg pacs servers [list] | add NAME URL [--user U] [--password P|-] [--token T|-] [--insecure] | remove NAME
  liverseg pacs search [--server NAME] [--patient TEXT] [--patient-id ID] [--from DATE] [--to DATE] [--modality M] [--studies]
  liverseg pacs get [--server NAME] [--study UID] [--cache DIR] SERIES_UID   (prints the series' folder)
  liverseg pacs put [--server NAME] FILE...   (a DICOM SEG, by STOW-RS)
every subcommand takes --workspace DIR and --json`

// Pacs is `liverseg pacs SUBCOMMAND`: DICOMweb search, retrieve into the cache, store, and the
// servers configured in the workspace.
func Pacs(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := stderr
		if len(args) > 0 {
			w = stdout
		}
		fmt.Fprintf(w, "usage: liverseg pacs %s\n", pacsSynopsis)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	switch args[0] {
	case "servers":
		return pacsServers(ctx, args[1:], stdout, stderr)
	case "search":
		return pacsSearch(ctx, args[1:], stdout, stderr)
	case "get":
		return pacsGet(ctx, args[1:], stdout, stderr)
	case "put":
		return pacsPut(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "liverseg pacs: unknown subcommand %q (search, get, put, servers)\n", args[0])
	return ExitUsage
}

// pacsCommon are the flags every subcommand shares.
type pacsCommon struct {
	workspace *string
	server    *string
	asJSON    *bool
}

func addPacsFlags(fs *flag.FlagSet, withServer bool) pacsCommon {
	c := pacsCommon{
		workspace: addWorkspaceFlag(fs),
		asJSON:    addJSONFlag(fs),
	}
	if withServer {
		c.server = fs.String("server", "", "the configured server's name (default: the only one configured)")
	}
	return c
}

// openPacsClient opens the workspace and makes a client for --server, or for the only server
// configured.
func openPacsClient(ctx context.Context, c pacsCommon) (*pacs.Client, error) {
	ws, err := workspace.OpenReadOnly(ctx, *c.workspace) // only the servers are read
	if err != nil {
		return nil, err
	}
	defer ws.Close()
	var s workspace.PACSServer
	if *c.server != "" {
		if s, err = ws.Server(ctx, *c.server); err != nil {
			return nil, err
		}
	} else {
		all, err := ws.Servers(ctx)
		if err != nil {
			return nil, err
		}
		switch len(all) {
		case 0:
			return nil, fmt.Errorf("no PACS server configured in %s: liverseg pacs servers add NAME URL", ws.Dir)
		case 1:
			s = all[0]
		default:
			names := make([]string, len(all))
			for i, a := range all {
				names[i] = a.Name
			}
			return nil, fmt.Errorf("%d PACS servers configured (%s): pick one with --server NAME", len(all), strings.Join(names, ", "))
		}
	}
	return pacs.NewClient(PACSServerConfig(s))
}

// PACSServerConfig turns a workspace server into the client's configuration.
func PACSServerConfig(s workspace.PACSServer) pacs.Server {
	return pacs.Server{Name: s.Name, URL: s.URL, User: s.User, Password: s.Password, Token: s.Token, Insecure: s.Insecure}
}

// serverJSON is one server of `pacs servers --json`: the secrets are never printed, only
// whether they are set.
type serverJSON struct {
	Name        string `json:"name"`
	URL         string `json:"url"`
	User        string `json:"user"`
	HasPassword bool   `json:"has_password"`
	HasToken    bool   `json:"has_token"`
	Insecure    bool   `json:"insecure"`
	Added       string `json:"added"`
}

func pacsServers(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("pacs servers", "[list] | add NAME URL [--user U] [--password P|-] [--token T|-] [--insecure] [--replace] | remove NAME", stderr)
	c := addPacsFlags(fs, false)
	user := fs.String("user", "", "add: basic auth user")
	password := fs.String("password", "", "add: basic auth password; - reads it from standard input (a password on the command line shows in ps)")
	token := fs.String("token", "", "add: bearer token; - reads it from standard input")
	insecure := fs.Bool("insecure", false, "add: do not verify the server's TLS certificate (a test server with a self-signed certificate only)")
	replace := fs.Bool("replace", false, "add: replace a server of the same name")
	rest, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	verb := "list"
	if len(rest) > 0 {
		verb = rest[0]
	}
	want := map[string]int{"list": 1, "add": 3, "remove": 2}
	n, known := want[verb]
	if !known {
		return usageError(stderr, fs, "unknown subcommand %q (list, add, remove)", verb)
	}
	if len(rest) != n && !(verb == "list" && len(rest) == 0) {
		return usageError(stderr, fs, "%s takes %d argument(s)", verb, n-1)
	}
	if *password == "-" && *token == "-" {
		return usageError(stderr, fs, "only one of --password and --token can come from standard input")
	}
	open := workspace.Open
	if verb == "list" {
		open = workspace.OpenReadOnly
	}
	ws, err := open(ctx, *c.workspace)
	if err != nil {
		return fail(stderr, err)
	}
	defer ws.Close()
	switch verb {
	case "add":
		name, u := rest[1], rest[2]
		if err := pacs.ParseURL(u); err != nil {
			return usageError(stderr, fs, "%v", err)
		}
		for _, p := range []*string{password, token} {
			if *p == "-" {
				v, err := readSecret(os.Stdin)
				if err != nil {
					return fail(stderr, err)
				}
				*p = v
			}
		}
		s := workspace.PACSServer{Name: name, URL: u, User: *user, Password: *password, Token: *token, Insecure: *insecure}
		if err := ws.AddServer(ctx, s, *replace); err != nil {
			if errors.Is(err, workspace.ErrExists) {
				return fail(stderr, fmt.Errorf("%w (--replace replaces it)", err))
			}
			return fail(stderr, err)
		}
		if *c.asJSON {
			s, _ = ws.Server(ctx, name)
			return done(stdout, stderr, writeJSON(stdout, toServerJSON(s)))
		}
		fmt.Fprintf(stdout, "added     %s %s\n", name, u)
		if *insecure {
			fmt.Fprintf(stdout, "warning   TLS certificates of %s are not verified\n", name)
		}
	case "remove":
		if err := ws.RemoveServer(ctx, rest[1]); err != nil {
			return fail(stderr, err)
		}
		if *c.asJSON {
			return done(stdout, stderr, writeJSON(stdout, map[string]string{"removed": rest[1]}))
		}
		fmt.Fprintf(stdout, "removed   %s\n", rest[1])
	case "list":
		all, err := ws.Servers(ctx)
		if err != nil {
			return fail(stderr, err)
		}
		if *c.asJSON {
			out := []serverJSON{}
			for _, s := range all {
				out = append(out, toServerJSON(s))
			}
			return done(stdout, stderr, writeJSON(stdout, out))
		}
		if len(all) == 0 {
			fmt.Fprintf(stdout, "no PACS servers in %s (liverseg pacs servers add NAME URL)\n", ws.Dir)
			return ExitOK
		}
		for _, s := range all {
			auth := "no auth"
			switch {
			case s.HasToken():
				auth = "bearer token"
			case s.User != "":
				auth = "user " + s.User
			}
			extra := ""
			if s.Insecure {
				extra = ", TLS not verified"
			}
			fmt.Fprintf(stdout, "%-16s %s (%s%s)\n", s.Name, s.URL, auth, extra)
		}
	}
	return ExitOK
}

func toServerJSON(s workspace.PACSServer) serverJSON {
	return serverJSON{Name: s.Name, URL: s.URL, User: s.User, HasPassword: s.HasPassword(), HasToken: s.HasToken(), Insecure: s.Insecure, Added: s.Added}
}

// readSecret reads one line (a password or token) from r, without its line end.
func readSecret(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 64<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("standard input: empty, where a password or token was expected")
	}
	return line, nil
}

type pacsSearchResult struct {
	Server  string        `json:"server"`
	Studies []pacs.Study  `json:"studies,omitempty"`
	Series  []pacs.Series `json:"series,omitempty"`
}

func pacsSearch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("pacs search", "[--server NAME] [--patient TEXT] [--patient-id ID] [--from DATE] [--to DATE] [--modality M] [--study UID] [--studies] [--limit N] [--json]", stderr)
	c := addPacsFlags(fs, true)
	var q pacs.Query
	fs.StringVar(&q.PatientName, "patient", "", "patient name, matched anywhere in the name (DICOM wildcards * and ? as given)")
	fs.StringVar(&q.PatientID, "patient-id", "", "patient ID, exact")
	fs.StringVar(&q.DateFrom, "from", "", "study date from (YYYY-MM-DD or YYYYMMDD), inclusive")
	fs.StringVar(&q.DateTo, "to", "", "study date to, inclusive")
	fs.StringVar(&q.Modality, "modality", "", "modality (CT, MR, SEG...)")
	fs.StringVar(&q.StudyUID, "study", "", "the series of one study")
	fs.IntVar(&q.Limit, "limit", 200, "at most this many results")
	studies := fs.Bool("studies", false, "list studies, not series")
	if code, ok := parseOnlyFlags(fs, args, stderr); !ok {
		return code
	}
	for _, d := range []string{q.DateFrom, q.DateTo} {
		if _, err := pacs.NormalizeDate(d); err != nil {
			return usageError(stderr, fs, "%v", err)
		}
	}
	if q.Limit <= 0 {
		return usageError(stderr, fs, "--limit must be positive")
	}
	cl, err := openPacsClient(ctx, c)
	if err != nil {
		return fail(stderr, err)
	}
	res := pacsSearchResult{Server: cl.Server().Name}
	if *studies {
		if res.Studies, err = cl.SearchStudies(ctx, q); err != nil {
			return fail(stderr, err)
		}
		if res.Studies == nil {
			res.Studies = []pacs.Study{}
		}
	} else {
		if res.Series, err = cl.SearchSeries(ctx, q); err != nil {
			return fail(stderr, err)
		}
		if res.Series == nil {
			res.Series = []pacs.Series{}
		}
	}
	if *c.asJSON {
		return done(stdout, stderr, writeJSON(stdout, res))
	}
	if *studies {
		if len(res.Studies) == 0 {
			fmt.Fprintf(stdout, "no study matches on %s\n", res.Server)
			return ExitOK
		}
		fmt.Fprintf(stdout, "%-24s %-12s %-10s %-9s %6s %9s  %-24s %s\n", "patient", "id", "date", "modality", "series", "instances", "description", "study UID")
		for _, s := range res.Studies {
			fmt.Fprintf(stdout, "%-24s %-12s %-10s %-9s %6d %9d  %-24s %s\n", orDash(s.PatientName), orDash(s.PatientID), orDash(s.StudyDate),
				orDash(strings.Join(s.Modalities, ",")), s.Series, s.Instances, orDash(s.Description), Printable(s.StudyUID))
		}
		return ExitOK
	}
	if len(res.Series) == 0 {
		fmt.Fprintf(stdout, "no series matches on %s\n", res.Server)
		return ExitOK
	}
	fmt.Fprintf(stdout, "%-24s %-12s %-10s %-9s %9s  %-24s %s\n", "patient", "id", "date", "modality", "instances", "description", "series UID")
	for _, s := range res.Series {
		fmt.Fprintf(stdout, "%-24s %-12s %-10s %-9s %9d  %-24s %s\n", orDash(s.PatientName), orDash(s.PatientID), orDash(s.StudyDate),
			orDash(s.Modality), s.Instances, orDash(s.Description), Printable(s.SeriesUID))
	}
	return ExitOK
}

func pacsGet(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("pacs get", "[--server NAME] [--study UID] [--cache DIR] SERIES_UID [--json]", stderr)
	c := addPacsFlags(fs, true)
	study := fs.String("study", "", "the series' StudyInstanceUID (default: asked of the server)")
	cache := fs.String("cache", "", "the cache folder (default: the liverseg cache folder's pacs/)")
	rest, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(rest) != 1 {
		return usageError(stderr, fs, "give one SERIES_UID (liverseg pacs search lists them)")
	}
	if err := pacs.CheckUID(rest[0]); err != nil {
		return usageError(stderr, fs, "%v", err)
	}
	if *study != "" {
		if err := pacs.CheckUID(*study); err != nil {
			return usageError(stderr, fs, "--study: %v", err)
		}
	}
	dir := *cache
	if dir == "" {
		var err error
		if dir, err = inference.PACSCacheDir(); err != nil {
			return fail(stderr, err)
		}
	}
	// A cached series needs neither the workspace's server nor the network.
	r, ok := pacs.CachedSeries(dir, rest[0])
	if !ok {
		cl, err := openPacsClient(ctx, c)
		if err != nil {
			return fail(stderr, err)
		}
		bar := newProgress(stderr, "retrieving "+rest[0])
		r, err = cl.Retrieve(ctx, dir, pacs.SeriesRef{StudyUID: *study, SeriesUID: rest[0]}, func(p pacs.Progress) {
			bar.update(p.Instances, p.Total)
		})
		if err != nil {
			return fail(stderr, err)
		}
	}
	if *c.asJSON {
		return done(stdout, stderr, writeJSON(stdout, r))
	}
	// The folder alone, so that `liverseg segment --in "$(liverseg pacs get UID)"` works.
	fmt.Fprintln(stdout, r.Dir)
	return ExitOK
}

func pacsPut(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("pacs put", "[--server NAME] FILE... [--json]", stderr)
	c := addPacsFlags(fs, true)
	files, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(files) == 0 {
		return usageError(stderr, fs, "give the DICOM file(s) to store (liverseg segment --out x.dcm writes a SEG)")
	}
	cl, err := openPacsClient(ctx, c)
	if err != nil {
		return fail(stderr, err)
	}
	out := []pacs.Stored{}
	for _, f := range files {
		st, err := cl.Store(ctx, f)
		if err != nil {
			return fail(stderr, err)
		}
		out = append(out, st)
		if !*c.asJSON {
			fmt.Fprintf(stdout, "stored    %s on %s (SOP Instance UID %s)\n", Printable(f), Printable(st.Server), orDash(st.SOPInstanceUID))
		}
	}
	if *c.asJSON {
		return done(stdout, stderr, writeJSON(stdout, out))
	}
	return ExitOK
}
