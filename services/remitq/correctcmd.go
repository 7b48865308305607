package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/audit"
	"github.com/remitq/remitq/pkg/submissionstore"
)

func init() {
	register(command{name: "claims correct", usage: "--item N [--void|--secondary] [--preview] [--out FILE.837]  build the corrected, void or secondary 837P of a work item's billed claim and store it as a submission; the item moves to resubmitted", run: runClaimsCorrect})
}

// runClaimsCorrect is `remitq claims correct --item N`: the CLI side of
// POST /v1/work-items/{id}/corrected-claim, against the database. It
// prints the submission (or, with --preview, the changes) as JSON; the
// file (PHI) goes only to --out. Reads and writes are audited.
func runClaimsCorrect(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("claims correct", flag.ContinueOnError)
	var ef envFlags
	ef.register(fs, "")
	item := fs.Int64("item", 0, "the work item's id")
	void := fs.Bool("void", false, "build a void (frequency 8) instead of a replacement (7)")
	secondary := fs.Bool("secondary", false, "build the secondary claim of a bill-secondary item (the primary's adjudication in 2320/2430)")
	preview := fs.Bool("preview", false, "show the changes only; store nothing")
	out := fs.String("out", "", "write the 837P file here")
	if err := fs.Parse(args); err != nil || *item <= 0 || fs.NArg() != 0 {
		return errUsage
	}
	typ := submissionstore.TypeReplacement
	switch {
	case *void && *secondary:
		return errUsage
	case *void:
		typ = submissionstore.TypeVoid
	case *secondary:
		typ = submissionstore.TypeSecondary
	}
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	db := e.deps.DB
	p := &submissionstore.Preparer{}
	actor := cliActor()
	entry := func(action, entity string, id, practice int64, detail map[string]any) audit.Entry {
		return audit.Entry{Actor: actor, Action: action, Entity: entity, EntityID: strconv.FormatInt(id, 10), PracticeID: practice, Detail: detail}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if *preview {
		it, err := submissionstore.LoadItem(ctx, db, *item, false)
		if err != nil {
			return cliConflict(err)
		}
		pr, err := p.Prepare(ctx, db, it, typ)
		if err != nil {
			return cliConflict(err)
		}
		if err := audit.Record(ctx, db, entry("work_item.corrected_claim.view", "work_item", it.ID, it.PracticeID,
			map[string]any{"type": typ, "changes": len(pr.Result.Changes)})); err != nil {
			return err
		}
		return enc.Encode(map[string]any{"work_item_id": it.ID, "type": typ, "profile": pr.Profile,
			"reopening": pr.Result.Reopening, "note": pr.Result.Note, "changes": pr.Result.Changes})
	}
	subs, err := p.Submit(ctx, db, []int64{*item}, typ, actor, time.Now(),
		func(tx *sqlx.Tx, _ []*submissionstore.Prepared, subs []*submissionstore.Submission) error {
			var es []audit.Entry
			for _, s := range subs {
				es = append(es, entry("submission.create", "submission", s.ID, s.PracticeID,
					map[string]any{"kind": s.Kind, "claims": s.Claims, "interchange_control": s.InterchangeControl, "work_items": s.WorkItems}))
			}
			return audit.Record(ctx, tx, es...)
		})
	if err != nil {
		return cliConflict(err)
	}
	s := subs[0]
	if *out != "" {
		_, raw, err := submissionstore.Get(ctx, db, s.ID, nil)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, raw, 0o600); err != nil {
			return err
		}
		if err := audit.Record(ctx, db, entry("submission.download", "submission", s.ID, s.PracticeID,
			map[string]any{"kind": s.Kind, "bytes": len(raw)})); err != nil {
			return err
		}
	}
	return enc.Encode(s)
}

// cliConflict words a conflict for the terminal.
func cliConflict(err error) error {
	var cf *submissionstore.Conflict
	if errors.As(err, &cf) {
		return fmt.Errorf("cannot build the claim (%s): %s", cf.Code, cf.Message)
	}
	if errors.Is(err, submissionstore.ErrNotFound) {
		return errors.New("no such work item")
	}
	return err
}
