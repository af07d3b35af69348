package apitest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// recorder is a testing.TB that records Errorf instead of failing, so that
// the validator's failures can be tested. Check, CheckRequest and
// CheckSchema call only Helper and Errorf.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// testSpec exercises every supported keyword.
const testSpec = `
openapi: 3.0.3
info: {title: test, version: "1"}
paths:
  /items/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: integer}}
    get:
      responses:
        '200':
          description: OK
          content:
            application/json:
              schema: {$ref: '#/components/schemas/item'}
        '204':
          description: nothing
        '429':
          description: slow down
          headers:
            Retry-After: {required: true, schema: {type: integer, minimum: 1}}
          content:
            application/json:
              schema: {$ref: '#/components/schemas/error'}
        '4XX':
          description: any other client error
          content:
            application/json:
              schema: {$ref: '#/components/schemas/error'}
    put:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [n]
              properties:
                n:
                  oneOf:
                    - {type: integer, format: int32}
                    - {type: string, pattern: '^[0-9]+$'}
      responses:
        '200':
          description: OK
          content:
            text/plain:
              schema: {type: string}
components:
  responses:
    MethodNotAllowed:
      description: other method
      headers:
        Allow: {required: true, schema: {type: string}}
      content:
        application/json:
          schema: {$ref: '#/components/schemas/error'}
  schemas:
    error:
      type: object
      required: [error]
      additionalProperties: false
      properties:
        error: {type: string, enum: [bad, worse]}
    item:
      type: object
      required: [id, name, tags, small, price, when, kind]
      additionalProperties: false
      properties:
        id: {type: integer, format: int32, minimum: 1}
        name: {type: string, minLength: 1, maxLength: 5, pattern: '^[a-z]*$'}
        tags:
          type: array
          maxItems: 2
          items: {$ref: '#/components/schemas/tag'}
        small: {type: integer, format: int32, maximum: 10}
        price: {type: number, minimum: 0}
        when: {type: string, format: date-time}
        note: {type: string, nullable: true}
        kind:
          oneOf:
            - {type: integer}
            - {type: string}
        extra:
          type: object
          additionalProperties: {type: boolean}
    tag:
      type: object
      required: [name]
      properties:
        name: {type: string}
`

const goodItem = `{"id":1,"name":"ab","tags":[{"name":"x","free":1}],"small":10,"price":1.5,"when":"2024-10-01T12:00:00.000-03:00","note":null,"kind":"k","extra":{"a":true}}`

