package main

import (
	"github.com/remitq/remitq/pkg/ingest/ingestsvc"
	"github.com/remitq/remitq/pkg/svc"
)

// extraComponents are the services besides ingest that run in the
// all-in-one process; each registers itself from its own file with
// registerComponent in an init function.
var extraComponents []func(*svc.Deps) (svc.Component, error)

// registerComponent adds a service to the all-in-one process.
func registerComponent(f func(*svc.Deps) (svc.Component, error)) {
	extraComponents = append(extraComponents, f)
}

// allInOne is every remitq service as components of one process.
type allInOne struct {
	ingest *ingestsvc.Service
	others []svc.Component
}

func newAllInOne(deps *svc.Deps) (*allInOne, error) {
	a := &allInOne{ingest: ingestsvc.New(deps, ingestsvc.Options{})}
	for _, f := range extraComponents {
		c, err := f(deps)
		if err != nil {
			return nil, err
		}
		a.others = append(a.others, c)
	}
	return a, nil
}

func (a *allInOne) components() []svc.Component {
	return append([]svc.Component{a.ingest}, a.others...)
}
