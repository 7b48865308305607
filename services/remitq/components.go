package main

import (
	"github.com/remitq/remitq/pkg/ingest/ingestsvc"
	"github.com/remitq/remitq/pkg/svc"
)

// allInOne is every remitq service as components of one process.
type allInOne struct {
	ingest *ingestsvc.Service
}

func newAllInOne(deps *svc.Deps) *allInOne {
	return &allInOne{
		ingest: ingestsvc.New(deps, ingestsvc.Options{}),
	}
}

func (a *allInOne) components() []svc.Component {
	return []svc.Component{a.ingest}
}
