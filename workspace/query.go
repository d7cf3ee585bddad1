package workspace

import (
	"context"
	"database/sql"
)

// scanner is a row to read: *sql.Row for a query of one row, *sql.Rows for each row of a list.
// The scan functions (scanCase, scanLabel, scanModel, ...) take it, so that one function reads a
// table's row for both.
type scanner interface{ Scan(...any) error }

// queryAll runs a list query and reads every row with scan, in the query's order; no rows is a
// nil slice. The first error (the query's, a row's, the cursor's) ends it.
func queryAll[T any](ctx context.Context, db *sql.DB, query string, scan func(scanner) (T, error), args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
