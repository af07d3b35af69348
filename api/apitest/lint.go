package apitest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// schemaKeywords are the schema keywords the validator understands or that
// are annotations only; any other keyword makes Parse fail.
var schemaKeywords = map[string]bool{
	"$ref": true, "type": true, "properties": true, "required": true, "additionalProperties": true,
	"items": true, "enum": true, "oneOf": true, "nullable": true, "format": true,
	"minimum": true, "maximum": true, "pattern": true, "minLength": true, "maxLength": true,
	"minItems": true, "maxItems": true,
	// annotations
	"description": true, "example": true, "title": true, "default": true, "readOnly": true, "writeOnly": true, "deprecated": true,
}

var schemaTypes = []string{"object", "array", "integer", "number", "string", "boolean"}

// formats are the known formats: int32, int64 and date-time are checked,
// the others are annotations.
var formats = []string{"int32", "int64", "date-time", "double", "float", "uri", "email"}

var (
	statusKey = regexp.MustCompile(`^([1-5][0-9][0-9]|[1-5]XX)$`)
	pathParam = regexp.MustCompile(`\{([^}]+)\}`)
)

// lint checks the document's consistency; see Parse.
func (s *Spec) lint() []string {
	var errs []string
	if v, _ := s.doc["openapi"].(string); !strings.HasPrefix(v, "3.0.") {
		errs = append(errs, fmt.Sprintf("openapi: %q, want 3.0.x", v))
	}
	s.lintRefs(&errs, "#", s.doc)
	if len(errs) > 0 {
		return errs // the rest follows references
	}
	s.walkSchemas(&errs, "#", s.doc, false)
	paths, ok := s.doc["paths"].(map[string]any)
	if !ok || len(paths) == 0 {
		errs = append(errs, "no paths")
	}
	for _, p := range sortedKeys(paths) {
		item, _ := paths[p].(map[string]any)
		if !strings.HasPrefix(p, "/") {
			errs = append(errs, fmt.Sprintf("path %q does not start with /", p))
		}
		for _, k := range sortedKeys(item) {
			if !slices.Contains(methods, k) && k != "parameters" && k != "summary" && k != "description" && !strings.HasPrefix(k, "x-") {
				errs = append(errs, fmt.Sprintf("%s: unknown key %q", p, k))
			}
		}
		for _, m := range methods {
			op, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			where := strings.ToUpper(m) + " " + p
			params := s.pathParams(item["parameters"])
			for k := range s.pathParams(op["parameters"]) {
				params[k] = true
			}
			for _, match := range pathParam.FindAllStringSubmatch(p, -1) {
				if !params[match[1]] {
					errs = append(errs, fmt.Sprintf("%s: path parameter %s not declared", where, match[1]))
				}
				delete(params, match[1])
			}
			for k := range params {
				errs = append(errs, fmt.Sprintf("%s: declares path parameter %s that the path does not have", where, k))
			}
			resps, _ := op["responses"].(map[string]any)
			if len(resps) == 0 {
				errs = append(errs, where+": no responses")
			}
			for _, code := range sortedKeys(resps) {
				if !statusKey.MatchString(code) {
					errs = append(errs, fmt.Sprintf("%s: response key %q is not a status", where, code))
				}
				if r := s.deref(resps[code]); r == nil || r["description"] == nil {
					errs = append(errs, fmt.Sprintf("%s %s: response without description", where, code))
				}
			}
		}
	}
	if s.deref(map[string]any{"$ref": "#/components/responses/MethodNotAllowed"}) == nil {
		errs = append(errs, "components/responses/MethodNotAllowed missing (the answer to undocumented methods)")
	}
	return errs
}

// pathParams returns the names of the path parameters in a parameter list.
func (s *Spec) pathParams(v any) map[string]bool {
	out := map[string]bool{}
	list, _ := v.([]any)
	for _, p := range list {
		pm := s.deref(p)
		if in, _ := pm["in"].(string); in == "path" {
			name, _ := pm["name"].(string)
			out[name] = true
		}
	}
	return out
}

// lintRefs checks that every $ref in the document resolves.
func (s *Spec) lintRefs(errs *[]string, where string, v any) {
	switch v := v.(type) {
	case map[string]any:
		if ref, ok := v["$ref"].(string); ok {
			if _, ok := s.lookup(ref); !ok {
				*errs = append(*errs, fmt.Sprintf("%s: $ref %s does not resolve", where, ref))
			}
		}
		for _, k := range sortedKeys(v) {
			s.lintRefs(errs, where+"/"+k, v[k])
		}
	case []any:
		for i, e := range v {
			s.lintRefs(errs, fmt.Sprintf("%s/%d", where, i), e)
		}
	}
}

