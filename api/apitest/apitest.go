// Package apitest checks HTTP responses against coinop's OpenAPI contract
// (package api). It is for tests: Load parses the contract, Check validates
// one response (status documented, headers, content type, JSON body against
// the schema) and reports every mismatch with its JSON path, e.g.
//
//	POST /api/v2/credit 201: $.operation: want integer, got string
//
// The schema subset it understands is what the contract uses: $ref to local
// components, type (object, array, integer, number, string, boolean),
// properties, required, additionalProperties (false or a schema), items,
// enum, oneOf, nullable, format (int32 and int64 ranges, date-time),
// minimum, maximum, pattern, minLength, maxLength, minItems, maxItems.
// Loading refuses a document that uses any other schema keyword, has a $ref
// that does not resolve, an example that does not match its schema, or a
// required property that is not among the properties, so the validator can
// never silently ignore part of the contract.
//
// AsyncSpec does the same for the WebSocket contract (api/asyncapi.yaml,
// AsyncAPI 3.0): LoadAsyncAPI parses and checks it, CheckFrame and CheckAny
// validate one frame against a channel's message, key order included
// where the document says it matters (see AsyncSpec).
package apitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coinop/coinop/api"
	"gopkg.in/yaml.v3"
)

// Spec is a parsed OpenAPI document. It is safe for concurrent use and
// remembers which documented responses have been checked (see Uncovered).
type Spec struct {
	doc map[string]any
	// keywords are the schema keywords Parse admits; nil: OpenAPI 3.0's
	// (schemaKeywords).
	keywords map[string]bool

	mu      sync.Mutex
	checked map[string]bool // "METHOD path status"
	regexps map[string]*regexp.Regexp
}

// Operation is one documented method of one path.
type Operation struct {
	Method   string // upper case: GET, POST, …
	Path     string // the path template, e.g. /api/v2/admin/products/{id}
	Statuses []string
	Public   bool // documented with security: [] (no credentials)
}

// methods are the OpenAPI operation keys, in the order the server lists
// them in an Allow header (options, head and trace are never listed).
var methods = []string{"get", "post", "put", "patch", "delete", "options", "head", "trace"}

// allowListed are the methods the server names in Allow on a 405.
var allowListed = []string{"get", "post", "put", "patch", "delete"}

// Load parses the contract embedded in package api, failing the test if
// it cannot be parsed or does not pass the consistency checks.
func Load(t testing.TB) *Spec {
	t.Helper()
	s, err := Parse(api.OpenAPI)
	if err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	return s
}

// Parse parses an OpenAPI 3.0 document in YAML (or JSON) and checks it: every
// $ref resolves, every schema keyword is supported, every example matches
// its schema, every required property is declared, every operation documents
// at least one response and declares its path parameters.
func Parse(data []byte) (*Spec, error) {
	var raw any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	doc, ok := normalize(raw).(map[string]any)
	if !ok {
		return nil, errors.New("the document is not a mapping")
	}
	s := &Spec{doc: doc, checked: map[string]bool{}, regexps: map[string]*regexp.Regexp{}}
	if errs := s.lint(); len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "\n"))
	}
	return s, nil
}

// normalize turns YAML's decoded values into JSON's: string map keys
// (response codes such as 200 may be decoded as integers) and json.Number
// for numbers.
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = normalize(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[fmt.Sprint(k)] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = normalize(e)
		}
		return out
	case int:
		return json.Number(strconv.Itoa(v))
	case int64:
		return json.Number(strconv.FormatInt(v, 10))
	case uint64:
		return json.Number(strconv.FormatUint(v, 10))
	case float64:
		return json.Number(strconv.FormatFloat(v, 'g', -1, 64))
	case time.Time:
		return v.Format(time.RFC3339Nano)
	}
	return v
}

// Operations lists every documented operation, by path then method.
func (s *Spec) Operations() []Operation {
	var out []Operation
	paths, _ := s.doc["paths"].(map[string]any)
	for _, p := range sortedKeys(paths) {
		item, _ := paths[p].(map[string]any)
		for _, m := range methods {
			op, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			resps, _ := op["responses"].(map[string]any)
			sec, hasSec := op["security"].([]any)
			out = append(out, Operation{Method: strings.ToUpper(m), Path: p, Statuses: sortedKeys(resps), Public: hasSec && len(sec) == 0})
		}
	}
	return out
}

// Uncovered lists the documented responses ("METHOD path status") that no
// Check has seen yet.
func (s *Spec) Uncovered() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, op := range s.Operations() {
		for _, st := range op.Statuses {
			if k := op.Method + " " + op.Path + " " + st; !s.checked[k] {
				out = append(out, k)
			}
		}
	}
	return out
}

