package workspace_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"liverseg/workspace"
)

// Open makes a new workspace in an empty folder (or opens an existing one); a series becomes a
// case with EnsureCase, and labels, review status and the audit log hang off the case's ID.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "liverseg-workspace-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	ws, err := workspace.Open(ctx, dir)
	if err != nil {
		log.Fatal(err)
	}
	defer ws.Close()

	c, err := ws.EnsureCase(ctx, workspace.Case{
		SeriesPath: "/data/ct/ircad/3Dircadb1.7/PATIENT_DICOM", // the series is not read here
		SeriesUID:  "1.2.826.0.1.3680043.2.1125.1.7",
		Patient:    "Doe^John",
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := ws.SetReview(ctx, c.ID, workspace.StatusCompleted, "liver checked", "radiologist"); err != nil {
		log.Fatal(err)
	}
	r, err := ws.Review(ctx, c.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.ID)
	fmt.Println(r.Status, "-", r.Comment)
	// Output:
	// Doe_John-0e20a8
	// completed - liver checked
}
