//go:build tools

// Package tools pins the pulumi CLI build (see ../README.md).
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
