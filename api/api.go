// Package api holds coinop's contracts. openapi.yaml, an OpenAPI 3.0
// document, describes every route the server answers (the bank's /api/v2,
// a superset of the fair's reference contract, the ticker's /auth/token and
// /ws/ticker, and the operations endpoints). asyncapi.yaml, an AsyncAPI 3.0
// document, describes the frames of its WebSockets (the machines'
// /api/v2/machine, a superset of the fair's machine contract, the people's
// /api/v2/events and the ticker's /ws/ticker). The tests of cmd/coinop
// check real answers and frames against both with package apitest.
package api

import _ "embed"

// OpenAPI is the HTTP contract, openapi.yaml, as YAML bytes.
//
//go:embed openapi.yaml
var OpenAPI []byte

// AsyncAPI is the WebSocket contract, asyncapi.yaml, as YAML bytes.
//
//go:embed asyncapi.yaml
var AsyncAPI []byte