// walkSchemas finds the schemas of the document: components/schemas/* and
// every "schema" value.
func (s *Spec) walkSchemas(errs *[]string, where string, v any, inSchemas bool) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v) {
			w := where + "/" + k
			switch {
			case inSchemas || k == "schema":
				if m, ok := v[k].(map[string]any); ok {
					s.lintSchema(errs, w, m)
				} else {
					*errs = append(*errs, w+": schema is not an object")
				}
			case k == "example" || k == "examples":
			default:
				s.walkSchemas(errs, w, v[k], where == "#/components" && k == "schemas")
			}
		}
	case []any:
		for i, e := range v {
			s.walkSchemas(errs, fmt.Sprintf("%s/%d", where, i), e, false)
		}
	}
}

func (s *Spec) lintSchema(errs *[]string, where string, m map[string]any) {
	fail := func(format string, args ...any) { *errs = append(*errs, where+": "+fmt.Sprintf(format, args...)) }
	keywords := s.keywords
	if keywords == nil {
		keywords = schemaKeywords
	}
	for _, k := range sortedKeys(m) {
		if !keywords[k] && !strings.HasPrefix(k, "x-") {
			fail("unsupported schema keyword %q", k)
		}
	}
	if _, ok := m["$ref"]; ok {
		return
	}
	if t, ok := m["type"]; ok && !slices.Contains(schemaTypes, fmt.Sprint(t)) {
		fail("unknown type %v", t)
	}
	if f, ok := m["format"]; ok && !slices.Contains(formats, fmt.Sprint(f)) {
		fail("unknown format %v", f)
	}
	if p, ok := m["pattern"]; ok {
		if _, err := regexp.Compile(fmt.Sprint(p)); err != nil {
			fail("pattern: %v", err)
		}
	}
	for _, k := range []string{"minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems"} {
		if v, ok := m[k]; ok {
			if _, isNum := v.(json.Number); !isNum {
				fail("%s is not a number", k)
			}
		}
	}
	if v, ok := m["nullable"]; ok {
		if _, isBool := v.(bool); !isBool {
			fail("nullable is not a boolean")
		}
	}
	if v, ok := m["enum"]; ok {
		if list, isList := v.([]any); !isList || len(list) == 0 {
			fail("enum is not a non-empty list")
		}
	}
	props, _ := m["properties"].(map[string]any)
	if req, ok := m["required"]; ok {
		list, isList := req.([]any)
		if !isList {
			fail("required is not a list")
		}
		for _, r := range list {
			if _, ok := props[fmt.Sprint(r)]; !ok {
				fail("required property %v is not among the properties", r)
			}
		}
	}
	for _, k := range sortedKeys(props) {
		if ps, ok := props[k].(map[string]any); ok {
			s.lintSchema(errs, where+"/properties/"+k, ps)
		} else {
			fail("property %s is not a schema", k)
		}
	}
	if v, ok := m["properties"]; ok && props == nil {
		fail("properties is %T, not a mapping", v)
	}
	if it, ok := m["items"]; ok {
		if im, ok := it.(map[string]any); ok {
			s.lintSchema(errs, where+"/items", im)
		} else {
			fail("items is not a schema")
		}
	} else if m["type"] == "array" {
		fail("array without items")
	}
	switch ap := m["additionalProperties"].(type) {
	case nil, bool:
	case map[string]any:
		s.lintSchema(errs, where+"/additionalProperties", ap)
	default:
		fail("additionalProperties is neither a boolean nor a schema")
	}
	if one, ok := m["oneOf"]; ok {
		list, _ := one.([]any)
		if len(list) < 2 {
			fail("oneOf needs at least two schemas")
		}
		for i, b := range list {
			if bm, ok := b.(map[string]any); ok {
				s.lintSchema(errs, fmt.Sprintf("%s/oneOf/%d", where, i), bm)
			} else {
				fail("oneOf/%d is not a schema", i)
			}
		}
	}
	if ex, ok := m["example"]; ok {
		for _, e := range s.Validate(m, ex) {
			fail("example does not match: %s", e)
		}
	}
	if exs, ok := m["examples"]; ok { // JSON Schema's (AsyncAPI): a list
		list, isList := exs.([]any)
		if !isList {
			fail("examples is not a list")
		}
		for i, ex := range list {
			for _, e := range s.Validate(m, ex) {
				fail("examples/%d does not match: %s", i, e)
			}
		}
	}
}
