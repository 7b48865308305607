package routesvc

import (
	"crypto/rand"
	"errors"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/match"
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/pkg/wire"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
	"github.com/remitq/remitq/x12"
)

// Offline runs the matcher and the router with no database: billed claims
// from 837P files, 835 files in the order given, every decision handed to a
// callback. The pain rules sharpen denials with the 837 claims as the
// patients' history (patients keyed under a random secret that lives only
// as long as the Offline), shared between practices of the same TIN.
type Offline struct {
	Replay *Replay
	Router *route.Router
	// Lines are the billed lines the pain rules read.
	Lines *route.BilledLines
	// History is every billed line, by patient.
	History *rules.Index
	keyer   *rules.Keyer
}

// OfflineOptions configure an Offline.
type OfflineOptions struct {
	Match match.Options
	// Route is the router's configuration; its Sharpener, when set, is asked
	// after the pain rules.
	Route route.Config
	// Rules is the pain rule set; nil: rules.Default().
	Rules *rules.Set
	// Sharing says which practices see each other's history; nil: practices
	// with the same TIN.
	Sharing *rules.Sharing
}

// NewOffline returns an Offline with no claims loaded.
func NewOffline(o OfflineOptions) (*Offline, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	k, err := rules.NewKeyer(secret)
	if err != nil {
		return nil, err
	}
	off := &Offline{Replay: NewReplay(o.Match), Lines: route.NewBilledLines(), History: rules.NewIndex(0), keyer: k}
	sharing := o.Sharing
	if sharing == nil {
		sharing = &rules.Sharing{SameTIN: true}
	}
	ps := &route.RulesSharpener{Rules: o.Rules, Lines: off.Lines,
		Records: rules.Records{History: off.History, Sharing: sharing}}
	cfg := o.Route
	if cfg.Sharpener != nil {
		cfg.Sharpener = route.Chain{ps, cfg.Sharpener}
	} else {
		cfg.Sharpener = ps
	}
	off.Router = route.New(cfg)
	return off, nil
}

// AddClaims loads the claims of an 837P file: for matching, and as history
// for the pain rules. Claims that lack what a patient key needs are matched
// but left out of the history; their CLM01s are in the error, which does not
// stop the load. Decisions for paid claims that waited for these claims are
// handed to fn.
func (o *Offline) AddClaims(f *x12.ClaimFile, fn func(*v1.LineMatch, route.Decision) error) error {
	var list []*billed.Claim
	for _, b := range f.Batches {
		for _, c := range b.Claims {
			list = append(list, billed.FromX12(c, ""))
		}
	}
	if err := o.Replay.AddClaims(list, o.decide(fn)); err != nil {
		return err
	}
	// Billed claims and their rules form share order: look the ids up by
	// practice + CLM01 + LX.
	ids := map[[2]string]*billed.Claim{}
	for _, c := range list {
		ids[[2]string{c.Practice, c.PatientControl}] = c
	}
	rc, kerr := rules.FromX12File(f, o.keyer)
	for _, c := range rc {
		for _, l := range c.Lines {
			var id int64
			if bc := ids[[2]string{l.Practice, l.Claim}]; bc != nil {
				if bl := bc.Line(l.Number); bl != nil {
					id = bl.ID
				}
			}
			o.Lines.Add(l.Practice, id, l)
		}
		o.History.AddClaims(c)
	}
	if kerr != nil {
		return &HistoryError{Err: kerr}
	}
	return nil
}

// HistoryError reports claims left out of the pain rules' history (no
// patient key could be made); routing goes on without their history.
type HistoryError struct{ Err error }

// Error implements error.
func (e *HistoryError) Error() string {
	return "routesvc: claims left out of the history: " + e.Err.Error()
}

// Unwrap returns the keying error.
func (e *HistoryError) Unwrap() error { return e.Err }

// IsHistoryError reports whether err is only a HistoryError.
func IsHistoryError(err error) bool {
	var h *HistoryError
	return errors.As(err, &h)
}

// File matches and routes one 835 file, handing fn each LineMatch with its
// decision in file order.
func (o *Offline) File(name string, raw []byte, fn func(*v1.LineMatch, route.Decision) error) error {
	return o.Replay.File(name, raw, o.decide(fn))
}

func (o *Offline) decide(fn func(*v1.LineMatch, route.Decision) error) func(*v1.LineMatch) error {
	return func(m *v1.LineMatch) error {
		d, err := wire.Decide(o.Router, m, wire.RouteOptions{})
		if err != nil {
			return err
		}
		return fn(m, d)
	}
}
