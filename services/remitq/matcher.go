package main

import (
	"github.com/remitq/remitq/pkg/billing"
	"github.com/remitq/remitq/pkg/matchsvc"
	"github.com/remitq/remitq/pkg/svc"
)

// The matcher and the billed-claims uploads run in the all-in-one process.
func init() {
	registerComponent(func(d *svc.Deps) (svc.Component, error) { return matchsvc.New(d, matchsvc.Options{}), nil })
	registerComponent(func(d *svc.Deps) (svc.Component, error) { return billing.NewService(d), nil })
}