// Check validates a response to method on the path template pattern: the
// status must be documented for the operation (a 405 to an undocumented
// method must match components/responses/MethodNotAllowed, with an Allow
// header naming the documented methods), required headers must be present
// and match their schemas, the Content-Type must be a documented media type
// (no body when none is documented), and a JSON body must match the schema.
// Every mismatch is reported with t.Errorf.
func (s *Spec) Check(t testing.TB, method, pattern string, status int, header http.Header, body []byte) {
	t.Helper()
	prefix := fmt.Sprintf("%s %s %d", method, pattern, status)
	for _, e := range s.check(method, pattern, status, header, body) {
		t.Errorf("%s: %s", prefix, e)
	}
}

func (s *Spec) check(method, pattern string, status int, header http.Header, body []byte) []string {
	item, ok := s.pathItem(pattern)
	if !ok {
		return []string{"path not in the contract"}
	}
	var resp map[string]any
	var errs []string
	if op, ok := item[strings.ToLower(method)].(map[string]any); ok {
		resps, _ := op["responses"].(map[string]any)
		code := strconv.Itoa(status)
		r, ok := resps[code]
		if !ok {
			r, ok = resps[code[:1]+"XX"]
		}
		if !ok {
			return []string{fmt.Sprintf("status not documented (documented: %s)", strings.Join(sortedKeys(resps), ", "))}
		}
		s.mu.Lock()
		s.checked[strings.ToUpper(method)+" "+pattern+" "+code] = true
		s.mu.Unlock()
		resp = s.deref(r)
	} else if status == http.StatusMethodNotAllowed {
		resp = s.deref(map[string]any{"$ref": "#/components/responses/MethodNotAllowed"})
		var want []string
		for _, m := range allowListed {
			if _, ok := item[m]; ok {
				want = append(want, strings.ToUpper(m))
			}
		}
		if got := header.Get("Allow"); got != strings.Join(want, ", ") {
			errs = append(errs, fmt.Sprintf("header Allow: %q, want %q (the documented methods)", got, strings.Join(want, ", ")))
		}
	} else {
		return []string{fmt.Sprintf("method %s not documented for this path", method)}
	}
	if resp == nil {
		return append(errs, "the documented response does not resolve")
	}
	return append(errs, s.checkMessage(resp, header, body)...)
}

// checkMessage checks headers and body against a response object.
func (s *Spec) checkMessage(resp map[string]any, header http.Header, body []byte) []string {
	var errs []string
	hdrs, _ := resp["headers"].(map[string]any)
	for _, name := range sortedKeys(hdrs) {
		h := s.deref(hdrs[name])
		vals := header.Values(name)
		if len(vals) == 0 {
			if req, _ := h["required"].(bool); req {
				errs = append(errs, fmt.Sprintf("header %s missing", name))
			}
			continue
		}
		if schema, ok := h["schema"].(map[string]any); ok && !strings.EqualFold(name, "Set-Cookie") {
			errs = append(errs, s.validateHeader(name, schema, vals[0])...)
		}
	}
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if len(body) > 0 {
			errs = append(errs, fmt.Sprintf("no body documented, got %d bytes: %.80q", len(body), body))
		}
		return errs
	}
	ct := header.Get("Content-Type")
	got, _, err := mime.ParseMediaType(ct)
	if err != nil {
		got = strings.ToLower(strings.TrimSpace(ct))
	}
	var mt map[string]any
	var documented []string
	for _, k := range sortedKeys(content) {
		base, _, err := mime.ParseMediaType(k)
		if err != nil {
			base = k
		}
		documented = append(documented, base)
		if base == got {
			mt, _ = content[k].(map[string]any)
		}
	}
	if mt == nil {
		return append(errs, fmt.Sprintf("Content-Type %q not documented (documented: %s)", ct, strings.Join(documented, ", ")))
	}
	schema, ok := mt["schema"].(map[string]any)
	if !ok || !isJSON(got) {
		return errs
	}
	v, err := decodeJSON(body)
	if err != nil {
		return append(errs, fmt.Sprintf("body is not one JSON value: %v: %.80q", err, body))
	}
	return append(errs, s.Validate(schema, v)...)
}

