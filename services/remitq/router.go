package main

import (
	"github.com/remitq/remitq/pkg/routesvc"
	"github.com/remitq/remitq/pkg/svc"
)

// The denial router runs in the all-in-one process.
func init() {
	registerComponent(func(d *svc.Deps) (svc.Component, error) { return routesvc.New(d, routesvc.Options{}), nil })
}