func parseTest(t *testing.T) *Spec {
	t.Helper()
	s, err := Parse([]byte(testSpec))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

func TestCheckAcceptsValid(t *testing.T) {
	s := parseTest(t)
	r := &recorder{}
	s.Check(r, "GET", "/items/{id}", 200, jsonHeader, []byte(goodItem+"\n"))
	s.Check(r, "GET", "/items/{id}", 204, http.Header{}, nil)
	s.Check(r, "GET", "/items/{id}", 429, http.Header{"Content-Type": {"application/json; charset=utf-8"}, "Retry-After": {"3"}}, []byte(`{"error":"bad"}`))
	s.Check(r, "GET", "/items/{id}", 404, jsonHeader, []byte(`{"error":"worse"}`)) // 4XX
	s.Check(r, "PUT", "/items/{id}", 200, http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, []byte("anything"))
	s.Check(r, "POST", "/items/{id}", 405, http.Header{"Allow": {"GET, PUT"}, "Content-Type": {"application/json"}}, []byte(`{"error":"bad"}`))
	s.CheckRequest(r, "PUT", "/items/{id}", []byte(`{"n":"42","unknown":[1]}`))
	s.CheckRequest(r, "PUT", "/items/{id}", []byte(`{"n":42}`))
	s.CheckSchema(r, "tag", []byte(`{"name":"x"}`))
	if len(r.errs) > 0 {
		t.Fatalf("valid messages refused:\n%s", strings.Join(r.errs, "\n"))
	}
	if got, want := s.Uncovered(), []string{"GET /items/{id} 4XX"}; !slices.Equal(got, want) {
		// 404 was matched by 4XX but is recorded as 404; 4XX itself stays uncovered.
		t.Fatalf("Uncovered() = %v, want %v", got, want)
	}
}

// replace returns goodItem with one field changed.
func replace(field, value string) string {
	i := strings.Index(goodItem, `"`+field+`":`)
	if i < 0 {
		panic(field)
	}
	j := i + len(field) + 3
	depth, k := 0, j
	for ; k < len(goodItem); k++ {
		c := goodItem[k]
		if c == '[' || c == '{' {
			depth++
		} else if c == ']' || c == '}' {
			if depth == 0 {
				break
			}
			depth--
		} else if c == ',' && depth == 0 {
			break
		}
	}
	return goodItem[:j] + value + goodItem[k:]
}

func TestCheckRefusesInvalid(t *testing.T) {
	s := parseTest(t)
	const p = "GET /items/{id} 200: "
	cases := []struct {
		name, body, want string
	}{
		{"string for integer", replace("id", `"1"`), p + "$.id: want integer, got string"},
		{"fraction for integer", replace("id", `1.5`), p + "$.id: want integer, got number"},
		{"below minimum", replace("id", `0`), p + "$.id: 0 below the minimum 1"},
		{"beyond int32", replace("id", `2147483648`), p + "$.id: 2147483648 out of int32 range"},
		{"above maximum", replace("small", `11`), p + "$.small: 11 above the maximum 10"},
		{"null not nullable", replace("name", `null`), p + "$.name: want string, got null"},
		{"pattern", replace("name", `"AB"`), p + `$.name: "AB" does not match the pattern ^[a-z]*$`},
		{"maxLength", replace("name", `"abcdef"`), p + "$.name: 6 characters, want at most 5"},
		{"minLength", replace("name", `""`), p + "$.name: 0 characters, want at least 1"},
		{"date-time", replace("when", `"yesterday"`), p + `$.when: "yesterday" is not an RFC 3339 date-time`},
		{"item through $ref", replace("tags", `[{"name":"x"},{"name":3}]`), p + "$.tags[1].name: want string, got integer"},
		{"item required", replace("tags", `[{}]`), p + "$.tags[0].name: required property missing"},
		{"maxItems", replace("tags", `[{"name":"a"},{"name":"b"},{"name":"c"}]`), p + "$.tags: 3 items, want at most 2"},
		{"oneOf none", replace("kind", `true`), p + "$.kind: matches none of the 2 oneOf schemas (first: $.kind: want integer, got boolean)"},
		{"additionalProperties schema", replace("extra", `{"a":1}`), p + "$.extra.a: want boolean, got integer"},
		{"additionalProperties false", strings.Replace(goodItem, `{"id":1`, `{"id":1,"secret":2`, 1), p + "$.secret: property not allowed (additionalProperties: false)"},
		{"required", strings.Replace(goodItem, `"small":10,`, ``, 1), p + "$.small: required property missing"},
		{"not an object", `[1]`, p + "$: want object, got array"},
		{"trailing data", goodItem + ` {}`, p + `body is not one JSON value: trailing data after the JSON value: "{\"id\":1,`},
	}
	for _, c := range cases {
		r := &recorder{}
		s.Check(r, "GET", "/items/{id}", 200, jsonHeader, []byte(c.body))
		if len(r.errs) != 1 || !strings.HasPrefix(r.errs[0], c.want) {
			t.Errorf("%s: errors %q\nwant [%q]", c.name, r.errs, c.want)
		}
	}
}

func TestCheckRefusesResponse(t *testing.T) {
	s := parseTest(t)
	cases := []struct {
		name, method, path string
		status             int
		header             http.Header
		body               string
		want               string
	}{
		{"unknown path", "GET", "/nope", 200, jsonHeader, goodItem, "GET /nope 200: path not in the contract"},
		{"undocumented status", "GET", "/items/{id}", 500, jsonHeader, `{"error":"bad"}`, "GET /items/{id} 500: status not documented (documented: 200, 204, 429, 4XX)"},
		{"undocumented method", "DELETE", "/items/{id}", 200, jsonHeader, ``, "DELETE /items/{id} 200: method DELETE not documented for this path"},
		{"enum", "GET", "/items/{id}", 404, jsonHeader, `{"error":"other"}`, `GET /items/{id} 404: $.error: "other" not in enum ["bad","worse"]`},
		{"missing Retry-After", "GET", "/items/{id}", 429, jsonHeader, `{"error":"bad"}`, "GET /items/{id} 429: header Retry-After missing"},
		{"bad Retry-After", "GET", "/items/{id}", 429, http.Header{"Content-Type": {"application/json"}, "Retry-After": {"0"}}, `{"error":"bad"}`, "GET /items/{id} 429: header Retry-After: 0 below the minimum 1"},
		{"content type", "GET", "/items/{id}", 200, http.Header{"Content-Type": {"text/html"}}, goodItem, `GET /items/{id} 200: Content-Type "text/html" not documented (documented: application/json)`},
		{"body on 204", "GET", "/items/{id}", 204, http.Header{}, `{}`, `GET /items/{id} 204: no body documented, got 2 bytes: "{}"`},
		{"empty JSON", "GET", "/items/{id}", 404, jsonHeader, ``, `GET /items/{id} 404: body is not one JSON value: EOF: ""`},
		{"Allow on 405", "PATCH", "/items/{id}", 405, http.Header{"Allow": {"GET"}, "Content-Type": {"application/json"}}, `{"error":"bad"}`, `PATCH /items/{id} 405: header Allow: "GET", want "GET, PUT" (the documented methods)`},
	}
	for _, c := range cases {
		r := &recorder{}
		s.Check(r, c.method, c.path, c.status, c.header, []byte(c.body))
		if len(r.errs) != 1 || r.errs[0] != c.want {
			t.Errorf("%s: errors %q\nwant [%q]", c.name, r.errs, c.want)
		}
	}

	r := &recorder{}
	s.CheckRequest(r, "PUT", "/items/{id}", []byte(`{"n":1.5}`))
	s.CheckRequest(r, "PUT", "/items/{id}", []byte(`{"n":"x"}`))
	s.CheckSchema(r, "tag", []byte(`{}`))
	s.CheckSchema(r, "nope", []byte(`{}`))
	want := []string{
		"PUT /items/{id} request: $.n: matches none of the 2 oneOf schemas (first: $.n: want integer, got number)",
		`PUT /items/{id} request: $.n: matches none of the 2 oneOf schemas (first: $.n: want integer, got string)`,
		"schema tag: $.name: required property missing",
		"schema nope: not in the contract",
	}
	if !slices.Equal(r.errs, want) {
		t.Errorf("errors\n%s\nwant\n%s", strings.Join(r.errs, "\n"), strings.Join(want, "\n"))
	}
}

func TestOneOfAmbiguous(t *testing.T) {
	s, err := Parse([]byte(`
openapi: 3.0.3
info: {title: t, version: "1"}
paths: {/a: {get: {responses: {'200': {description: OK}}}}}
components:
  responses:
    MethodNotAllowed: {description: x}
  schemas:
    n:
      oneOf:
        - {type: number}
        - {type: integer}
`))
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{}
	s.CheckSchema(r, "n", []byte(`1`))
	s.CheckSchema(r, "n", []byte(`1.5`))
	if want := []string{"schema n: $: matches oneOf schemas [0 1]; want exactly one"}; !slices.Equal(r.errs, want) {
		t.Errorf("errors %q, want %q", r.errs, want)
	}
}

func TestParseRefusesInconsistentSpec(t *testing.T) {
	base := `
openapi: 3.0.3
info: {title: t, version: "1"}
components:
  responses:
    MethodNotAllowed: {description: x}
`
	cases := []struct{ name, doc, want string }{
		{"unresolved ref", `paths: {/a: {get: {responses: {'200': {$ref: '#/components/responses/Nope'}}}}}`, "does not resolve"},
		{"unsupported keyword", `paths: {/a: {get: {responses: {'200': {description: OK, content: {application/json: {schema: {anyOf: [{type: string}]}}}}}}}}`, `unsupported schema keyword "anyOf"`},
		{"bad example", `paths: {/a: {get: {responses: {'200': {description: OK, content: {application/json: {schema: {type: integer, example: x}}}}}}}}`, "example does not match: $: want integer, got string"},
		{"required not declared", `paths: {/a: {get: {responses: {'200': {description: OK, content: {application/json: {schema: {type: object, required: [x]}}}}}}}}`, "required property x is not among the properties"},
		{"undeclared path parameter", `paths: {'/a/{id}': {get: {responses: {'200': {description: OK}}}}}`, "path parameter id not declared"},
		{"no responses", `paths: {/a: {get: {description: x}}}`, "GET /a: no responses"},
		{"status key", `paths: {/a: {get: {responses: {'ok': {description: OK}}}}}`, `response key "ok" is not a status`},
		{"array without items", `paths: {/a: {get: {responses: {'200': {description: OK, content: {application/json: {schema: {type: array}}}}}}}}`, "array without items"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(base + c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Parse error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// TestSpecLoads checks that the real contract loads and uses the validator
// as its examples expect.
func TestSpecLoads(t *testing.T) {
	s := Load(t)
	r := &recorder{}
	s.Check(r, "POST", "/api/v2/credit", 201, jsonHeader, []byte(`{"operation":"7"}`))
	if want := []string{"POST /api/v2/credit 201: $.operation: want integer, got string"}; !slices.Equal(r.errs, want) {
		t.Errorf("errors %q, want %q", r.errs, want)
	}
	r.errs = nil
	s.CheckRequest(r, "POST", "/api/v2/credit", []byte(`{"product":"3","value":100,"extra":"ignored"}`))
	s.CheckRequest(r, "POST", "/api/v2/transfer", []byte(`{"to":2,"value":"40"}`))
	s.Check(r, "POST", "/api/v2/transfer", 429, http.Header{"Content-Type": {"application/json"}, "Retry-After": {"300"}},
		[]byte(`{"error":"rate_limited","message":"a transfer was made less than 5m0s ago; try again later"}`))
	if len(r.errs) > 0 {
		t.Errorf("valid messages refused: %q", r.errs)
	}
	r.errs = nil
	s.CheckRequest(r, "POST", "/api/v2/transfer", []byte(`{"to":2,"value":1.5}`))
	s.Check(r, "POST", "/api/v2/transfer", 402, jsonHeader, []byte(`{"error":"rate_limited","message":"x"}`))
	if len(r.errs) != 2 {
		t.Errorf("invalid messages: %q, want 2 errors", r.errs)
	}
}