// CheckRequest validates a request body that the server is expected to
// accept against the documented request body of method on pattern.
func (s *Spec) CheckRequest(t testing.TB, method, pattern string, body []byte) {
	t.Helper()
	prefix := fmt.Sprintf("%s %s request", method, pattern)
	item, ok := s.pathItem(pattern)
	if !ok {
		t.Errorf("%s: path not in the contract", prefix)
		return
	}
	op, ok := item[strings.ToLower(method)].(map[string]any)
	if !ok {
		t.Errorf("%s: method not documented", prefix)
		return
	}
	rb := s.deref(op["requestBody"])
	if rb == nil {
		if len(body) > 0 {
			t.Errorf("%s: no request body documented, got %d bytes", prefix, len(body))
		}
		return
	}
	content, _ := rb["content"].(map[string]any)
	mt, _ := content["application/json"].(map[string]any)
	schema, ok := mt["schema"].(map[string]any)
	if !ok {
		t.Errorf("%s: no application/json schema documented", prefix)
		return
	}
	v, err := decodeJSON(body)
	if err != nil {
		t.Errorf("%s: body is not one JSON value: %v", prefix, err)
		return
	}
	for _, e := range s.Validate(schema, v) {
		t.Errorf("%s: %s", prefix, e)
	}
}

// CheckSchema validates a JSON document against components/schemas/name
// (for messages outside HTTP responses, such as WebSocket frames).
func (s *Spec) CheckSchema(t testing.TB, name string, body []byte) {
	t.Helper()
	schema := s.deref(map[string]any{"$ref": "#/components/schemas/" + name})
	if schema == nil {
		t.Errorf("schema %s: not in the contract", name)
		return
	}
	v, err := decodeJSON(body)
	if err != nil {
		t.Errorf("schema %s: not one JSON value: %v: %.80q", name, err, body)
		return
	}
	for _, e := range s.Validate(schema, v) {
		t.Errorf("schema %s: %s", name, e)
	}
}

// Validate validates v, a value decoded from JSON with UseNumber (see
// decodeJSON), against schema and returns the mismatches, each prefixed
// with its JSON path ("$", "$.field", "$[2].field").
func (s *Spec) Validate(schema map[string]any, v any) []string {
	var errs []string
	s.validate(&errs, "$", schema, v, 0)
	return errs
}

func (s *Spec) pathItem(pattern string) (map[string]any, bool) {
	paths, _ := s.doc["paths"].(map[string]any)
	item, ok := paths[pattern].(map[string]any)
	return item, ok
}

// decodeJSON decodes exactly one JSON value, keeping numbers as json.Number.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

func isJSON(mediaType string) bool {
	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}

// lookup resolves a local reference such as #/components/schemas/Error.
func (s *Spec) lookup(ref string) (map[string]any, bool) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, false
	}
	var cur any = s.doc
	for _, part := range strings.Split(ref[2:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	m, ok := cur.(map[string]any)
	return m, ok
}

// deref follows $ref until an object without one; nil if it does not
// resolve (Parse has made sure that every reference resolves).
func (s *Spec) deref(v any) map[string]any {
	m, _ := v.(map[string]any)
	for i := 0; m != nil && i < 32; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		m, _ = s.lookup(ref)
	}
	return m
}

func (s *Spec) validateHeader(name string, schema map[string]any, value string) []string {
	schema = s.deref(schema)
	var v any = value
	if t, _ := schema["type"].(string); t == "integer" || t == "number" {
		n := json.Number(strings.TrimSpace(value))
		if _, err := strconv.ParseFloat(string(n), 64); err != nil {
			return []string{fmt.Sprintf("header %s: %q is not a number", name, value)}
		}
		v = n
	}
	var errs []string
	s.validate(&errs, "header "+name, schema, v, 0)
	return errs
}

