//go:build tools

// Package tools pins the pulumi-language-yaml build (see ../README.md).
package tools

import _ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
