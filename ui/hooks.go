package ui

import (
	"liverseg/scan"
	"liverseg/training"
	"liverseg/ui/sliceview"
	"liverseg/workspace"
)

// hooks are the session's test hooks, in one place: each, when set, is called on the Fyne
// goroutine once what its name says has happened, so that a test playing the Fyne goroutine
// (pump, drain) can wait for it and then check the outcome. The application sets none, and
// nothing it does depends on them.
type hooks struct {
	onCatalog     func(*scan.Catalog)            // the series list of a path is shown
	onFirstImage  func(*sliceview.View)          // the first slice of a series still loading is shown
	onView        func(*sliceview.View)          // a loaded series is shown, its review started
	onError       func(error)                    // an error dialog is shown
	onCancel      func()                         // a series load was cancelled
	onWorkDone    func(what string, err error)   // a review's background job ended
	onReady       func()                         // the first actions of Options are done
	onSaved       func(*workspace.LabelVersion)  // a label version was saved
	onWorkList    func(*workList)                // the work list is shown
	onReviewSaved func()                         // a case's review status and comment were saved
	onRetrained   func(*training.FineTuneResult) // a fine-tuning job's result is shown

	// retrainParams, when set, replaces training.FineTuneParams for the retrain dialog's job
	// (tests run a short one).
	retrainParams *training.Params
}
