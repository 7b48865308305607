package main

import (
	"testing"

	"github.com/remitq/remitq/pkg/devenv/devtest"
)

// TestMain starts the private PostgreSQL the command tests share.
func TestMain(m *testing.M) { devtest.Main(m) }
