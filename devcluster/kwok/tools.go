//go:build tools

// Package tools pins the upstream kwok command.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