func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if isIntLiteral(string(v)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func isIntLiteral(s string) bool {
	return s != "" && !strings.ContainsAny(s, ".eE")
}

func (s *Spec) validate(errs *[]string, path string, schema map[string]any, v any, depth int) {
	if depth > 64 {
		*errs = append(*errs, path+": schema nested too deeply (a $ref cycle?)")
		return
	}
	if ref, ok := schema["$ref"].(string); ok {
		target, ok := s.lookup(ref)
		if !ok {
			*errs = append(*errs, fmt.Sprintf("%s: unresolved $ref %s", path, ref))
			return
		}
		s.validate(errs, path, target, v, depth+1)
		return
	}
	fail := func(format string, args ...any) { *errs = append(*errs, path+": "+fmt.Sprintf(format, args...)) }
	typ, _ := schema["type"].(string)
	if v == nil {
		if nullable, _ := schema["nullable"].(bool); nullable {
			return
		}
		if typ != "" {
			fail("want %s, got null", typ)
			return
		}
	}
	if typ != "" {
		got := jsonType(v)
		if got != typ && !(typ == "number" && got == "integer") {
			fail("want %s, got %s", typ, got)
			return
		}
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return sameValue(e, v) }) {
		fail("%s not in enum %s", compact(v), compact(enum))
	}
	if branches, ok := schema["oneOf"].([]any); ok {
		var matched []int
		var first []string
		for i, b := range branches {
			bs, _ := b.(map[string]any)
			var berrs []string
			s.validate(&berrs, path, bs, v, depth+1)
			if len(berrs) == 0 {
				matched = append(matched, i)
			} else if first == nil {
				first = berrs
			}
		}
		switch {
		case len(matched) == 0:
			fail("matches none of the %d oneOf schemas (first: %s)", len(branches), strings.Join(first, "; "))
		case len(matched) > 1:
			fail("matches oneOf schemas %v; want exactly one", matched)
		}
	}
	switch v := v.(type) {
	case json.Number:
		s.validateNumber(fail, schema, v)
	case string:
		s.validateString(fail, schema, v)
	case []any:
		if n, ok := intKeyword(schema, "minItems"); ok && int64(len(v)) < n {
			fail("%d items, want at least %d", len(v), n)
		}
		if n, ok := intKeyword(schema, "maxItems"); ok && int64(len(v)) > n {
			fail("%d items, want at most %d", len(v), n)
		}
		if items, ok := schema["items"].(map[string]any); ok {
			for i, e := range v {
				s.validate(errs, fmt.Sprintf("%s[%d]", path, i), items, e, depth+1)
			}
		}
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		if req, ok := schema["required"].([]any); ok {
			for _, r := range req {
				name, _ := r.(string)
				if _, ok := v[name]; !ok {
					*errs = append(*errs, fmt.Sprintf("%s: required property missing", joinPath(path, name)))
				}
			}
		}
		for _, k := range sortedKeys(v) {
			if ps, ok := props[k].(map[string]any); ok {
				s.validate(errs, joinPath(path, k), ps, v[k], depth+1)
				continue
			}
			switch ap := schema["additionalProperties"].(type) {
			case bool:
				if !ap {
					*errs = append(*errs, fmt.Sprintf("%s: property not allowed (additionalProperties: false)", joinPath(path, k)))
				}
			case map[string]any:
				s.validate(errs, joinPath(path, k), ap, v[k], depth+1)
			}
		}
	}
}

func (s *Spec) validateNumber(fail func(string, ...any), schema map[string]any, n json.Number) {
	val, ok := new(big.Rat).SetString(string(n))
	if !ok {
		fail("%s is not a number", n)
		return
	}
	switch f, _ := schema["format"].(string); f {
	case "int32", "int64":
		lo, hi := int64(math.MinInt32), int64(math.MaxInt32)
		if f == "int64" {
			lo, hi = math.MinInt64, math.MaxInt64
		}
		if !val.IsInt() || val.Cmp(new(big.Rat).SetInt64(lo)) < 0 || val.Cmp(new(big.Rat).SetInt64(hi)) > 0 {
			fail("%s out of %s range", n, f)
		}
	}
	if m, ok := schema["minimum"].(json.Number); ok {
		if min, ok := new(big.Rat).SetString(string(m)); ok && val.Cmp(min) < 0 {
			fail("%s below the minimum %s", n, m)
		}
	}
	if m, ok := schema["maximum"].(json.Number); ok {
		if max, ok := new(big.Rat).SetString(string(m)); ok && val.Cmp(max) > 0 {
			fail("%s above the maximum %s", n, m)
		}
	}
}

func (s *Spec) validateString(fail func(string, ...any), schema map[string]any, v string) {
	n := int64(len([]rune(v)))
	if min, ok := intKeyword(schema, "minLength"); ok && n < min {
		fail("%d characters, want at least %d", n, min)
	}
	if max, ok := intKeyword(schema, "maxLength"); ok && n > max {
		fail("%d characters, want at most %d", n, max)
	}
	if p, ok := schema["pattern"].(string); ok {
		if re := s.regexp(p); re != nil && !re.MatchString(v) {
			fail("%.60q does not match the pattern %s", v, p)
		}
	}
	if f, _ := schema["format"].(string); f == "date-time" {
		if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
			fail("%q is not an RFC 3339 date-time", v)
		}
	}
}

func (s *Spec) regexp(p string) *regexp.Regexp {
	s.mu.Lock()
	defer s.mu.Unlock()
	re, ok := s.regexps[p]
	if !ok {
		re, _ = regexp.Compile(p) // Parse has compiled every pattern
		s.regexps[p] = re
	}
	return re
}

func intKeyword(schema map[string]any, k string) (int64, bool) {
	n, ok := schema[k].(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

// sameValue compares two JSON values (numbers by value).
func sameValue(a, b any) bool {
	an, aok := a.(json.Number)
	bn, bok := b.(json.Number)
	if aok && bok {
		x, ok1 := new(big.Rat).SetString(string(an))
		y, ok2 := new(big.Rat).SetString(string(bn))
		return ok1 && ok2 && x.Cmp(y) == 0
	}
	return compact(a) == compact(b)
}

func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func joinPath(path, key string) string {
	if identifier.MatchString(key) {
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
